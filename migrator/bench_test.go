package migrator

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"testing"
	"time"

	"github.com/pgmig/pgmig/migrator/dirfs"
	"github.com/pgmig/pgmig/migrator/migratortest"
)

// benchDirFS writes the migrations of fsys into a temporary folder.
func benchDirFS(b *testing.B, fsys fs.FS) fs.FS {
	dir := b.TempDir()
	if err := os.CopyFS(dir, fsys); err != nil {
		b.Fatal(err)
	}
	return os.DirFS(dir)
}

// BenchmarkLoadMigrations measures what New does before any database work:
// listing, reading, hashing, header parsing and splitting every file, on
// the migration sets that make bench applies.
func BenchmarkLoadMigrations(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		for _, src := range []string{"MapFS", "DirFS", "dirfs"} {
			b.Run(fmt.Sprintf("%s/%d", src, n), func(b *testing.B) {
				mapFS := migratortest.GenerateMigrations(n)
				var size int64
				for _, f := range mapFS {
					size += int64(len(f.Data))
				}
				var fsys fs.FS = mapFS
				switch src {
				case "DirFS":
					fsys = benchDirFS(b, mapFS)
				case "dirfs":
					dir := b.TempDir()
					if err := os.CopyFS(dir, mapFS); err != nil {
						b.Fatal(err)
					}
					fsys = dirfs.New(dir)
				}
				b.SetBytes(size)
				b.ReportAllocs()
				for b.Loop() {
					migs, err := loadChecked(fsys, false)
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
	var buf bytes.Buffer
	if _, err := migratortest.WriteBigMigration(&buf, 8<<20); err != nil {
		b.Fatal(err)
	}
	content := buf.Bytes()
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
			fsys := migratortest.GenerateMigrations(n)
			migs, err := loadChecked(fsys, false)
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
