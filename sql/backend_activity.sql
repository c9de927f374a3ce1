-- What a server process is doing, as a second session sees it: its state,
-- its wait event, how long it has waited for the lock it waits for
-- (pg_locks.waitstart exists from PostgreSQL 14 and is read through
-- to_jsonb so that older servers give NULL instead of an error), and the
-- progress that PostgreSQL reports for CREATE INDEX, REINDEX, CLUSTER,
-- VACUUM FULL and VACUUM. Done and total count what the current phase
-- counts (blocks, tuples or lockers); a total of 0 means the phase has no
-- count.
WITH progress (command, phase, done, total, unit) AS (
    SELECT p.command, p.phase,
           CASE WHEN p.phase LIKE 'waiting for%' THEN p.lockers_done
                WHEN p.phase LIKE '%scanning%' THEN p.blocks_done
                ELSE p.tuples_done END,
           CASE WHEN p.phase LIKE 'waiting for%' THEN p.lockers_total
                WHEN p.phase LIKE '%scanning%' THEN p.blocks_total
                ELSE p.tuples_total END,
           CASE WHEN p.phase LIKE 'waiting for%' THEN 'lockers'
                WHEN p.phase LIKE '%scanning%' THEN 'blocks'
                ELSE 'tuples' END
    FROM pg_stat_progress_create_index p
    WHERE p.pid = {pid}
    UNION ALL
    SELECT p.command, p.phase,
           CASE WHEN p.phase = 'seq scanning heap' THEN p.heap_blks_scanned
                WHEN p.phase = 'writing new heap' THEN p.heap_tuples_written
                ELSE p.heap_tuples_scanned END,
           CASE WHEN p.phase = 'seq scanning heap' THEN p.heap_blks_total
                WHEN p.phase = 'writing new heap' THEN p.heap_tuples_scanned
                ELSE 0 END,
           CASE WHEN p.phase = 'seq scanning heap' THEN 'blocks' ELSE 'tuples' END
    FROM pg_stat_progress_cluster p
    WHERE p.pid = {pid}
    UNION ALL
    SELECT 'VACUUM', p.phase,
           CASE WHEN p.phase = 'scanning heap' THEN p.heap_blks_scanned
                WHEN p.phase = 'vacuuming heap' THEN p.heap_blks_vacuumed
                ELSE 0 END,
           CASE WHEN p.phase IN ('scanning heap', 'vacuuming heap') THEN p.heap_blks_total ELSE 0 END,
           'blocks'
    FROM pg_stat_progress_vacuum p
    WHERE p.pid = {pid}
)
SELECT coalesce(a.state, ''),
       coalesce(a.wait_event_type, ''),
       coalesce(a.wait_event, ''),
       (SELECT extract(epoch FROM now() - min((to_jsonb(l) ->> 'waitstart')::timestamptz))::float8
        FROM pg_locks l
        WHERE l.pid = a.pid AND NOT l.granted),
       pr.command,
       pr.phase,
       pr.done,
       pr.total,
       pr.unit
FROM pg_stat_activity a
LEFT JOIN (SELECT * FROM progress LIMIT 1) pr ON true
WHERE a.pid = {pid}
