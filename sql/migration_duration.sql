-- Milliseconds since the current transaction started: inside a migration's
-- transaction, how long the migration took, measured by the server. Rounded
-- up, so that a recorded duration is never 0.
ceil(extract(epoch FROM clock_timestamp() - now()) * 1000)::integer
