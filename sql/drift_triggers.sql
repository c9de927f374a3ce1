-- Triggers by definition and enabled state; internal triggers (of foreign
-- keys) and the copies partitioning makes of a parent's trigger are left
-- out. $1: schemas left out; $2: the tracking table.
SELECT format('%I on %s', t.tgname, t.tgrelid::regclass),
       pg_get_triggerdef(t.oid),
       t.tgenabled::text
FROM pg_trigger t
JOIN pg_class c ON c.oid = t.tgrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE NOT t.tgisinternal
  AND t.tgrelid <> $2
  AND NOT (c.relispartition AND EXISTS (
        SELECT FROM pg_trigger pt JOIN pg_inherits i ON i.inhparent = pt.tgrelid
        WHERE i.inhrelid = t.tgrelid AND pt.tgname = t.tgname))
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND n.nspname NOT LIKE 'pg\_temp\_%' AND n.nspname NOT LIKE 'pg\_toast\_temp\_%'
  AND n.nspname <> ALL ($1::text[])
  AND NOT EXISTS (SELECT FROM pg_depend d
                  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
