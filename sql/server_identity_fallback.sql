-- The identity of the connected server and database where the role may
-- not call pg_control_system: the server's address and port instead of
-- the system identifier (empty and 0 over a unix socket).
SELECT coalesce(host(inet_server_addr()), '') || ':' || coalesce(inet_server_port(), 0),
       current_database(),
       current_setting('server_version'),
       current_setting('server_version_num')::int
