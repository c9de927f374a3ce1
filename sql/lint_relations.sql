-- The relations of the user's schemas with their file number and the
-- scans of the current transaction, for measured lint: a new relfilenode
-- is a rewrite, more scans a full read. Reads only the catalogs and the
-- statistics, so it takes no lock on the relations themselves.
SELECT c.oid::int8,
       c.relfilenode::int8,
       pg_stat_get_xact_numscans(c.oid)
FROM pg_class AS c
JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'm', 'i')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_toast%'
  AND n.nspname NOT LIKE 'pg\_temp%'
