package main

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"

	neturl "net/url"

	"github.com/lib/pq"
	"github.com/pgmig/pgmig/cmd/pgmig/internal/predial"
	"github.com/pgmig/pgmig/migrator"
)

// connSettings are the resolved connection settings.
type connSettings struct {
	cfg    pq.Config
	source string // where the settings came from, for messages
}

// resolveSettings builds the connection settings from, in order: --url,
// PGMIG_DATABASE_URL, DATABASE_URL, and else the libpq PG* variables and
// defaults (which also fill in what a URL leaves out). Every password seen
// is registered with red so that it never appears in output.
func resolveSettings(url string, red *redactor) (*connSettings, error) {
	return resolveSettingsFrom(url, "--url", red)
}

// resolveSettingsFrom is resolveSettings for a URL given by the flag
// source (for example --dev-url), which its errors name.
func resolveSettingsFrom(url, source string, red *redactor) (*connSettings, error) {
	s, err := predial.Resolve(url)
	switch {
	case s.Env != "":
		source = s.Env
	case s.URL == "":
		source = "PG* environment variables and defaults"
	}
	red.add(urlPassword(s.URL))
	red.add(dsnPassword(s.URL))
	red.add(os.Getenv("PGPASSWORD"))
	if err != nil {
		// A *url.Error quotes the whole URL, password included, in an
		// escaped form the redactor might not match: keep only its reason.
		var ue *neturl.Error
		if errors.As(err, &ue) {
			err = fmt.Errorf("invalid URL: %w", ue.Err)
		}
		if v, ok := unsupportedEnv(err); ok {
			// lib/pq refuses some libpq variables outright (PGGSSENCMODE,
			// PGCHANNELBINDING, ...): name the variable, not the URL.
			return nil, &usageError{msg: fmt.Sprintf("invalid connection settings: $%s is set in the environment, and pgmig's driver "+
				"(lib/pq) does not support it; unset it for pgmig (for example: env -u %s pgmig ...)", v, v)}
		}
		return nil, &usageError{msg: fmt.Sprintf("invalid connection settings (from %s): %s", source, red.redact(err.Error()))}
	}
	red.add(s.Config.Password)
	return &connSettings{cfg: s.Config, source: source}, nil
}

// dialFor returns d when it dials with settings c, else nil.
func dialFor(d *predial.Dial, c *connSettings) *predial.Dial {
	if d == nil || !reflect.DeepEqual(d.Config(), c.cfg) {
		return nil
	}
	return d
}

// openDB returns a handle to database dbname ("" for the configured one).
func (c *connSettings) openDB(dbname string) (*sql.DB, error) {
	return c.openDBFirst(dbname, nil)
}

// openDBFirst is openDB whose first connection is first's, when first is
// not nil.
func (c *connSettings) openDBFirst(dbname string, first *predial.Dial) (*sql.DB, error) {
	cfg := c.cfg.Clone()
	if dbname != "" {
		cfg.Database = dbname
	}
	connector, err := pq.NewConnectorConfig(cfg)
	if err != nil {
		return nil, &usageError{msg: "invalid connection settings: " + err.Error()}
	}
	var conn driver.Connector = connector
	if first != nil {
		conn = first.Connector(connector)
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(2)
	return db, nil
}

// describe names the target without any secret: user@host:port/dbname.
func (c *connSettings) describe(dbname string) string {
	if dbname == "" {
		dbname = c.cfg.Database
	}
	host := c.cfg.Host
	if c.cfg.Hostaddr.IsValid() {
		host = c.cfg.Hostaddr.String()
	}
	return fmt.Sprintf("%s@%s:%d/%s", c.cfg.User, host, c.cfg.Port, dbname)
}

// explainConnectError adds advice to a connection failure.
func (c *connSettings) explainConnectError(err error, dbname string) error {
	if dbname == "" {
		dbname = c.cfg.Database
	}
	var pqErr *pq.Error
	hint := ""
	if errors.As(err, &pqErr) {
		switch pqErr.Code {
		case "3D000":
			hint = fmt.Sprintf("database %q does not exist: create it with 'pgmig createdb' or pass --create-db to apply", dbname)
		case "28P01", "28000":
			hint = "check the user name and password (PGUSER, PGPASSWORD, ~/.pgpass or the URL)"
		}
	} else if msg := err.Error(); strings.Contains(msg, "SSL is not enabled on the server") {
		hint = "the server does not offer TLS: use sslmode=disable or sslmode=prefer"
	}
	if hint != "" {
		hint = "\nhint: " + hint
	}
	return &migrator.ConnectError{Err: fmt.Errorf("%w (connecting to %s, settings from %s)%s", err, c.describe(dbname), c.source, hint)}
}

// onMaintenanceDB runs fn on a maintenance database of the server, for
// CREATE and DROP DATABASE: the one named, else postgres, then template1
// when postgres does not exist, leaving out skip (the database the command
// is about). A connection error of fn that says the database does not
// exist moves on to the next one; other errors end it.
func (c *connSettings) onMaintenanceDB(named, skip string, fn func(db *sql.DB, dbname string) error) error {
	candidates := []string{named}
	if named == "" {
		candidates = nil
		for _, dbname := range []string{"postgres", "template1"} {
			if dbname != skip {
				candidates = append(candidates, dbname)
			}
		}
	}
	var lastErr error
	for _, dbname := range candidates {
		db, err := c.openDB(dbname)
		if err != nil {
			return err
		}
		err = fn(db, dbname)
		db.Close()
		var ce *migrator.ConnectError
		if !errors.As(err, &ce) {
			return err
		}
		lastErr = c.explainConnectError(ce.Err, dbname)
		if pq.As(ce.Err, "3D000") == nil {
			return lastErr
		}
	}
	return lastErr
}

// unsupportedEnv returns the libpq environment variable that lib/pq
// refused to start with, if err says so.
func unsupportedEnv(err error) (string, bool) {
	rest, ok := strings.CutPrefix(err.Error(), "pq: environment variable $")
	if !ok {
		return "", false
	}
	name, _, _ := strings.Cut(rest, " ")
	return name, name != ""
}
