-- Session-level advisory lock shared with postgres-migrations (same key), so
-- that runners of either tool on one database exclude each other. Polled,
-- never blocking: a blocking waiter holds a snapshot that makes
-- CREATE INDEX CONCURRENTLY in the holder's session wait for ever.
SELECT pg_try_advisory_lock({key})
