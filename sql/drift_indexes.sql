-- Indexes by definition and validity, except those of primary key, unique
-- and exclusion constraints (the constraint stands for them).
-- $1: schemas left out; $2: the tracking table.
SELECT format('%I.%I', n.nspname, ci.relname),
       pg_get_indexdef(i.indexrelid),
       i.indisvalid
FROM pg_index i
JOIN pg_class ci ON ci.oid = i.indexrelid
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace n ON n.oid = ci.relnamespace
WHERE i.indrelid <> $2
  AND NOT EXISTS (SELECT FROM pg_constraint co
                  WHERE co.conindid = i.indexrelid AND co.conrelid = i.indrelid AND co.contype IN ('p', 'u', 'x'))
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND n.nspname NOT LIKE 'pg\_temp\_%' AND n.nspname NOT LIKE 'pg\_toast\_temp\_%'
  AND n.nspname <> ALL ($1::text[])
  AND NOT EXISTS (SELECT FROM pg_depend d
                  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
