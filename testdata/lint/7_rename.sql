SET lock_timeout = '2s';
-- Reviewed: the application reads both names through a view since 1.4.
-- pgmig lint-ignore rename-column
ALTER TABLE customers RENAME COLUMN name TO full_name;
-- pgmig lint-ignore drop-table
ALTER TABLE orders ADD COLUMN total numeric(12,2) DEFAULT 0;
