-- The table locks the current session holds, for measured lint.
SELECT relation::int8, mode
FROM pg_locks
WHERE pid = pg_backend_pid() AND locktype = 'relation' AND granted
