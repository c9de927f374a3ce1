\connect app
CREATE TABLE t (id int);
