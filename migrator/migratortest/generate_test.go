package migratortest_test

import (
	"bytes"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/pgmig/pgmig/migrator/migratortest"
)

func TestGenerateMigrations(t *testing.T) {
	fsys := migratortest.GenerateMigrations(120)
	names := slices.Sorted(maps.Keys(fsys))
	if len(names) != 120 || names[0] != "001_create-t1.sql" || names[9] != "010_create-t10.sql" || names[119] != "120_create-t120.sql" {
		t.Fatalf("names: %d, first %q, tenth %q, last %q", len(names), names[0], names[9], names[119])
	}
	for i, name := range names {
		data := string(fsys[name].Data)
		id := i + 1
		if !strings.Contains(data, "CREATE TABLE t"+strconv.Itoa(id)+" (") || !strings.Contains(data, "CREATE INDEX t"+strconv.Itoa(id)+"_name_idx") {
			t.Errorf("%s does not create table t%d and its index:\n%s", name, id, data)
		}
		if inserts := strings.Contains(data, "INSERT INTO"); inserts != (id%10 == 0) {
			t.Errorf("%s inserts rows: %v", name, inserts)
		}
	}
	if err := fstest.TestFS(fsys, names[0], names[119]); err != nil {
		t.Error(err)
	}
	again := migratortest.GenerateMigrations(120)
	for name, f := range fsys {
		if !bytes.Equal(again[name].Data, f.Data) {
			t.Errorf("%s differs between two calls", name)
		}
	}
	if n := len(migratortest.GenerateMigrations(0)); n != 0 {
		t.Errorf("GenerateMigrations(0) made %d files", n)
	}
	if _, ok := migratortest.GenerateMigrations(9)["9_create-t9.sql"]; !ok {
		t.Error("a single-digit set is zero-padded")
	}

	dir := t.TempDir()
	if err := os.CopyFS(dir, fsys); err != nil {
		t.Fatalf("os.CopyFS: %v", err)
	}
	onDisk, err := fs.Glob(os.DirFS(dir), "*.sql")
	if err != nil || len(onDisk) != 120 {
		t.Fatalf("%d files on disk (%v)", len(onDisk), err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, names[9])); err != nil || !bytes.Equal(b, fsys[names[9]].Data) {
		t.Errorf("copied %s: %v", names[9], err)
	}
}

func TestWriteBigMigration(t *testing.T) {
	var buf bytes.Buffer
	n, err := migratortest.WriteBigMigration(&buf, 64<<10)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(buf.Len()) || n < 64<<10 || n > 66<<10 {
		t.Fatalf("wrote %d bytes, buffer has %d, want a little over %d", n, buf.Len(), 64<<10)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if !strings.HasPrefix(lines[0], "CREATE TABLE big_payload ") {
		t.Errorf("first line %q", lines[0])
	}
	for _, l := range lines[1:] {
		if !strings.HasPrefix(l, "INSERT INTO big_payload VALUES (") || !strings.HasSuffix(l, "');") || len(l) < 1000 || len(l) > 1100 {
			t.Fatalf("line %q", l[:min(len(l), 80)])
		}
	}
	if n, err := migratortest.WriteBigMigration(&buf, 0); err != nil || n == 0 {
		t.Errorf("size 0: %d bytes, %v; want the CREATE TABLE", n, err)
	}
}

// TestGeneratedSQLRuns runs the generated SQL on a real server.
func TestGeneratedSQLRuns(t *testing.T) {
	t.Parallel()
	d := migratortest.NewDatabase(t)
	fsys := migratortest.GenerateMigrations(20)
	for _, name := range slices.Sorted(maps.Keys(fsys)) {
		if _, err := d.DB.Exec(string(fsys[name].Data)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	var big bytes.Buffer
	if _, err := migratortest.WriteBigMigration(&big, 16<<10); err != nil {
		t.Fatal(err)
	}
	if _, err := d.DB.Exec(big.String()); err != nil {
		t.Fatalf("big migration: %v", err)
	}
	var tables, rows, bigRows int
	err := d.DB.QueryRow(`SELECT (SELECT count(*) FROM pg_tables WHERE schemaname = 'public'),
		(SELECT count(*) FROM t10) + (SELECT count(*) FROM t20), (SELECT count(*) FROM big_payload)`).Scan(&tables, &rows, &bigRows)
	if err != nil || tables != 21 || rows != 6 || bigRows < 15 {
		t.Errorf("%d tables, %d rows in t10 and t20, %d big rows (%v); want 21, 6, about 16", tables, rows, bigRows, err)
	}
}
