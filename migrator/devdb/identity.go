package devdb

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	pgsql "github.com/pgmig/pgmig/sql"
)

// identity tells a server and database apart from others.
type identity struct {
	system     string // system identifier, else address:port
	database   string
	version    string
	versionNum int
}

// identify reads the identity of db's server and database. A role that may
// not call pg_control_system (SQLSTATE 42501) gets the server's address
// and port instead.
func identify(ctx context.Context, db *sql.DB) (identity, error) {
	var id identity
	err := db.QueryRowContext(ctx, pgsql.ServerIdentity).Scan(&id.system, &id.database, &id.version, &id.versionNum)
	if err != nil && sqlState(err) == "42501" {
		err = db.QueryRowContext(ctx, pgsql.ServerIdentityFallback).Scan(&id.system, &id.database, &id.version, &id.versionNum)
	}
	return id, err
}

// sameDatabase reports whether id and other are the same database of the
// same server.
func (id identity) sameDatabase(other identity) bool {
	return id.system == other.system && id.database == other.database
}

// server describes the server of id.
func (id identity) server() Server {
	version, _, _ := strings.Cut(id.version, " ") // "15.10 (Debian 15.10-1)"
	return Server{Version: version, VersionNum: id.versionNum, Major: id.versionNum / 10000}
}

// sqlState returns the SQLSTATE of a driver error, or "".
func sqlState(err error) string {
	var s interface{ SQLState() string }
	if errors.As(err, &s) {
		return s.SQLState()
	}
	return ""
}
