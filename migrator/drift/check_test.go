package drift_test

import (
	"database/sql"
	"errors"
	"io/fs"
	"testing"
	"testing/fstest"

	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/drift"
)

// TestCheckOnReadOnlySession runs the start-up check as an application
// would, against schema.sql text, on a session where every transaction is
// read-only: it passes untouched, and reports drift and pending
// migrations with their typed errors.
func TestCheckOnReadOnlySession(t *testing.T) {
	dev := built(t)
	text := schemaText(t, inspect(t, dev.DB(), drift.Options{}))
	expected, err := drift.ParseSQL([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	rw, dsn := migrated(t)
	ro, err := sql.Open("postgres", dsn+" options='-c default_transaction_read_only=on'")
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if _, err := ro.Exec("CREATE TABLE must_fail (id int)"); err == nil {
		t.Fatal("the session is not read-only")
	}
	ctx := testContext(t)
	if err := drift.Check(ctx, ro, folder("full"), expected, drift.CheckOptions{}); err != nil {
		t.Fatalf("untouched database: %v", err)
	}

	if _, err := rw.Exec("CREATE INDEX hotfix ON app.orders (total)"); err != nil {
		t.Fatal(err)
	}
	err = drift.Check(ctx, ro, folder("full"), expected, drift.CheckOptions{})
	var de *drift.Error
	if !errors.As(err, &de) || len(de.Differences) != 1 || de.Differences[0].Name != "app.hotfix" || de.Differences[0].Kind != drift.Extra {
		t.Fatalf("after an index added by hand: %v, want a *drift.Error with the extra index", err)
	}

	more := fstest.MapFS{"4_later.sql": {Data: []byte("CREATE TABLE app.later (id int);\n")}}
	for _, f := range []string{"1_base.sql", "2_logic.sql", "3_more.sql"} {
		b, err := fs.ReadFile(folder("full"), f)
		if err != nil {
			t.Fatal(err)
		}
		more[f] = &fstest.MapFile{Data: b}
	}
	err = drift.Check(ctx, ro, more, expected, drift.CheckOptions{})
	var pe *migrator.PendingError
	if !errors.As(err, &pe) {
		t.Fatalf("with a pending migration: %v, want a *migrator.PendingError first", err)
	}
	err = drift.Check(ctx, ro, more, expected, drift.CheckOptions{AllowPending: true})
	if !errors.As(err, &de) {
		t.Fatalf("pending allowed: %v, want the schema compared", err)
	}
}
