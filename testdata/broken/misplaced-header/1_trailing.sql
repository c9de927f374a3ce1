CREATE INDEX CONCURRENTLY i ON t (id); -- postgres-migrations disable-transaction
