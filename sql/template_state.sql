-- Whether a template database of migrated files exists and whether its
-- build completed: a build marks the database as a template (datistemplate)
-- only once every migration is applied, so a database left by a build that
-- died is found but not complete. Also the server's major version, for the
-- clone's strategy. The first parameter is the database name.
SELECT count(*) > 0,
       coalesce(bool_or(datistemplate), false),
       current_setting('server_version_num')::int / 10000
FROM pg_database
WHERE datname = $1
