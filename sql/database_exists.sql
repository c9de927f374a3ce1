SELECT count(*) FROM pg_database WHERE datname = {name}
