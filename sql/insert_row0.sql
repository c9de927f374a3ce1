-- Row 0 of a tracking table that exists without it (created by hand or by
-- another tool), as postgres-migrations adds it: its built-in "migration 0".
INSERT INTO {table} (id, name, hash)
VALUES (0, 'create-migrations-table', 'e18db593bcde2aca2a408c4d1100f6abba2195df')
