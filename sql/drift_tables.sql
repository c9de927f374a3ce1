-- Tables, partitioned tables and foreign tables with their persistence,
-- storage options, partitioning, inheritance and row-level security
-- flags. $1: schemas left out; $2: the tracking table.
SELECT format('%I.%I', n.nspname, c.relname),
       c.relkind::text,
       c.relpersistence::text,
       coalesce(array_to_string(c.reloptions, ', '), ''),
       coalesce(pg_get_partkeydef(c.oid), ''),
       CASE WHEN c.relispartition THEN
         (SELECT i.inhparent::regclass::text FROM pg_inherits i WHERE i.inhrelid = c.oid)
         || ' ' || pg_get_expr(c.relpartbound, c.oid)
       ELSE '' END,
       coalesce((SELECT string_agg(i.inhparent::regclass::text, ', ' ORDER BY i.inhseqno)
                 FROM pg_inherits i WHERE i.inhrelid = c.oid AND NOT c.relispartition), ''),
       c.relrowsecurity,
       c.relforcerowsecurity
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'f')
  AND c.oid <> $2
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND n.nspname NOT LIKE 'pg\_temp\_%' AND n.nspname NOT LIKE 'pg\_toast\_temp\_%'
  AND n.nspname <> ALL ($1::text[])
  AND NOT EXISTS (SELECT FROM pg_depend d
                  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
