-- The template databases of one folder (a LIKE pattern of their names, the
-- first parameter) other than the current one (the second parameter), complete
-- ones only (a build in progress elsewhere is not a template yet): the
-- templates of earlier versions of its files, to drop.
SELECT datname FROM pg_database WHERE datname LIKE $1 AND datname <> $2 AND datistemplate ORDER BY datname
