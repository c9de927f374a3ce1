DROP DATABASE IF EXISTS {name}{options}
