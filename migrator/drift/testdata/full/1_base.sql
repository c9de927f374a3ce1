CREATE SCHEMA app;
CREATE EXTENSION IF NOT EXISTS plpgsql;
CREATE TYPE app.mood AS ENUM ('sad', 'ok', 'happy');
CREATE TYPE app.pair AS (a integer, b text COLLATE "C");
CREATE TYPE app.floatrange AS RANGE (subtype = float8);
CREATE DOMAIN app.posint AS integer NOT NULL DEFAULT 1 CONSTRAINT positive CHECK (VALUE > 0);
CREATE SEQUENCE app.counter AS integer INCREMENT BY 5 MINVALUE 10 MAXVALUE 1000 START WITH 20 CACHE 2 CYCLE;

CREATE TABLE app.users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text COLLATE "C" NOT NULL UNIQUE,
    name varchar(100) DEFAULT 'anon',
    mood app.mood DEFAULT 'ok',
    score numeric(10, 2) CHECK (score >= 0),
    lower_email text GENERATED ALWAYS AS (lower(email)) STORED,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE app.orders (
    id serial PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES app.users (id) ON DELETE CASCADE,
    total numeric,
    status text DEFAULT 'new'::text CHECK (status IN ('new', 'paid', 'sent'))
) WITH (fillfactor = 80);
CREATE INDEX orders_user_idx ON app.orders (user_id) WHERE total > 0;
CREATE INDEX users_name_lower ON app.users (lower(name) text_pattern_ops) INCLUDE (mood);

CREATE TABLE app.events (
    id bigint NOT NULL,
    at date NOT NULL,
    payload jsonb
) PARTITION BY RANGE (at);
CREATE TABLE app.events_2024 PARTITION OF app.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE app.events_default PARTITION OF app.events DEFAULT;
CREATE INDEX events_at_idx ON app.events (at);
ALTER TABLE app.events ADD PRIMARY KEY (id, at);

CREATE UNLOGGED TABLE app.cache (k text PRIMARY KEY, v text);
CREATE SCHEMA reporting;
CREATE EXTENSION tsm_system_rows;
CREATE TABLE app.pairs (a int, b int, c int);
