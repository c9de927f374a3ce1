-- Comments on schemas, relations and their columns, functions, types,
-- constraints, triggers and policies, named as pg_identify_object names
-- the object. $1: schemas left out; $2: the tracking table.
SELECT o.type, o.identity, d.description
FROM pg_description d
CROSS JOIN LATERAL pg_identify_object(d.classoid, d.objoid, d.objsubid) o
CROSS JOIN LATERAL (
  SELECT CASE d.classoid
    WHEN 'pg_namespace'::regclass THEN (SELECT n.nspname FROM pg_namespace n WHERE n.oid = d.objoid)
    WHEN 'pg_trigger'::regclass THEN (SELECT c.relnamespace::regnamespace::text
                                      FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE t.oid = d.objoid)
    WHEN 'pg_policy'::regclass THEN (SELECT c.relnamespace::regnamespace::text
                                     FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid WHERE p.oid = d.objoid)
    ELSE o.schema END AS name
) s
WHERE d.classoid IN ('pg_namespace'::regclass, 'pg_class'::regclass, 'pg_proc'::regclass, 'pg_type'::regclass,
                     'pg_constraint'::regclass, 'pg_trigger'::regclass, 'pg_policy'::regclass)
  AND NOT (d.classoid = 'pg_class'::regclass AND d.objoid = $2)
  AND s.name NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND s.name NOT LIKE 'pg\_temp\_%' AND s.name NOT LIKE 'pg\_toast\_temp\_%'
  AND s.name <> ALL ($1::text[])
  AND NOT EXISTS (SELECT FROM pg_depend dep
                  WHERE dep.classid = d.classoid AND dep.objid = d.objoid AND dep.deptype = 'e')
