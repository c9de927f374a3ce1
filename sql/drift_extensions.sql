-- Extensions with their schema and version. $1: schemas left out.
SELECT format('%I', e.extname), format('%I', n.nspname), e.extversion
FROM pg_extension e
JOIN pg_namespace n ON n.oid = e.extnamespace
WHERE n.nspname <> ALL ($1::text[])
