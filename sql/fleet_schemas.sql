-- The tenant schemas of a fleet run: every schema of this database whose
-- name matches a LIKE pattern (the first parameter), leaving out the
-- system schemas (pg_catalog, pg_toast, temporary schemas and
-- information_schema).
SELECT nspname
FROM pg_namespace
WHERE nspname LIKE $1
  AND nspname NOT LIKE 'pg\_%'
  AND nspname <> 'information_schema'
ORDER BY nspname
