-- The invalid index of a given name on a given table (a regclass literal) that a
-- failed CREATE INDEX CONCURRENTLY left behind, as a qualified name to drop.
SELECT c.oid::regclass::text
FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid
WHERE i.indrelid = to_regclass({table}) AND c.relname = {name} AND NOT i.indisvalid
