-- Tables in any schema with the columns of a tracking table (id, name, hash,
-- executed_at), looked up when the tracking table is not found where pgmig
-- looks: such a table elsewhere means that the search path or the table
-- setting is wrong, not that the database is new. readable says whether
-- this role may count its rows.
SELECT n.nspname,
       c.relname,
       format('%I.%I', n.nspname, c.relname),
       has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(c.oid, 'SELECT'),
       array_to_string(current_schemas(false), ', ')
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname !~ '^pg_(toast|temp_)'
  AND (SELECT count(*)
       FROM pg_attribute a
       WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
         AND a.attname IN ('id', 'name', 'hash', 'executed_at')) = 4
ORDER BY 1, 2
