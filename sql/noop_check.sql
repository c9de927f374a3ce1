-- The no-op check, sent after try_lock.sql in the same simple query (one
-- round trip). PostgreSQL runs the statements of one query string in
-- order, each with a snapshot of its own under READ COMMITTED, so this one
-- reads the tracking table after the lock was taken.
--
-- It digests the rows as the client digests what they must be for a run
-- with nothing to do (row 0 and one row per file: id, name, hash), and when
-- the two agree it releases the lock at once: a no-op then costs this one
-- round trip. The release only happens with the lock granted to this
-- session and under READ COMMITTED (under a stricter isolation the
-- transaction's snapshot predates the lock); otherwise the client reads the
-- rows as usual. The lengths make the digest's input unambiguous; hashes are
-- compared as hashcheck.Equal does (case and padding aside). The table's
-- schema, kind and column types come along for the client's layout check
-- (pg_typeof prints a type as format_type does, without the modifier).
WITH d AS (
  SELECT encode(sha256(convert_to(coalesce(
           string_agg(id::text || ':' || length(name)::text || ':' || name || ':' || lower(btrim(hash)),
                      E'\n' ORDER BY id), ''), 'UTF8')), 'hex') AS digest,
         count(*)::int AS n,
         min(pg_typeof(id)::text) AS id_type,
         min(pg_typeof(name)::text) AS name_type,
         min(pg_typeof(hash)::text) AS hash_type,
         min(pg_typeof(executed_at)::text) AS executed_at_type
  FROM {table}
)
SELECT d.n,
       d.digest = {digest},
       n.nspname::text,
       c.relkind::text,
       d.id_type, d.name_type, d.hash_type, d.executed_at_type,
       CASE WHEN d.digest = {digest}
             AND current_setting('transaction_isolation') = 'read committed'
             AND EXISTS (SELECT 1 FROM pg_locks l
                         WHERE l.locktype = 'advisory' AND l.pid = pg_backend_pid() AND l.granted
                           AND l.objsubid = 1
                           AND ((l.classid::bigint << 32) | l.objid::bigint) = {key})
            THEN pg_advisory_unlock({key})
            ELSE false
       END
FROM d
LEFT JOIN pg_class c ON c.oid = to_regclass({regclass})
LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
