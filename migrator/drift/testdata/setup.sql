-- Roles are global: the migrations of testdata/full expect this one.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pgmig_drift_reader') THEN
    CREATE ROLE pgmig_drift_reader;
  END IF;
END
$$;
