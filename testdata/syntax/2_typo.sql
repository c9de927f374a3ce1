-- PostgreSQL 18 syntax, which the parser (17) rejects and pgmig reads as 18 does: no warning
ALTER TABLE accounts ADD CONSTRAINT accounts_email_nn NOT NULL email NOT VALID;

CREATE TABLE sessions (id bigint, account_id bigint,);
