-- Releases the lock of a template build (the first parameter).
SELECT pg_advisory_unlock($1)
