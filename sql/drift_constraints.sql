-- Table constraints by definition, NOT NULL constraints left out (the
-- columns carry them; PostgreSQL 18 catalogs them with generated names),
-- and so are the copies of a constraint that partitioning adds on the
-- same table. $1: schemas left out; $2: the tracking table.
SELECT format('%I on %s', co.conname, co.conrelid::regclass),
       pg_get_constraintdef(co.oid)
FROM pg_constraint co
JOIN pg_class c ON c.oid = co.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE co.contype <> 'n'
  AND co.conrelid <> $2
  AND NOT EXISTS (SELECT FROM pg_constraint p WHERE p.oid = co.conparentid AND p.conrelid = co.conrelid)
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND n.nspname NOT LIKE 'pg\_temp\_%' AND n.nspname NOT LIKE 'pg\_toast\_temp\_%'
  AND n.nspname <> ALL ($1::text[])
  AND NOT EXISTS (SELECT FROM pg_depend d
                  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
