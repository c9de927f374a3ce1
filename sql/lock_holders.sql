-- Who holds the migration lock: a bigint advisory key is stored as
-- classid (high 32 bits) and objid (low 32 bits) with objsubid 1.
SELECT a.pid,
       coalesce(a.application_name, ''),
       coalesce(extract(epoch FROM now() - a.backend_start), 0)::float8,
       coalesce(a.client_addr::text, 'local')
FROM pg_locks l
JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory'
  AND l.granted
  AND l.objsubid = 1
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND ((l.classid::bigint << 32) | l.objid::bigint) = {key}
  AND a.pid <> pg_backend_pid()
