INSERT INTO customers (email) VALUES ('first@example.com');
INSERT INTO orders (customer_id, total) SELECT id, 10 FROM customers;
INSERT INTO refunds (order_id, amount) SELECT id, 2.5 FROM orders;
