ALTER TABLE orders ADD COLUMN state text;
UPDATE orders SET state = 'new';
ALTER TABLE orders ALTER COLUMN state SET NOT NULL;
