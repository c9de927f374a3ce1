-- Whether a database exists, and whether the server is a hot standby (where
-- pgmig creates nothing, even when the database exists).
SELECT count(*), pg_is_in_recovery() FROM pg_database WHERE datname = {name}
