-- Releases the migration lock, and tells on which server process: behind a
-- pooler that changes server sessions, the release may reach another one.
SELECT pg_advisory_unlock({key}), pg_backend_pid()
