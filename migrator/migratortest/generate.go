package migratortest

import (
	"fmt"
	"io"
	"strings"
	"testing/fstest"
)

// GenerateMigrations returns n migrations (none when n < 1) of the shape
// pgmig's benchmarks use (go test -bench, make bench), for benchmarks and
// load tests: file i is named <i>_create-t<i>.sql, with i zero-padded to
// the width of n so that the names sort in id order, and creates table t<i>
// (three columns) and an index on it; every 10th also inserts three rows,
// one with a semicolon inside a string literal. The same n always gives
// the same files. Use the result as an fs.FS, or write it into an empty
// folder with os.CopyFS.
func GenerateMigrations(n int) fstest.MapFS {
	fsys := make(fstest.MapFS, max(n, 0))
	width := len(fmt.Sprint(n))
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("%0*d_create-t%d.sql", width, i, i)
		fsys[name] = &fstest.MapFile{Data: []byte(generatedMigration(i)), Mode: 0o644}
	}
	return fsys
}

// generatedMigration is migration i of GenerateMigrations.
func generatedMigration(i int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "-- migration %d\nCREATE TABLE t%d (\n  id bigint NOT NULL,\n  name text NOT NULL,\n  created_at timestamptz NOT NULL DEFAULT now()\n);\n", i, i)
	fmt.Fprintf(&b, "CREATE INDEX t%d_name_idx ON t%d (name);\n", i, i)
	if i%10 == 0 {
		fmt.Fprintf(&b, "INSERT INTO t%d (id, name) VALUES (1, 'one'), (2, 'two'), (3, 'three;');\n", i)
	}
	return b.String()
}

// WriteBigMigration writes to w the SQL of one large migration of at
// least size bytes, for measuring big files: CREATE TABLE big_payload, then
// single-row INSERTs of about 1 KiB each whose string literals hold a
// semicolon, a doubled quote and "--", so that statement splitting has
// work to do. It returns the number of bytes written and w's first error.
// Pass a buffered writer for files.
func WriteBigMigration(w io.Writer, size int64) (int64, error) {
	n, err := io.WriteString(w, "CREATE TABLE big_payload (id integer NOT NULL, note text NOT NULL, payload text NOT NULL);\n")
	written := int64(n)
	payload := strings.Repeat("0123456789abcdef", 60) // 960 bytes
	for i := 1; err == nil && written < size; i++ {
		n, err = fmt.Fprintf(w, "INSERT INTO big_payload VALUES (%d, 'row %d; it''s -- not a comment', '%s');\n", i, i, payload)
		written += int64(n)
	}
	return written, err
}
