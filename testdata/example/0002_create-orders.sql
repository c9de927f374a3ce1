CREATE TYPE order_status AS ENUM ('new', 'paid');

CREATE TABLE orders (
  id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users (id),
  status  order_status NOT NULL DEFAULT 'new',
  total   numeric(12, 2) NOT NULL CHECK (total >= 0)
);
