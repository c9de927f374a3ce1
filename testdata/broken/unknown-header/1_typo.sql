-- pgmig disable-transactoin
CREATE TABLE t (id int);
