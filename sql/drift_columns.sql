-- Columns of those tables, in table and position order: type, explicit
-- collation, nullability, identity (with its sequence's options),
-- generation and default expression.
-- $1: schemas left out; $2: the tracking table.
SELECT format('%I.%I', n.nspname, c.relname),
       format('%I', a.attname),
       format_type(a.atttypid, a.atttypmod),
       CASE WHEN a.attcollation <> t.typcollation THEN
         (SELECT format('%I.%I', cn.nspname, co.collname)
          FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace
          WHERE co.oid = a.attcollation)
       ELSE '' END,
       a.attnotnull,
       a.attidentity::text,
       a.attgenerated::text,
       coalesce(pg_get_expr(ad.adbin, ad.adrelid), ''),
       coalesce(s.seqincrement, 0), coalesce(s.seqmin, 0), coalesce(s.seqmax, 0),
       coalesce(s.seqstart, 0), coalesce(s.seqcache, 0), coalesce(s.seqcycle, false)
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
LEFT JOIN LATERAL (
  SELECT sq.* FROM pg_depend d JOIN pg_sequence sq ON sq.seqrelid = d.objid
  WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
    AND d.refobjid = a.attrelid AND d.refobjsubid = a.attnum AND d.deptype = 'i'
) s ON a.attidentity <> ''
WHERE a.attnum > 0 AND NOT a.attisdropped
  AND c.relkind IN ('r', 'p', 'f')
  AND c.oid <> $2
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND n.nspname NOT LIKE 'pg\_temp\_%' AND n.nspname NOT LIKE 'pg\_toast\_temp\_%'
  AND n.nspname <> ALL ($1::text[])
  AND NOT EXISTS (SELECT FROM pg_depend d
                  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY 1, a.attnum
