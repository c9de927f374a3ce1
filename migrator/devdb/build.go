package devdb

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"regexp"

	"github.com/lib/pq"
	"github.com/pgmig/pgmig/migrator"
)

// SetupError reports setup SQL that failed on the dev database.
type SetupError struct {
	Name string // the setup's name (Options.SetupName), "" if none
	Err  error  // the server's error
}

func (e *SetupError) Error() string {
	name := e.Name
	if name == "" {
		name = "setup SQL"
	}
	return fmt.Sprintf("dev database setup %s failed: %v", name, e.Err)
}

// Unwrap returns the server's error.
func (e *SetupError) Unwrap() error { return e.Err }

// MissingRoleError reports a role that the migrations (or the setup) name
// but the dev server lacks: roles are global objects that migrations
// usually expect to exist before the first one runs.
type MissingRoleError struct {
	Role string
	Err  error // the *migrator.MigrationError or *SetupError
}

func (e *MissingRoleError) Error() string {
	return fmt.Sprintf("the dev server has no role %q: %v", e.Role, e.Err)
}

// Unwrap returns the failure.
func (e *MissingRoleError) Unwrap() error { return e.Err }

// BuildError reports a migration that failed while building the dev
// database, with the server it ran on (a migration that works on the
// target may fail on another major version).
type BuildError struct {
	Server Server
	Err    error // the *migrator.MigrationError, or another error of ApplyTo
}

func (e *BuildError) Error() string {
	return fmt.Sprintf("build the dev database on PostgreSQL %s: %v", e.Server.Version, e.Err)
}

// Unwrap returns the migrator's error.
func (e *BuildError) Unwrap() error { return e.Err }

// missingRoleRE finds the role in PostgreSQL's "role ... does not exist".
var missingRoleRE = regexp.MustCompile(`^role "(.*)" does not exist$`)

// missingRole returns the role a failure with SQLSTATE 42704 names, if it
// is about a role.
func missingRole(sqlstate, message string) (string, bool) {
	if sqlstate != "42704" {
		return "", false
	}
	m := missingRoleRE.FindStringSubmatch(message)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// setup runs the setup SQL in the scratch database, in one implicit
// transaction of the simple query protocol.
func (d *Database) setup(ctx context.Context, sql, name string) error {
	if _, err := d.db.ExecContext(ctx, sql); err != nil {
		serr := &SetupError{Name: name, Err: err}
		if role, ok := missingRole(sqlState(err), errMessage(err)); ok {
			return &MissingRoleError{Role: role, Err: serr}
		}
		return serr
	}
	d.log.Info("dev database setup ran", "setup", name)
	return nil
}

// errMessage returns the primary message of a driver error.
func errMessage(err error) string {
	var pe *pq.Error
	if errors.As(err, &pe) {
		return pe.Message
	}
	return err.Error()
}

// Build applies the migrations of fsys to the scratch database with
// pgmig's migrator (migrator.New(...).ApplyTo), up to migration upTo
// (inclusive; 0 means all), with opts (the tracking table, for example).
// Build may be called again to apply more. The result lists what was
// applied.
//
// Errors: migrator.New's (*migrator.FileError, ...); a *MissingRoleError
// when a migration names a role the server lacks; else a *BuildError
// wrapping the migrator's error (*migrator.MigrationError,
// *migrator.TargetError, ...).
func (d *Database) Build(ctx context.Context, fsys fs.FS, upTo int, opts ...migrator.Option) (*migrator.ApplyResult, error) {
	m, err := migrator.New(d.db, fsys, opts...)
	if err != nil {
		return nil, err
	}
	res, err := m.ApplyTo(ctx, upTo)
	if err != nil {
		var me *migrator.MigrationError
		if errors.As(err, &me) {
			if role, ok := missingRole(me.SQLState, me.Message); ok {
				return res, &MissingRoleError{Role: role, Err: err}
			}
		}
		return res, &BuildError{Server: d.server, Err: err}
	}
	d.log.Info("dev database built", "applied", len(res.Applied), "to", upTo)
	return res, nil
}
