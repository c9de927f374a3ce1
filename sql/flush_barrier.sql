-- A transaction with a transaction id, committed with the session's
-- synchronous_commit: it returns once the WAL up to its commit, and so every
-- earlier asynchronous commit, is flushed. Used after a failure when
-- migrations of the run were committed asynchronously.
BEGIN;
SELECT txid_current();
COMMIT;
