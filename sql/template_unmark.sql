-- Turns a template back into a plain database, so that it can be dropped.
ALTER DATABASE {name} IS_TEMPLATE false
