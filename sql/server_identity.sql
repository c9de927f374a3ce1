-- The identity of the connected server and database, to tell whether two
-- connections reach the same database: the cluster's system identifier,
-- the database's name and the server version (text and number).
SELECT (SELECT system_identifier::text FROM pg_control_system()),
       current_database(),
       current_setting('server_version'),
       current_setting('server_version_num')::int
