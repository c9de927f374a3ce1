SELECT id, name, hash, executed_at FROM {table} ORDER BY id
