-- Puts the session back to its connection defaults after a migration, in the
-- migration's own transaction and before its bookkeeping row, so that what
-- the migration SET (search_path, role, session authorization, any other
-- setting) reaches neither pgmig's statements nor the next migration.
-- RESET ALL returns each setting to its value at connect time
-- (application_name and options included); role and session authorization
-- are not part of ALL. Unlike DISCARD ALL it keeps the migration lock.
RESET SESSION AUTHORIZATION;
RESET ROLE;
RESET ALL;
