-- The duration placeholder is duration_ms where the table has that column
-- (tables that pgmig created), else NULL.
SELECT id, name, hash, executed_at, {duration} FROM {table} ORDER BY id
