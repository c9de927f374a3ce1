-- The tracking table of postgres-migrations 5.x ("migration 0"), column for
-- column, and its row 0 with the hash postgres-migrations checks, so that
-- either tool continues a database the other one started. duration_ms is
-- pgmig's addition: nullable, and unknown to postgres-migrations, which names
-- its columns when it inserts. Sent as one query string, the two statements
-- run as one implicit transaction, or inside the caller's own transaction
-- (recording migrations as applied creates the table in the transaction of
-- its rows).
CREATE TABLE {table} (
  id integer PRIMARY KEY,
  name varchar(100) UNIQUE NOT NULL,
  hash varchar(40) NOT NULL,
  executed_at timestamp DEFAULT current_timestamp,
  duration_ms integer
);
INSERT INTO {table} (id, name, hash)
VALUES (0, 'create-migrations-table', 'e18db593bcde2aca2a408c4d1100f6abba2195df');
