-- The databases of a fleet run: every database whose name matches a LIKE
-- pattern (the first parameter), leaving out templates, databases that
-- refuse connections, the database of this session (the one used to list)
-- and the maintenance database postgres.
SELECT datname
FROM pg_database
WHERE datname LIKE $1
  AND NOT datistemplate
  AND datallowconn
  AND datname <> current_database()
  AND datname <> 'postgres'
ORDER BY datname
