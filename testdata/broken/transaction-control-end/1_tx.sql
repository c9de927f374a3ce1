CREATE TABLE a (id int);

END;
