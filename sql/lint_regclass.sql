-- The oid of a relation named as a migration names it ($1), 0 when there
-- is none.
SELECT coalesce(to_regclass($1)::oid::int8, 0)
