-- pgmig lock-timeout 2s
ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_fk;
