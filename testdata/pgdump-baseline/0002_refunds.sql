-- The first migration after the baseline: unqualified names, as people write
-- them. The baseline's dump emptied search_path for its session; this file
-- must start from the connection's defaults again.
CREATE TABLE refunds (
  id serial PRIMARY KEY,
  order_id integer NOT NULL REFERENCES orders (id),
  amount numeric(12,2) NOT NULL CHECK (amount > 0)
);

CREATE FUNCTION refunded(o integer) RETURNS numeric LANGUAGE sql STABLE AS $$
  SELECT coalesce(sum(amount), 0) FROM refunds WHERE order_id = o
$$;
