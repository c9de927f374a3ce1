-- pgmig disable-transaction
-- Built without locking writes; pgmig runs these statements one by one,
-- outside a transaction, as CREATE INDEX CONCURRENTLY requires.
CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_user_id ON orders (user_id);
ALTER TYPE order_status ADD VALUE IF NOT EXISTS 'shipped';
