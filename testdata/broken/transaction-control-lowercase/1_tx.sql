CREATE TABLE a (id int);
commit;
CREATE TABLE b (id int);
