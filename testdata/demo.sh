#!/usr/bin/env bash
# make demo: runs pgmig createdb and pgmig apply on testdata/example against
# the configured database ($PGMIG_DATABASE_URL, $DATABASE_URL or PG* variables),
# or, when none is configured, against a throwaway local PostgreSQL started
# here and removed at exit.
set -euo pipefail
cd "$(dirname "$0")/.."
pgmig=./bin/pgmig
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

if [ -z "${PGMIG_DATABASE_URL:-}${DATABASE_URL:-}${PGHOST:-}${PGDATABASE:-}" ]; then
  bindir="${PGMIG_PG_BINDIR:-}"
  if [ -z "$bindir" ]; then
    if command -v initdb >/dev/null 2>&1; then
      bindir=$(dirname "$(command -v initdb)")
    else
      bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
    fi
  fi
  if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
    echo "no database configured and no PostgreSQL server binaries found;" >&2
    echo "set DATABASE_URL, or install PostgreSQL (apt-get install postgresql), or run 'docker compose up -d'" >&2
    exit 1
  fi
  tmp=$(mktemp -d /tmp/pgmig-demo.XXXXXX)
  run=()
  if [ "$(id -u)" -eq 0 ]; then # PostgreSQL refuses to run as root
    user=postgres; id "$user" >/dev/null 2>&1 || user=nobody
    chown "$user" "$tmp"
    run=(runuser -u "$user" --)
  fi
  port=$((20000 + RANDOM % 20000))
  say "starting a throwaway PostgreSQL ($("$bindir/postgres" --version)) on 127.0.0.1:$port"
  "${run[@]}" "$bindir/initdb" -D "$tmp/data" -U postgres --auth=trust -E UTF8 --locale=C --no-sync >/dev/null
  cleanup() {
    "${run[@]}" "$bindir/pg_ctl" -D "$tmp/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$tmp"
  }
  trap cleanup EXIT
  "${run[@]}" "$bindir/pg_ctl" -D "$tmp/data" -l "$tmp/server.log" -w \
    -o "-p $port -k $tmp -c listen_addresses=127.0.0.1" start >/dev/null
  export PGMIG_DATABASE_URL="postgres://postgres@127.0.0.1:$port/pgmig_demo?sslmode=disable"
else
  say "using the configured database"
fi

say "pgmig createdb"
$pgmig --log-format console createdb
say "pgmig apply testdata/example"
$pgmig --log-format console apply testdata/example
say "pgmig apply testdata/example (again: nothing to do)"
$pgmig --log-format console apply testdata/example
if command -v psql >/dev/null 2>&1; then
  url="${PGMIG_DATABASE_URL:-${DATABASE_URL:-}}"
  say "the tracking table"
  psql ${url:+"$url"} -X -c 'SELECT id, name, hash, executed_at FROM migrations ORDER BY id'
  say "what the migrations built"
  psql ${url:+"$url"} -X -c 'SELECT u.email, o.status, o.total FROM orders o JOIN users u ON u.id = o.user_id ORDER BY o.id'
fi
