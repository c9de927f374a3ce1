CREATE TABLE t (id int); -- postgres-migrations disable-transaction
