-- Before DROP DATABASE on PostgreSQL 12, which has no WITH (FORCE): end every
-- other session connected to the database.
SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
WHERE datname = {name} AND pid <> pg_backend_pid()
