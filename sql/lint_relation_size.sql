-- The size on disk (indexes and TOAST included) and the planner's row
-- estimate of relation $1, named as a migration names it, for lint's
-- findings on the target; no row when there is no such relation.
SELECT pg_total_relation_size(c.oid), c.reltuples::float8
FROM pg_class AS c
WHERE c.oid = to_regclass($1)
