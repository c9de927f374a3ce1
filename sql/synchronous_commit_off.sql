-- Makes a migration's commit not wait for the WAL flush; it stands just
-- before the bookkeeping row, after the session reset (which would undo it).
-- pgmig uses it for every migration of a run but the last; the last one
-- commits synchronously, which flushes everything committed before it, so
-- all is durable when pgmig reports success, and a crash in between loses
-- at most a suffix of commits: the database keeps a consistent prefix.
SET LOCAL synchronous_commit TO off;
