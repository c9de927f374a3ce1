-- The ordinary tables of the user's schemas, for measured lint to seed
-- the empty ones with a few rows: oid and name as a quoted identifier.
SELECT c.oid::int8, c.oid::regclass::text
FROM pg_class AS c
JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE c.relkind = 'r'
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_toast%'
  AND n.nspname NOT LIKE 'pg\_temp%'
ORDER BY c.oid
