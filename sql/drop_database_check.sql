-- Before dropping a database: whether it exists, whether the server is a hot
-- standby, which database this session is connected to (pgmig never drops
-- its own), and the server version (WITH (FORCE) needs 13).
SELECT count(*), pg_is_in_recovery(), current_database(),
       current_setting('server_version_num')::int
FROM pg_database WHERE datname = {name}
