-- Session advisory lock around the build of one template database, keyed
-- by its name (the first parameter, a bigint), so that parallel tests and
-- several test binaries build it once. Polled, never blocking.
SELECT pg_try_advisory_lock($1)
