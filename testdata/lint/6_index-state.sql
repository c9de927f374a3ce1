-- pgmig disable-transaction
CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_state_idx ON orders (state);
