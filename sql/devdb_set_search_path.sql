-- Sets the session's search path to $1, which ALTER DATABASE ... SET
-- search_path FROM CURRENT then gives the dev database.
SELECT set_config('search_path', $1, false)
