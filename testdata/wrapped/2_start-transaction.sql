-- Adds balances; the whole file is one transaction.

START TRANSACTION;

ALTER TABLE accounts ADD COLUMN balance numeric NOT NULL DEFAULT 0;

CREATE FUNCTION credit(acct bigint, amount numeric) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE accounts SET balance = balance + amount WHERE id = acct;
END;
$$;

END;

-- end of file
