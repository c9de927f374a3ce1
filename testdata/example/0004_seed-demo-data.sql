INSERT INTO users (email) VALUES ('ada@example.com'), ('alan@example.com');

INSERT INTO orders (user_id, total)
SELECT id, 10 * id FROM users;
