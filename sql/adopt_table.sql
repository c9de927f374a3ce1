-- Resolves another migration tool's history table the way PostgreSQL itself
-- would (search_path, or the schema in the name) and lists its columns, for
-- pgmig adopt. One row with a NULL schema means that no such table exists;
-- the search path comes with every row for the message that says so.
SELECT n.nspname,
       c.relname,
       quote_ident(n.nspname) || '.' || quote_ident(c.relname),
       c.relkind::text,
       a.attname,
       format_type(a.atttypid, a.atttypmod),
       array_to_string(current_schemas(false), ', ')
FROM (SELECT to_regclass({regclass}) AS oid) r
LEFT JOIN pg_class c ON c.oid = r.oid
LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
