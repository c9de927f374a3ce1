-- goose's history (goose_db_version), oldest row first: for each version
-- the newest row says whether it is applied. Version 0 is the row goose
-- writes when it creates the table.
SELECT version_id::text, is_applied, tstamp::timestamptz
FROM {table}
ORDER BY id
