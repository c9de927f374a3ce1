begin;
DO $$
BEGIN
  CREATE TABLE audit (at timestamptz DEFAULT now());
END
$$;
commit;
