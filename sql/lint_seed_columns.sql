-- The columns of table $1 that an INSERT must give a value, with their
-- type and its category, for measured lint's seed rows: those with a
-- default, an identity or a generation expression are left to it.
SELECT quote_ident(a.attname), format_type(a.atttypid, a.atttypmod), t.typcategory::text, t.typname::text
FROM pg_attribute AS a
JOIN pg_type AS t ON t.oid = a.atttypid
WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped
  AND NOT a.atthasdef AND a.attidentity = '' AND a.attgenerated = ''
ORDER BY a.attnum
