-- Owners and privileges of schemas, relations, columns, functions and
-- types, one row per grantee and privilege (owner rows alone have an
-- empty grantee). A NULL ACL stands for the default privileges, which the
-- owner's own entries make up and are left out. $1: schemas left out;
-- $2: the tracking table.
WITH objects AS (
  SELECT 'schema' AS kind, format('%I', n.nspname) AS name, n.nspowner AS owner,
         coalesce(n.nspacl, acldefault('n', n.nspowner)) AS acl, n.nspname AS schema, n.oid AS oid,
         'pg_namespace'::regclass AS classid
  FROM pg_namespace n
  UNION ALL
  SELECT CASE c.relkind WHEN 'S' THEN 'sequence' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view'
                        WHEN 'f' THEN 'foreign table' ELSE 'table' END,
         format('%I.%I', n.nspname, c.relname), c.relowner,
         coalesce(c.relacl, acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::"char", c.relowner)),
         n.nspname, c.oid, 'pg_class'::regclass
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm', 'S') AND c.oid <> $2
  UNION ALL
  SELECT 'column', format('%I.%I.%I', n.nspname, c.relname, a.attname), c.relowner,
         a.attacl, n.nspname, c.oid, 'pg_class'::regclass
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE a.attacl IS NOT NULL AND a.attnum > 0 AND NOT a.attisdropped AND c.oid <> $2
  UNION ALL
  SELECT CASE p.prokind WHEN 'p' THEN 'procedure' ELSE 'function' END,
         format('%I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)), p.proowner,
         coalesce(p.proacl, acldefault('f', p.proowner)), n.nspname, p.oid, 'pg_proc'::regclass
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
  WHERE p.prokind IN ('f', 'p', 'w')
  UNION ALL
  SELECT CASE t.typtype WHEN 'd' THEN 'domain' ELSE 'type' END,
         format('%I.%I', n.nspname, t.typname), t.typowner,
         coalesce(t.typacl, acldefault('T', t.typowner)), n.nspname, t.oid, 'pg_type'::regclass
  FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
  WHERE t.typtype IN ('e', 'c', 'd', 'r')
    AND (t.typtype <> 'c' OR (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c')
)
SELECT o.kind, o.name, pg_get_userbyid(o.owner),
       coalesce(CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END, ''),
       coalesce(a.privilege_type, ''),
       coalesce(a.is_grantable, false)
FROM objects o
LEFT JOIN LATERAL aclexplode(o.acl) a ON a.grantee <> o.owner
WHERE o.schema NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND o.schema NOT LIKE 'pg\_temp\_%' AND o.schema NOT LIKE 'pg\_toast\_temp\_%'
  AND o.schema <> ALL ($1::text[])
  AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = o.classid AND d.objid = o.oid AND d.deptype IN ('e', 'i'))
