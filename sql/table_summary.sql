-- Row count, highest id and whether postgres-migrations' row 0 is there, of
-- a table found by tracking_tables.sql.
SELECT count(*),
       coalesce(max(id), 0)::bigint,
       coalesce(bool_or(id = 0 AND name = 'create-migrations-table'), false)
FROM {table}
