-- The settings that end a statement or a session after a time, their values
-- and where each value comes from (role, database, configuration file, ...).
SELECT name, setting, coalesce(unit, ''), source
FROM pg_settings
WHERE name IN ('statement_timeout', 'lock_timeout', 'idle_in_transaction_session_timeout',
               'idle_session_timeout', 'transaction_timeout')
