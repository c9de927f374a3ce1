CREATE DATABASE {name}{options}
