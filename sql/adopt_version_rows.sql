-- The versions of a table with a version column alone: tern's
-- schema_version (one row, the current version) and dbmate's
-- schema_migrations (one row per applied version).
SELECT version::text
FROM {table}
ORDER BY 1
