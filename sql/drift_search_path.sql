-- Print every name outside pg_catalog schema-qualified for the rest of the
-- transaction, so that definitions do not depend on the session's path.
SELECT set_config('search_path', 'pg_catalog', true), current_user
