-- Session-level advisory lock shared with postgres-migrations (same key), so
-- that runners of either tool on one database exclude each other. Polled,
-- never blocking: a blocking waiter holds a snapshot that makes
-- CREATE INDEX CONCURRENTLY in the holder's session wait for ever.
--
-- In the same round trip: whether the server is a hot standby or the session
-- read-only (then the lock is not even tried), the server process, and
-- whether that process held the lock before this call. A new connection's
-- server process never does, unless a pooler hands one server session to
-- several clients (PgBouncer in transaction or statement mode); the lock is
-- re-entrant, so that case would otherwise look like success.
--
-- Whether the lock was granted is also kept, for this transaction only, in
-- the setting pgmig.noop_lock_granted: sql/noop_check.sql, sent in the same
-- query string (one implicit transaction), releases the lock only when it
-- reads 'true' there. Alone, this statement's transaction ends with it and
-- the setting goes with it.
WITH state AS MATERIALIZED (
  SELECT pg_is_in_recovery() AS standby,
         current_setting('transaction_read_only') = 'on' AS read_only,
         EXISTS (SELECT 1 FROM pg_locks l
                 WHERE l.locktype = 'advisory' AND l.pid = pg_backend_pid() AND l.granted
                   AND l.objsubid = 1
                   AND ((l.classid::bigint << 32) | l.objid::bigint) = {key}) AS held
)
SELECT standby,
       read_only,
       held,
       set_config('pgmig.noop_lock_granted',
                  (CASE WHEN standby OR read_only THEN false ELSE pg_try_advisory_lock({key}) END)::text,
                  true)::boolean,
       pg_backend_pid()
FROM state
