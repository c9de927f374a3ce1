-- The server process serving this connection.
SELECT pg_backend_pid()
