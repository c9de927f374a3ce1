package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/lib/pq"
	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/devdb"
	"github.com/pgmig/pgmig/migrator/pgcluster"
)

// devFlags are the flags of the commands that build a dev database from
// the migrations (drift, schema; lint --measure can embed them too).
type devFlags struct {
	DevURL   string `name:"dev-url" help:"Server where pgmig may create and drop a scratch database (never the target database itself; its role needs CREATEDB). Default: a throwaway local cluster from the PostgreSQL server binaries (PGMIG_PG_BINDIR, PATH, /usr/lib/postgresql/*/bin)." placeholder:"URL"`
	DevSetup string `name:"dev-setup" help:"SQL file run on the dev database before the first migration: the roles, extensions and schemas the migrations expect to exist (roles are global: on a --dev-url server, create them only when missing)." type:"existingfile" placeholder:"FILE"`
	DevMajor int    `name:"dev-major" help:"Major version the throwaway cluster prefers when several are installed (default: the target's)." placeholder:"N"`
}

// openDev opens the dev database of the flags: on --dev-url's server, else
// on a throwaway cluster preferring the major version of target (nil when
// there is none). The caller closes it.
func (f *devFlags) openDev(ctx context.Context, a *app, target *sql.DB) (*devdb.Database, error) {
	opts := devdb.Options{Target: target, PreferMajor: f.DevMajor, Logger: librarySlog(a.log)}
	if f.DevSetup != "" {
		b, err := os.ReadFile(f.DevSetup)
		if err != nil {
			return nil, &usageError{msg: "--dev-setup: " + unwrapPath(err).Error()}
		}
		opts.Setup, opts.SetupName = string(b), f.DevSetup
	}
	var settings *connSettings
	if f.DevURL != "" {
		var err error
		if settings, err = resolveSettingsFrom(f.DevURL, "--dev-url", a.red); err != nil {
			return nil, err
		}
		opts.Connect = settings.openDB
	}
	d, err := devdb.Open(ctx, opts)
	if err != nil {
		return nil, explainDev(settings, err)
	}
	srv := d.Server()
	where := "--dev-url"
	if srv.Throwaway {
		where = "a throwaway cluster from " + srv.BinDir
	}
	a.log.Info().Str("version", srv.Version).Str("database", d.Name()).Msgf("dev database on PostgreSQL %s (%s)", srv.Version, where)
	return d, nil
}

// explainDev adds advice to the errors of the dev database.
func explainDev(settings *connSettings, err error) error {
	var (
		role  *devdb.MissingRoleError
		setup *devdb.SetupError
		ce    *migrator.ConnectError
		build *devdb.BuildError
		mig   *migrator.MigrationError
		pqErr *pq.Error
	)
	switch {
	case err == nil:
		return nil
	case errors.As(err, &role):
		return withHint(err, fmt.Sprintf("roles are global objects that exist before the migrations run: create them in a file "+
			"given with --dev-setup (for example: CREATE ROLE %s;), which runs on the dev database first", pqIdent(role.Role)))
	case errors.As(err, &setup) && errors.As(err, &pqErr) && pqErr.Code == "42710" && strings.HasPrefix(pqErr.Message, "role "):
		return withHint(err, "roles are global and this dev server has it already: create it only when it is missing, "+
			"so that the setup runs on any server, for example: DO $$ BEGIN CREATE ROLE name; EXCEPTION WHEN duplicate_object THEN NULL; END $$;")
	case errors.As(err, &setup):
		return err
	case errors.As(err, &build) && errors.As(err, &mig) && missingExtension(mig):
		return withHint(err, fmt.Sprintf("the dev server (PostgreSQL %s) lacks an extension the migrations create: "+
			"give --dev-url a server that has it, or install it for the server binaries pgmig runs", build.Server.Version))
	case errors.As(err, &build) && errors.As(err, &pqErr) && pqErr.Code == "3F000":
		return withHint(err, "schemas that exist before the first migration (the tracking table's too) are created by the platform, "+
			"not by the migrations: create them in a file given with --dev-setup (for example: CREATE SCHEMA name;)")
	case errors.Is(err, devdb.ErrTargetDatabase):
		return withHint(err, "give --dev-url another server, or the target's server with its maintenance database "+
			"(for example postgres): pgmig creates and drops a scratch database there")
	case errors.Is(err, pgcluster.ErrNoServer):
		return withHint(err, "install the PostgreSQL server (initdb and postgres), set PGMIG_PG_BINDIR to its bin directory, "+
			"or give --dev-url a server where pgmig may create a scratch database")
	case settings != nil && errors.As(err, &ce):
		return settings.explainConnectError(ce.Err, "")
	}
	return err
}

// pqIdent quotes a role name for the example in a hint when it needs it.
func pqIdent(s string) string {
	for _, c := range s {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return `"` + s + `"`
		}
	}
	return s
}

// missingExtension reports whether a migration failed because the server
// has no such extension: "extension ... is not available" (0A000) from
// PostgreSQL 15, "could not open extension control file" (58P01) before.
func missingExtension(mig *migrator.MigrationError) bool {
	switch mig.SQLState {
	case "0A000":
		return strings.HasPrefix(mig.Message, "extension ")
	case "58P01":
		return strings.Contains(mig.Message, "extension control file")
	}
	return false
}
