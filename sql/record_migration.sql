INSERT INTO {table} (id, name, hash) VALUES ({id}, {name}, {hash})
