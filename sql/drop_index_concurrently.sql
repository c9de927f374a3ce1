-- Drops the invalid index a failed CREATE INDEX CONCURRENTLY left, before
-- the statement runs again.
DROP INDEX CONCURRENTLY IF EXISTS {index}
