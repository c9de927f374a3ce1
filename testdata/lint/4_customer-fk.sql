-- pgmig lock-timeout 2s
ALTER TABLE orders ALTER COLUMN note TYPE varchar(200);
ALTER TABLE orders ADD CONSTRAINT orders_customer_fk
  FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;
