package drift

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"strings"

	"github.com/pgmig/pgmig/migrator"
)

// Error reports a schema that is not what was expected. Differences that
// are information only (column order) never make one.
type Error struct {
	Differences []Difference // all of them, information included
	// Source names the expected schema, such as a schema file's path;
	// empty, it is what the migrations build.
	Source string
}

func (e *Error) Error() string {
	n := 0
	for _, d := range e.Differences {
		if !d.Info() {
			n++
		}
	}
	source := e.Source
	if source == "" {
		source = "what the migrations build"
	}
	var b strings.Builder
	if n == 1 {
		fmt.Fprintf(&b, "schema drift: 1 object differs from %s", source)
	} else {
		fmt.Fprintf(&b, "schema drift: %d objects differ from %s", n, source)
	}
	for _, d := range e.Differences {
		if !d.Info() {
			fmt.Fprintf(&b, "\n  %s %s %s", d.Kind, d.ObjectType, d.Name)
		}
	}
	return b.String()
}

// CheckOptions tune Check.
type CheckOptions struct {
	Options
	// Migrator are the options of the migrator that checks the tracking
	// rows (migrator.WithTable, when the tracking table is not the
	// default; set Options.TrackingTable to the same name).
	Migrator []migrator.Option
	// AllowPending accepts pending migrations (see
	// migrator.VerifyOptions); the schema is then compared all the same.
	AllowPending bool
}

// Check is the start-up gate of an application: it returns nil only when
// every migration in fsys is applied and intact in db, and db's schema is
// expected (the Schema of a committed schema.sql, read with ParseSQL).
// It first checks the tracking rows with migrator's Verify, then inspects
// the schema in one read-only transaction. It takes no lock and writes
// nothing.
//
// Errors: those of migrator.New and Verify (*migrator.FileError,
// *migrator.IntegrityError, *migrator.PendingError, ...), those of
// Inspect, and an *Error listing the differences.
func Check(ctx context.Context, db *sql.DB, fsys fs.FS, expected *Schema, opts CheckOptions) error {
	m, err := migrator.New(db, fsys, opts.Migrator...)
	if err != nil {
		return err
	}
	if _, err := m.Verify(ctx, migrator.VerifyOptions{AllowPending: opts.AllowPending}); err != nil {
		return err
	}
	actual, err := Inspect(ctx, db, opts.Options)
	if err != nil {
		return err
	}
	if diffs := Compare(expected, actual); Drifted(diffs) {
		return &Error{Differences: diffs}
	}
	return nil
}
