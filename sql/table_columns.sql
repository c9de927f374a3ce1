-- Resolves the tracking table the way PostgreSQL itself would (search_path,
-- or the explicit schema in the name) and lists its columns. One row with a
-- NULL oid means the table does not exist.
SELECT c.oid::regclass::text,
       n.nspname,
       a.attname,
       format_type(a.atttypid, a.atttypmod),
       c.relkind::text
FROM (SELECT to_regclass({regclass}) AS oid) r
LEFT JOIN pg_class c ON c.oid = r.oid
LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
