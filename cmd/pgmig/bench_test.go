package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkLargeInput runs the two large inputs of the bad-input catalogue,
// a file of about 100 MB and 10,000 tiny files, each on a fresh database
// per iteration and with every check of the catalogue; the time is that of
// pgmig apply alone. Too slow for the normal suite, they run with
//
//	make bench-large
func BenchmarkLargeInput(b *testing.B) {
	cases := []inputCase{
		{
			// exit 0: a file of about 100 MB (100 INSERTs of 1,000 rows of 1 kB) applies.
			name: "100 MB file", code: exitOK,
			setup: func(e *caseEnv) {
				e.write("1_table.sql", "CREATE TABLE big (n int PRIMARY KEY, filler text NOT NULL);\n")
				writeBigFile(e, "2_big.sql", 100, 1000, 1000)
				e.applied = []appliedRow{{"1_table.sql", "table"}, {"2_big.sql", "big"}}
				e.timeout, e.timed = 5*time.Minute, true
			},
			check: func(e *caseEnv, p *problems, _, _ string) {
				wantCount(e, p, "SELECT count(*) FROM big", 100*1000)
				wantCount(e, p, "SELECT count(*) FROM big WHERE length(filler) = 1000", 100*1000)
			},
		},
		{
			// exit 0: 10,000 tiny migrations apply; a second run has nothing to do.
			name: "10000 files", code: exitOK,
			setup: func(e *caseEnv) {
				e.write("00001_m1.sql", "CREATE TABLE many (n int);\n")
				e.applied = append(e.applied, appliedRow{"00001_m1.sql", "m1"})
				for i := 2; i <= 10000; i++ {
					file := fmt.Sprintf("%05d_m%d.sql", i, i)
					e.write(file, fmt.Sprintf("INSERT INTO many VALUES (%d);\n", i))
					e.applied = append(e.applied, appliedRow{file, "m" + strconv.Itoa(i)})
				}
				e.timeout, e.timed = 5*time.Minute, true
			},
			check: func(e *caseEnv, p *problems, stdout, _ string) {
				wantCount(e, p, "SELECT count(*) FROM many", 9999)
				if !strings.Contains(stdout, "10000 applied in ") {
					p.addf("stdout ends with %q", lastLine(stdout))
				}
				start := time.Now()
				code, stdout, stderr := pgmig(e.t, "--url", e.url, "apply", e.dir)
				e.t.Logf("no-op rerun over 10000 applied migrations: %s", time.Since(start).Round(time.Millisecond))
				if code != exitOK || !strings.Contains(stdout, "up to date: 10000 migrations applied, nothing to do") {
					p.addf("rerun: exit %d, stdout %q\n%s", code, lastLine(stdout), stderr)
				}
			},
		},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			b.StopTimer() // runInputCase times apply alone
			for range b.N {
				runInputCase(b, tc)
			}
		})
	}
}

// writeBigFile writes a migration of stmts INSERT statements of rows rows
// each, every row carrying a text of width bytes, and logs its size.
func writeBigFile(e *caseEnv, name string, stmts, rows, width int) {
	e.t.Helper()
	f, err := os.Create(filepath.Join(e.dir, name))
	if err != nil {
		e.t.Fatal(err)
	}
	filler := strings.Repeat("x", width-8)
	var b strings.Builder
	n := 0
	for s := 0; s < stmts; s++ {
		b.Reset()
		b.WriteString("INSERT INTO big (n, filler) VALUES\n")
		for r := 0; r < rows; r++ {
			n++
			sep := ",\n"
			if r == rows-1 {
				sep = ";\n"
			}
			fmt.Fprintf(&b, "(%d, '%08d%s')%s", n, n, filler, sep)
		}
		if _, err := f.WriteString(b.String()); err != nil {
			e.t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		e.t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(e.dir, name))
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Logf("%s: %.1f MB, %d statements, %d rows", name, float64(info.Size())/1e6, stmts, n)
}

// lastLine returns the last line of s.
func lastLine(s string) string {
	s = strings.TrimRight(s, "\n")
	return s[strings.LastIndexByte(s, '\n')+1:]
}
