CREATE VIEW app.active_users AS
  SELECT u.id, u.email, count(o.id) AS orders, sum(o.total)::numeric(12,2) AS spent
  FROM app.users u LEFT JOIN app.orders o ON o.user_id = u.id AND o.status <> 'new'
  WHERE u.mood IN ('ok', 'happy')
  GROUP BY u.id, u.email
  HAVING count(*) > 1;
CREATE VIEW app.big_orders WITH (security_barrier) AS
  SELECT * FROM app.orders WHERE total > 100 WITH CASCADED CHECK OPTION;
CREATE MATERIALIZED VIEW app.order_totals AS
  SELECT user_id, sum(total) AS total FROM app.orders GROUP BY user_id;
CREATE UNIQUE INDEX order_totals_user ON app.order_totals (user_id);

CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.created_at := now();
  RETURN NEW;
END
$$;
CREATE FUNCTION app.add(a integer, b integer DEFAULT 1) RETURNS integer
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS 'SELECT a + b';
CREATE FUNCTION app.secret() RETURNS text LANGUAGE sql STABLE SECURITY DEFINER SET search_path = app AS $$ SELECT 'x' $$;
CREATE PROCEDURE app.cleanup(days integer) LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM app.orders WHERE status = 'sent';
END
$$;
CREATE TRIGGER users_touch BEFORE INSERT OR UPDATE OF email ON app.users
  FOR EACH ROW WHEN (NEW.email IS NOT NULL) EXECUTE FUNCTION app.touch();
CREATE TRIGGER events_audit AFTER INSERT ON app.events FOR EACH ROW EXECUTE FUNCTION app.touch();

ALTER TABLE app.orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_orders ON app.orders FOR SELECT TO PUBLIC USING (user_id = current_setting('app.user')::bigint);
CREATE POLICY no_delete ON app.orders AS RESTRICTIVE FOR DELETE USING (false);

COMMENT ON SCHEMA app IS 'The application';
COMMENT ON TABLE app.users IS 'People';
COMMENT ON COLUMN app.users.email IS 'Login';
COMMENT ON FUNCTION app.add(integer, integer) IS 'Adds';
COMMENT ON CONSTRAINT orders_status_check ON app.orders IS 'Known states';
COMMENT ON TYPE app.mood IS 'Feelings';
COMMENT ON INDEX app.orders_user_idx IS 'For lookups';
COMMENT ON TRIGGER users_touch ON app.users IS 'Stamps';
COMMENT ON VIEW app.active_users IS 'Active';
