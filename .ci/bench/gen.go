package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// migrationSQL is migration i of a generated set: a table with three
// columns and an index; every 10th also inserts a few rows.
func migrationSQL(i int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "-- migration %d\nCREATE TABLE t%d (\n  id bigint NOT NULL,\n  name text NOT NULL,\n  created_at timestamptz NOT NULL DEFAULT now()\n);\n", i, i)
	fmt.Fprintf(&b, "CREATE INDEX t%d_name_idx ON t%d (name);\n", i, i)
	if i%10 == 0 {
		fmt.Fprintf(&b, "INSERT INTO t%d (id, name) VALUES (1, 'one'), (2, 'two'), (3, 'three;');\n", i)
	}
	return b.String()
}

// genSet writes n migrations into a new folder under root and returns the
// folder and the file paths in id order.
func genSet(root, name string, n int) (string, []string, error) {
	dir := filepath.Join(root, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", nil, err
	}
	width := len(fmt.Sprint(n))
	files := make([]string, 0, n)
	for i := 1; i <= n; i++ {
		path := filepath.Join(dir, fmt.Sprintf("%0*d_create-t%d.sql", width, i, i))
		if err := os.WriteFile(path, []byte(migrationSQL(i)), 0o644); err != nil {
			return "", nil, err
		}
		files = append(files, path)
	}
	return dir, files, nil
}

// psqlScript writes a psql script that runs files through \i, each in a
// transaction of its own (perFile) or all in one transaction.
func psqlScript(path string, files []string, perFile bool) error {
	var b strings.Builder
	if !perFile {
		b.WriteString("BEGIN;\n")
	}
	for _, f := range files {
		if perFile {
			fmt.Fprintf(&b, "BEGIN;\n\\i %s\nCOMMIT;\n", f)
		} else {
			fmt.Fprintf(&b, "\\i %s\n", f)
		}
	}
	if !perFile {
		b.WriteString("COMMIT;\n")
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// genBigFile writes a folder holding one migration of about mb MiB: a table
// and single-row INSERT statements of about 1 KiB each.
func genBigFile(root string, mb int) (string, int64, error) {
	dir := filepath.Join(root, "bigfile")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", 0, err
	}
	f, err := os.Create(filepath.Join(dir, "1_big-payload.sql"))
	if err != nil {
		return "", 0, err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintln(w, "CREATE TABLE big_payload (id integer NOT NULL, note text NOT NULL, payload text NOT NULL);")
	payload := strings.Repeat("0123456789abcdef", 60) // 960 bytes
	var size int64
	for i := 1; size < int64(mb)<<20; i++ {
		n, _ := fmt.Fprintf(w, "INSERT INTO big_payload VALUES (%d, 'row %d; it''s -- not a comment', '%s');\n", i, i, payload)
		size += int64(n)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return "", 0, err
	}
	if err := f.Close(); err != nil {
		return "", 0, err
	}
	fi, err := os.Stat(f.Name())
	if err != nil {
		return "", 0, err
	}
	return dir, fi.Size(), nil
}
