module github.com/pgmig/pgmig

go 1.24

require (
	github.com/alecthomas/kong v1.17.0
	github.com/lib/pq v1.12.3
	github.com/mattn/go-isatty v0.0.20
	github.com/rs/zerolog v1.35.1
	golang.org/x/sys v0.29.0
)

require github.com/mattn/go-colorable v0.1.14 // indirect
