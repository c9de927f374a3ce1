-- The no-op check, sent after try_lock.sql in the same simple query (one
-- round trip). PostgreSQL runs the statements of one query string in
-- order, each with a snapshot of its own under READ COMMITTED, so this one
-- reads the tracking table after the lock was taken.
--
-- It digests the rows as the client digests what they must be for a run
-- with nothing to do (row 0 and one row per file): "id/name/hash" per row
-- in id order, joined by line breaks, SHA-256. The expected names hold no
-- '/' and no line break, so only the expected rows digest alike. The hash is
-- compared as stored: a table that stores hashes in another case or
-- padded does not match here and is read row by row, as hashcheck.Equal
-- compares them. When the digests agree it releases the lock at once: a
-- no-op then costs this one round trip. The release only happens with the
-- lock granted to this session (try_lock.sql says so in the transaction's
-- setting pgmig.noop_lock_granted) and under READ COMMITTED (under a
-- stricter isolation the transaction's snapshot predates the lock);
-- otherwise the client reads the rows as usual.
--
-- The table's schema and kind come along (pg_identify_object on pg_class,
-- OID 1259: the schema quoted as needed, the kind "table" for a table or
-- a partitioned table), and whether its columns have
-- types a tracking table may have (checked on one row: a column's type is
-- the same on every row), by the built-in types' fixed OIDs: smallint 21,
-- integer 23, bigint 20; text 25, character 1042, character varying 1043;
-- timestamp 1114, timestamptz 1184. These are the types requiredColumns
-- in migrator/table.go accepts.
WITH d AS (
  SELECT sha256(convert_to(coalesce(string_agg(concat(id, '/', name, '/', hash), E'\n' ORDER BY id), ''), 'UTF8')) AS digest,
         count(*)::int AS n
  FROM {table}
)
SELECT d.n,
       d.digest = {digest}::bytea,
       o.schema,
       o.type,
       (SELECT pg_typeof(id)::oid IN (20, 21, 23)
               AND pg_typeof(name)::oid IN (25, 1043)
               AND pg_typeof(hash)::oid IN (25, 1042, 1043)
               AND pg_typeof(executed_at)::oid IN (1114, 1184)
        FROM {table} LIMIT 1),
       CASE WHEN d.digest = {digest}::bytea
             AND current_setting('transaction_isolation') = 'read committed'
             AND current_setting('pgmig.noop_lock_granted', true) = 'true'
            THEN pg_advisory_unlock({key})
            ELSE false
       END
FROM d
LEFT JOIN LATERAL pg_identify_object(1259, to_regclass({regclass}), 0) o ON true
