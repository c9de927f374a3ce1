-- The tracking table as the session's search path resolves it ($1 is a
-- regclass text, quoted where needed), 0 when there is none.
SELECT coalesce(to_regclass($1)::oid, 0)
