-- Row-level security policies: permissive or restrictive, command, roles
-- and expressions. $1: schemas left out.
SELECT format('%I on %s', p.polname, p.polrelid::regclass),
       p.polpermissive,
       p.polcmd::text,
       ARRAY(SELECT CASE WHEN u.oid = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(u.oid) END
             FROM unnest(p.polroles) AS u(oid)),
       coalesce(pg_get_expr(p.polqual, p.polrelid), ''),
       coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '')
FROM pg_policy p
JOIN pg_class c ON c.oid = p.polrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND n.nspname NOT LIKE 'pg\_temp\_%' AND n.nspname NOT LIKE 'pg\_toast\_temp\_%'
  AND n.nspname <> ALL ($1::text[])
