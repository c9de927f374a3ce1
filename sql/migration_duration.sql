-- Milliseconds since the current query string arrived: inside a migration's
-- query string, how long the migration took, measured by the server (also
-- when several migrations share one transaction). Rounded up, so that a
-- recorded duration is never 0.
ceil(extract(epoch FROM clock_timestamp() - statement_timestamp()) * 1000)::integer
