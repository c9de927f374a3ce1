-- Sets a migration's lock_timeout or statement_timeout: LOCAL inside its
-- transaction (the session reset before the bookkeeping row undoes it, so
-- it never applies to pgmig's own statements), for the session before the
-- statements of a disable-transaction file (reset with the row likewise).
SET {scope}{setting} = {value};
