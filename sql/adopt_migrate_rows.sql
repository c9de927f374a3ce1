-- golang-migrate's state (schema_migrations): one row, the current version
-- and whether its last run failed half-way (dirty).
SELECT version::text, dirty
FROM {table}
