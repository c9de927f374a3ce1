-- The server's version as a number, 170004 for 17.4: lint follows its
-- major version.
SELECT current_setting('server_version_num')::int
