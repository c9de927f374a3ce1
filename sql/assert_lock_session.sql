-- The first statement of every migration's transaction: stop before anything
-- of the migration runs when the transaction is not on the server process
-- that holds the migration lock (a pooler moved the session). SQLSTATE PGM01
-- is pgmig's own.
DO $pgmig$BEGIN IF pg_backend_pid() <> {pid} THEN RAISE EXCEPTION USING ERRCODE = 'PGM01', MESSAGE = 'this transaction runs on server process ' || pg_backend_pid() || ', not on process {pid}, which holds the migration lock'; END IF; END$pgmig$;
