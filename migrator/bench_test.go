package migrator

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// benchMigration is migration i of the shape make bench uses: a table with
// three columns and an index; every 10th also inserts a few rows.
func benchMigration(i int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "-- migration %d\nCREATE TABLE t%d (\n  id bigint NOT NULL,\n  name text NOT NULL,\n  created_at timestamptz NOT NULL DEFAULT now()\n);\n", i, i)
	fmt.Fprintf(&b, "CREATE INDEX t%d_name_idx ON t%d (name);\n", i, i)
	if i%10 == 0 {
		fmt.Fprintf(&b, "INSERT INTO t%d (id, name) VALUES (1, 'one'), (2, 'two'), (3, 'three;');\n", i)
	}
	return b.String()
}

func benchFileName(i, n int) string {
	return fmt.Sprintf("%0*d_create-t%d.sql", len(fmt.Sprint(n)), i, i)
}

// benchMapFS holds n migrations in memory.
func benchMapFS(n int) fstest.MapFS {
	fsys := fstest.MapFS{}
	for i := 1; i <= n; i++ {
		fsys[benchFileName(i, n)] = &fstest.MapFile{Data: []byte(benchMigration(i)), Mode: 0o644}
	}
	return fsys
}

// benchDirFS writes n migrations into a temporary folder.
func benchDirFS(b *testing.B, n int) fs.FS {
	dir := b.TempDir()
	for i := 1; i <= n; i++ {
		if err := os.WriteFile(filepath.Join(dir, benchFileName(i, n)), []byte(benchMigration(i)), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return os.DirFS(dir)
}

// BenchmarkLoadMigrations measures what New does before any database work:
// listing, reading, hashing, header parsing and splitting every file.
func BenchmarkLoadMigrations(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		for _, src := range []string{"MapFS", "DirFS"} {
			b.Run(fmt.Sprintf("%s/%d", src, n), func(b *testing.B) {
				var fsys fs.FS
				if src == "MapFS" {
					fsys = benchMapFS(n)
				} else {
					fsys = benchDirFS(b, n)
				}
				var bytes int64
				for i := 1; i <= n; i++ {
					bytes += int64(len(benchMigration(i)))
				}
				b.SetBytes(bytes)
				b.ReportAllocs()
				for b.Loop() {
					migs, err := loadMigrations(fsys, false)
					if err != nil {
						b.Fatal(err)
					}
					if len(migs) != n {
						b.Fatalf("loaded %d migrations, want %d", len(migs), n)
					}
				}
			})
		}
	}
}

// BenchmarkCheckContent measures the checks of one large file (UTF-8, NUL,
// hash, headers, splitting), per byte.
func BenchmarkCheckContent(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("CREATE TABLE big_payload (id integer NOT NULL, note text NOT NULL, payload text NOT NULL);\n")
	payload := strings.Repeat("0123456789abcdef", 60)
	for i := 1; sb.Len() < 8<<20; i++ {
		fmt.Fprintf(&sb, "INSERT INTO big_payload VALUES (%d, 'row %d; it''s -- not a comment', '%s');\n", i, i, payload)
	}
	content := []byte(sb.String())
	b.SetBytes(int64(len(content)))
	b.ReportAllocs()
	for b.Loop() {
		m := Migration{ID: 1, Name: "big-payload", File: "1_big-payload.sql"}
		if problem := checkContent(&m, content); problem != "" {
			b.Fatal(problem)
		}
	}
}

// BenchmarkCompare measures the no-op path after the tracking table is
// read: matching n applied rows with n files by id and hash.
func BenchmarkCompare(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			fsys := benchMapFS(n)
			migs, err := loadMigrations(fsys, false)
			if err != nil {
				b.Fatal(err)
			}
			rows := []appliedRow{{ID: 0, Name: "create-migrations-table", Hash: "e18db593bcde2aca2a408c4d1100f6abba2195df"}}
			for _, m := range migs {
				rows = append(rows, appliedRow{ID: m.ID, Name: m.Name, Hash: m.Hash, ExecutedAt: time.Unix(0, 0)})
			}
			b.ReportAllocs()
			for b.Loop() {
				sts := statusOfFiles(fsys, migs, rows)
				if err := integrityError(sts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
