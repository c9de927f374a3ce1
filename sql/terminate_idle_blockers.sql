-- Terminates the sessions that block a server process and have been idle
-- in a transaction (also an aborted one) for longer than a given number of
-- seconds, measured from state_change: the moment the session went idle,
-- not the start of its transaction. A session that runs a query (state
-- 'active') is never terminated. The checks and the termination happen in
-- one statement, so a blocker that has gone away or no longer blocks is
-- left alone.
SELECT a.pid,
       coalesce(a.usename::text, ''),
       coalesce(a.application_name, ''),
       coalesce(a.client_addr::text, 'local'),
       a.state,
       coalesce(extract(epoch FROM now() - a.xact_start), 0)::float8,
       coalesce(extract(epoch FROM now() - a.state_change), 0)::float8,
       left(coalesce(a.query, ''), 200),
       pg_terminate_backend(a.pid)
FROM pg_stat_activity a
WHERE a.pid = ANY (pg_blocking_pids({pid}))
  AND a.state IN ('idle in transaction', 'idle in transaction (aborted)')
  AND now() - a.state_change > make_interval(secs => {seconds})
ORDER BY a.pid
