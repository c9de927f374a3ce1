-- Flyway's history (flyway_schema_history) in the order it was written.
-- Repeatable migrations have no version.
SELECT installed_rank, version, description, type, script, success, installed_on::timestamptz
FROM {table}
ORDER BY installed_rank
