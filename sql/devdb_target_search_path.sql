-- The search path of the target's session (its database's and role's
-- settings and the connection's options included), for the dev database.
SELECT current_setting('search_path')
