-- Opens a migration's transaction whose commit does not wait for the WAL
-- flush. pgmig uses it for every migration of a run but the last; the last
-- one commits synchronously, which flushes everything committed before it,
-- so all is durable when pgmig reports success, and a crash in between loses
-- at most a suffix of commits: the database keeps a consistent prefix.
BEGIN;
SET LOCAL synchronous_commit TO off;
