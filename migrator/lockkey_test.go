package migrator_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/migratortest"
)

// A run with a lock key of its own neither waits for the default key nor
// passes a holder of its own key; Plan names the holders of that key.
func TestWithLockKey(t *testing.T) {
	d := migratortest.NewDatabase(t)
	d.DB.SetMaxOpenConns(4)
	const key int64 = 424242
	fsys := migratortest.GenerateMigrations(3)

	held := migratortest.HoldLock(t, d.DB, migrator.LockKey)
	res := mustApply(t, d.DB, fsys, migrator.WithLockKey(key), migrator.WithLockWait(time.Second))
	if len(res.Applied) != 3 {
		t.Fatalf("applied %d migrations while the default key was held, want 3", len(res.Applied))
	}
	if err := held.Release(); err != nil {
		t.Fatal(err)
	}

	own := migratortest.HoldLock(t, d.DB, key)
	_, err := apply(t, d.DB, fsys, migrator.WithLockKey(key), migrator.WithLockWait(200*time.Millisecond))
	if !errors.Is(err, migrator.ErrLockTimeout) {
		t.Fatalf("Apply with its key held: got %v, want ErrLockTimeout", err)
	}
	plan, err := newMigrator(t, d.DB, fsys, migrator.WithLockKey(key)).Plan(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.LockHolders) != 1 || plan.LockHolders[0].PID != own.PID {
		t.Fatalf("Plan's lock holders = %+v, want pid %d", plan.LockHolders, own.PID)
	}
	plan, err = newMigrator(t, d.DB, fsys).Plan(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.LockHolders) != 0 {
		t.Fatalf("Plan with the default key lists %+v, want none", plan.LockHolders)
	}
}

// Migrators made from one Files share its migrations and apply them to
// their own databases; Files reports broken files as New does.
func TestFilesNew(t *testing.T) {
	fsys := migratortest.GenerateMigrations(5)
	files, err := migrator.ReadFiles(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(files.Migrations()); n != 5 {
		t.Fatalf("ReadFiles read %d migrations, want 5", n)
	}
	for range 2 {
		d := migratortest.NewDatabase(t)
		m, err := files.New(d.DB)
		if err != nil {
			t.Fatal(err)
		}
		res, err := m.Apply(context.Background())
		if err != nil || len(res.Applied) != 5 {
			t.Fatalf("Apply: %d applied, %v; want 5, nil", len(res.Applied), err)
		}
	}
	if _, err := files.New(nil); err == nil {
		t.Fatal("Files.New(nil) succeeded")
	}
	var oe *migrator.OptionError
	if _, err := files.New(migratortest.NewDatabase(t).DB, migrator.WithLockWait(-1)); !errors.As(err, &oe) {
		t.Fatalf("bad option: got %v, want *OptionError", err)
	}
	fsys["2_create-t2.sql"].Data = []byte{0xff, 0xfe}
	var fe *migrator.FileError
	if _, err := migrator.ReadFiles(fsys); !errors.As(err, &fe) {
		t.Fatalf("ReadFiles of a non-UTF-8 file: got %v, want *FileError", err)
	}
}
