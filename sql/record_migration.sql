-- The duration placeholders are empty for tables without a duration_ms
-- column (tables that postgres-migrations created).
INSERT INTO {table} (id, name, hash{duration_col}) VALUES ({id}, {name}, {hash}{duration_val})
