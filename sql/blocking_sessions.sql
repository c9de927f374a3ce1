-- The sessions that block a server process (pg_blocking_pids: holders
-- of conflicting locks and sessions queued ahead of it), with what an
-- operator needs to decide about them: how long the transaction has been
-- open and how long the session has been in its current state.
SELECT a.pid,
       coalesce(a.usename::text, ''),
       coalesce(a.application_name, ''),
       coalesce(a.client_addr::text, 'local'),
       coalesce(a.state, ''),
       coalesce(extract(epoch FROM now() - a.xact_start), 0)::float8,
       coalesce(extract(epoch FROM now() - a.state_change), 0)::float8,
       left(coalesce(a.query, ''), 200)
FROM pg_stat_activity a
WHERE a.pid = ANY (pg_blocking_pids({pid}))
ORDER BY a.pid
