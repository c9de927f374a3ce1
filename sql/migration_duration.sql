-- Milliseconds since the current transaction started: inside a migration's
-- transaction, how long the migration took, measured by the server.
(extract(epoch FROM clock_timestamp() - now()) * 1000)::integer
