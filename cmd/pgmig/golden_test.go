package main

import (
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pgmig/pgmig/migrator/migratortest"
)

// Golden-file tests of what people and programs read on stdout: the tables
// and summaries of status, verify, validate, plan and apply, and their
// --json documents; and the exit code and stderr of validate for each
// folder of testdata/broken (its expected.txt). Refresh the files after an
// intended change with
//
//	go test ./cmd/pgmig -run Golden -update
//
// and review the diff of testdata/golden and testdata/broken before
// committing it.

var update = flag.Bool("update", false, "rewrite golden files")

const goldenDir = "../../testdata/golden"

// sleepSQL makes every migration last a few milliseconds: the tracking table
// stores whole milliseconds, and a migration recorded as 0 ms shows no
// duration at all, which would make the golden files flaky.
const sleepSQL = "SELECT pg_sleep(0.005);\n"

var (
	timestampRE = regexp.MustCompile(`\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?`)
	durationRE  = regexp.MustCompile(`\b\d+(\.\d+)?(ns|µs|us|ms|s|m|h)(\d+(\.\d+)?(ns|µs|us|ms|s|m|h))*\b`)
	pidRE       = regexp.MustCompile(`\bpid \d+`)
	clientRE    = regexp.MustCompile(`\bfrom [^,()\s]+,`)
	// paddingRE matches runs of 2+ spaces after a non-blank: the padding of
	// an aligned table. Leading blanks (a caret under an error) are kept.
	paddingRE = regexp.MustCompile(`(\S) {2,}`)
)

// normaliser replaces what differs from run to run.
type normaliser struct {
	replace []string // old, new pairs: temp dirs, database names
}

func (n *normaliser) text(s string) string {
	s = strings.NewReplacer(n.replace...).Replace(s)
	s = timestampRE.ReplaceAllString(s, "<time>")
	s = pidRE.ReplaceAllString(s, "pid <pid>")
	s = clientRE.ReplaceAllString(s, "from <client>,")
	return durationRE.ReplaceAllString(s, "<dur>")
}

// volatileKeys are JSON keys whose values change from run to run.
var volatileKeys = map[string]bool{
	"applied_at": true, "duration_ms": true, "connected_seconds": true, "pid": true, "client": true,
}

// json parses one JSON document and returns it with volatile values
// replaced by "<key>" and every string normalised as text.
func (n *normaliser) json(t *testing.T, doc string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatalf("stdout is not one JSON document: %v\n%s", err, doc)
	}
	var walk func(any) any
	walk = func(v any) any {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				if volatileKeys[k] {
					v[k] = "<" + k + ">"
				} else {
					v[k] = walk(e)
				}
			}
		case []any:
			for i, e := range v {
				v[i] = walk(e)
			}
		case string:
			return n.text(v)
		}
		return v
	}
	return walk(v)
}

// golden collects the output of a scenario's commands and compares it with
// testdata/golden/<scenario>.txt and .json.
type golden struct {
	t        *testing.T
	scenario string
	dsn      string
	norm     *normaliser
	txt      strings.Builder
	docs     map[string]any
}

func newGolden(t *testing.T, scenario, dsn string, replace ...string) *golden {
	return &golden{t: t, scenario: scenario, dsn: dsn, norm: &normaliser{replace: replace}, docs: map[string]any{}}
}

// exec runs pgmig with JSON logs and checks the exit code. It returns the
// stdout and the "pgmig: error:" part of stderr (logs are not golden).
func (g *golden) exec(wantCode int, args ...string) (stdout, errLines string) {
	g.t.Helper()
	full := append([]string{"--log-format", "json"}, args...)
	if g.dsn != "" {
		full = append([]string{"--url", g.dsn}, full...)
	}
	code, stdout, stderr := pgmig(g.t, full...)
	if code != wantCode {
		g.t.Fatalf("pgmig %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, wantCode, stdout, stderr)
	}
	if i := strings.Index(stderr, "pgmig: error: "); i >= 0 {
		errLines = stderr[i:]
	}
	if (code == 0) != (errLines == "") {
		g.t.Fatalf("pgmig %s: exit %d with error lines %q", strings.Join(args, " "), code, errLines)
	}
	return stdout, errLines
}

// human runs a command and appends its normalised output to the .txt file.
func (g *golden) human(title string, wantCode int, args ...string) string {
	g.t.Helper()
	stdout, errLines := g.exec(wantCode, args...)
	fmt.Fprintf(&g.txt, "=== %s\n$ pgmig %s\nexit %d\n", title, g.norm.text(strings.Join(args, " ")), wantCode)
	if stdout != "" {
		fmt.Fprintf(&g.txt, "--- stdout\n%s", g.norm.text(stdout))
	}
	if errLines != "" {
		fmt.Fprintf(&g.txt, "--- error\n%s", g.norm.text(errLines))
	}
	g.txt.WriteString("\n")
	return stdout
}

// json runs a command with --json and stores its normalised document under
// key in the .json file. It checks that ok and error.exit_code agree with
// the exit code, and returns the document as parsed.
func (g *golden) json(key string, wantCode int, args ...string) map[string]any {
	g.t.Helper()
	args = append(args, "--json")
	stdout, _ := g.exec(wantCode, args...)
	var raw map[string]any
	if err := json.Unmarshal([]byte(stdout), &raw); err != nil {
		g.t.Fatalf("pgmig %s: stdout is not a JSON object: %v\n%s", strings.Join(args, " "), err, stdout)
	}
	if raw["ok"] != (wantCode == 0) {
		g.t.Errorf("pgmig %s: ok = %v with exit %d", strings.Join(args, " "), raw["ok"], wantCode)
	}
	if wantCode != 0 {
		e, _ := raw["error"].(map[string]any)
		if e == nil || e["exit_code"] != float64(wantCode) {
			g.t.Errorf("pgmig %s: error object %v does not carry exit_code %d", strings.Join(args, " "), raw["error"], wantCode)
		}
	}
	g.docs[key] = map[string]any{
		"args":      g.norm.text(strings.Join(args, " ")),
		"exit_code": wantCode,
		"stdout":    g.norm.json(g.t, stdout),
	}
	return raw
}

// check compares (or with -update writes) the golden files.
func (g *golden) check() {
	g.t.Helper()
	if g.txt.Len() > 0 {
		g.compare(g.scenario+".txt", g.txt.String(), collapsePadding)
	}
	if len(g.docs) > 0 {
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false) // keep <dir> readable
		enc.SetIndent("", "  ")
		if err := enc.Encode(g.docs); err != nil { // map keys come out sorted
			g.t.Fatal(err)
		}
		g.compare(g.scenario+".json", b.String(), func(s string) string { return s })
	}
}

// collapsePadding turns the padding of aligned tables into exactly two
// spaces: the normalised fields (<dur>, <time>, <pid>) are not as wide as
// what they replace, so the widths of columns vary from run to run. The
// alignment itself is checked separately, on the raw output (checkAligned).
func collapsePadding(s string) string { return paddingRE.ReplaceAllString(s, "$1  ") }

func (g *golden) compare(name, got string, canon func(string) string) {
	g.t.Helper()
	compareFile(g.t, filepath.Join(goldenDir, name), got, canon)
}

// compareFile compares got with the file at path, both passed through
// canon, or with -update writes got to it.
func compareFile(t *testing.T, path, got string, canon func(string) string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if canon(got) != canon(string(want)) {
		t.Errorf("%s differs from the output (-want +got; run with -update if the change is intended):\n%s",
			path, lineDiff(canon(string(want)), canon(got)))
	}
}

// lineDiff returns a unified-style line diff of want and got (LCS based;
// the golden files are small).
func lineDiff(want, got string) string {
	a, b := strings.Split(want, "\n"), strings.Split(got, "\n")
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var lines []string // each prefixed with "  ", "- " or "+ "
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			lines = append(lines, "  "+a[i])
			i, j = i+1, j+1
		case i < len(a) && (j == len(b) || lcs[i+1][j] >= lcs[i][j+1]):
			lines = append(lines, "- "+a[i])
			i++
		default:
			lines = append(lines, "+ "+b[j])
			j++
		}
	}
	// Keep three lines of context around each change.
	const context = 3
	var out strings.Builder
	last := -1
	for k, l := range lines {
		near := false
		for c := max(0, k-context); c <= min(len(lines)-1, k+context); c++ {
			near = near || lines[c][0] != ' '
		}
		if !near {
			continue
		}
		if last >= 0 && k > last+1 {
			out.WriteString("@@\n")
		}
		out.WriteString(l + "\n")
		last = k
	}
	return out.String()
}

// checkAligned checks, on raw status output, that every cell of the table
// starts under a heading: a cell starts after two or more blanks (the
// padding; cells themselves hold single blanks only, as in "no
// transaction").
func checkAligned(t *testing.T, out string) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "ID") {
		t.Fatalf("no status table in:\n%s", out)
	}
	starts := func(l string) []int {
		s := []int{0}
		for i := 2; i < len(l); i++ {
			if l[i] != ' ' && l[i-1] == ' ' && l[i-2] == ' ' {
				s = append(s, i)
			}
		}
		return s
	}
	headings := map[int]bool{}
	for _, at := range starts(lines[0]) {
		headings[at] = true
	}
	var bad []string
	for _, l := range lines[1 : len(lines)-1] { // the last line is the summary
		for _, at := range starts(l) {
			if !headings[at] {
				bad = append(bad, fmt.Sprintf("column %d of %q", at+1, l))
				break
			}
		}
	}
	if len(bad) > 0 {
		t.Errorf("cells not under a heading: %s\n%s", strings.Join(bad, "; "), out)
	}
}

// trackingSnapshot describes what status and verify must not change: the rows of
// the tracking table with their row versions (xmin changes on any UPDATE,
// even to equal values), and the relations of the database.
func trackingSnapshot(t *testing.T, db *sql.DB) string {
	t.Helper()
	var rels, rows sql.NullString
	if err := db.QueryRow(`SELECT string_agg(n.nspname || '.' || c.relname || ':' || c.relkind::text, ' ' ORDER BY n.nspname, c.relname)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')`).Scan(&rels); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(rels.String, "public.migrations:r") {
		if err := db.QueryRow(`SELECT string_agg(concat_ws('|', xmin, id, name, hash, executed_at, duration_ms), E'\n' ORDER BY id)
			FROM migrations`).Scan(&rows); err != nil {
			t.Fatal(err)
		}
	}
	return rels.String + "\n" + rows.String
}

// readOnlyURL makes every transaction of pgmig's sessions read-only.
func readOnlyURL(dsn string) string {
	return dsn + " options='-c default_transaction_read_only=on'"
}

func TestGoldenStatusEmpty(t *testing.T) {
	d := migratortest.NewDatabase(t)
	g := newGolden(t, "status-empty", d.DSN, d.Name, "<db>")
	checkAligned(t, g.human("fresh database, example folder", 0, "status", "../../testdata/example"))
	g.json("fresh database", 0, "status", "../../testdata/example")
	g.check()
	if relationExists(t, d.DB, "public.migrations") {
		t.Fatal("status created the tracking table")
	}

	// Read-only sessions: status and verify must not try to write.
	ro := newGolden(t, "", readOnlyURL(d.DSN))
	ro.exec(0, "status", "../../testdata/example")
	ro.exec(exitPending, "verify", "../../testdata/example")
	if _, errLines := ro.exec(exitPending, "verify", "--json", "../../testdata/example"); strings.Contains(errLines, "read-only") {
		t.Fatalf("verify wrote in a read-only session: %s", errLines)
	}
	ro.exec(0, "verify", t.TempDir())
	if relationExists(t, d.DB, "public.migrations") {
		t.Fatal("status or verify created the tracking table")
	}
	// The read-only setting is in force: apply fails with it.
	if code, _, stderr := pgmig(t, "--url", readOnlyURL(d.DSN), "apply", "../../testdata/example"); code != exitReadOnly ||
		!strings.Contains(stderr, "the session is read-only: default_transaction_read_only is on, set by the client at connect time") {
		t.Fatalf("apply in a read-only session: exit %d\n%s", code, stderr)
	}
}

func TestGoldenStatusStates(t *testing.T) {
	d := migratortest.NewDatabase(t)
	dir := t.TempDir()
	g := newGolden(t, "status-states", d.DSN, dir, "<dir>", d.Name, "<db>")

	// Run 1: four migrations whose files will change in different ways.
	writeFile(t, dir, "1_applied.sql", "CREATE TABLE t1 (id int);\n"+sleepSQL)
	writeFile(t, dir, "2_changed.sql", "CREATE TABLE t2 (id int);\n"+sleepSQL)
	writeFile(t, dir, "3_line-endings.sql", "CREATE TABLE t3 (id int);\n"+sleepSQL)
	writeFile(t, dir, "4_hash-check-off.sql", "-- pgmig disable-hash-check\nCREATE VIEW v4 AS SELECT 1 AS x;\n"+sleepSQL)
	g.exec(0, "apply", dir)
	// Run 2: two more.
	writeFile(t, dir, "5_pending.sql", "-- pgmig disable-transaction\nCREATE TABLE t5 (id int);\n"+sleepSQL)
	writeFile(t, dir, "6_missing.sql", "CREATE TABLE t6 (id int);\n"+sleepSQL)
	g.exec(0, "apply", dir)
	// Migration 5 counts as never applied (a gap pgmig itself never leaves,
	// but the only way to have a pending file before a missing one), the
	// file of 6 is deleted, 2, 3 and 4 are edited.
	if _, err := d.DB.Exec("DELETE FROM migrations WHERE id = 5"); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "6_missing.sql")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "2_changed.sql", "CREATE TABLE t2 (id bigint);\n"+sleepSQL)
	writeFile(t, dir, "3_line-endings.sql", strings.ReplaceAll("CREATE TABLE t3 (id int);\n"+sleepSQL, "\n", "\r\n"))
	writeFile(t, dir, "4_hash-check-off.sql", "-- pgmig disable-hash-check\nCREATE OR REPLACE VIEW v4 AS SELECT 2 AS x;\n"+sleepSQL)

	before := trackingSnapshot(t, d.DB)
	checkAligned(t, g.human("every state", 0, "status", dir))
	checkAligned(t, g.human("every state, verbose", 0, "-v", "status", dir))
	doc := g.json("every state", 0, "status", dir)
	counts, _ := doc["counts"].(map[string]any)
	for _, st := range []string{"applied", "pending", "changed", "missing", "hash-check-disabled"} {
		want := 1.0
		if st == "changed" {
			want = 2 // content and line endings
		}
		if counts[st] != want {
			t.Errorf("counts[%s] = %v, want %v (counts %v)", st, counts[st], want, counts)
		}
	}
	g.check()

	// status and verify are read-only, in normal sessions and in read-only ones.
	g.exec(exitIntegrity, "verify", dir)
	g.exec(exitIntegrity, "verify", "--allow-pending", "--json", dir)
	ro := newGolden(t, "", readOnlyURL(d.DSN))
	ro.exec(0, "status", dir)
	ro.exec(exitIntegrity, "verify", dir)
	if after := trackingSnapshot(t, d.DB); after != before {
		t.Fatalf("status or verify changed the database:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

func TestGoldenVerify(t *testing.T) {
	d := migratortest.NewDatabase(t)
	dir := t.TempDir()
	g := newGolden(t, "verify", d.DSN, dir, "<dir>", d.Name, "<db>")
	writeFile(t, dir, "1_create-a.sql", "CREATE TABLE a (id int);\n"+sleepSQL)
	writeFile(t, dir, "2_create-b.sql", "CREATE TABLE b (id int);\n"+sleepSQL)
	g.exec(0, "apply", "--to", "1", dir)

	g.human("1 pending", exitPending, "verify", dir)
	g.json("1 pending", exitPending, "verify", dir)
	g.human("2 pending allowed", 0, "verify", "--allow-pending", dir)
	g.json("2 pending allowed", 0, "verify", "--allow-pending", dir)

	g.exec(0, "apply", dir)
	g.human("3 ok", 0, "verify", dir)
	g.json("3 ok", 0, "verify", dir)

	writeFile(t, dir, "1_create-a.sql", "CREATE TABLE a (id bigint);\n"+sleepSQL)
	g.human("4 integrity failure", exitIntegrity, "verify", dir)
	g.json("4 integrity failure", exitIntegrity, "verify", dir)
	g.human("5 integrity failure, pending allowed", exitIntegrity, "verify", "--allow-pending", dir)
	g.check()
}

func TestGoldenValidate(t *testing.T) {
	g := newGolden(t, "validate", "") // no database
	g.human("valid folder", 0, "validate", "../../testdata/example")
	g.json("valid folder", 0, "validate", "../../testdata/example")
	g.human("broken folder", exitInvalidFiles, "validate", "../../testdata/broken/many")
	doc := g.json("broken folder", exitInvalidFiles, "validate", "../../testdata/broken/many")
	if e, _ := doc["error"].(map[string]any); e == nil || len(e["problems"].([]any)) < 4 {
		t.Errorf("broken folder: error object lists fewer than 4 problems: %v", doc["error"])
	}
	g.check()
}

// brokenDir holds one folder per rule about migration files, each with the
// files that break it and expected.txt: the exit code of 'pgmig validate'
// on the folder on the first line, its stderr below. TestLoadBroken in
// migrator checks the same files against the library's error.
const brokenDir = "../../testdata/broken"

// TestGoldenBroken runs 'pgmig validate' on each folder of testdata/broken
// and compares its exit code and stderr with the folder's expected.txt.
func TestGoldenBroken(t *testing.T) {
	entries, err := os.ReadDir(brokenDir)
	if err != nil {
		t.Fatal(err)
	}
	folders := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		folders++
		t.Run(e.Name(), func(t *testing.T) {
			dir := filepath.Join(brokenDir, e.Name())
			code, stdout, stderr := pgmig(t, "validate", dir)
			if code == exitOK || stdout != "" {
				t.Errorf("validate %s: exit %d, stdout %q; a folder of %s must be refused, with the reason on stderr", dir, code, stdout, brokenDir)
			}
			compareFile(t, filepath.Join(dir, "expected.txt"), fmt.Sprintf("%d\n%s", code, stderr), func(s string) string { return s })
		})
	}
	if folders == 0 {
		t.Fatalf("no folders in %s", brokenDir)
	}
}

func TestGoldenPlan(t *testing.T) {
	d := migratortest.NewDatabase(t)
	g := newGolden(t, "plan", d.DSN, d.Name, "<db>")
	const example = "../../testdata/example"
	g.human("1 fresh database", 0, "plan", example)
	g.json("1 fresh database", 0, "plan", example)
	if relationExists(t, d.DB, "public.migrations") {
		t.Fatal("plan created the tracking table")
	}

	g.exec(0, "apply", "--to", "2", example)
	g.human("2 partially applied", 0, "plan", example)
	g.human("3 partially applied, --to 3", 0, "plan", "--to", "3", example)
	g.json("3 partially applied, --to 3", 0, "plan", "--to", "3", example)
	g.human("4 --to below what is applied", exitUsage, "plan", "--to", "1", example)

	// Another session holds the migration lock (the key of postgres-migrations).
	holderDB, err := sql.Open("postgres", d.DSN+" application_name=golden-lock-holder")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { holderDB.Close() }) // after HoldLock's cleanup
	migratortest.HoldLock(t, holderDB, -8525285245963000605)
	out := g.human("5 lock held by another session", 0, "plan", example)
	if !strings.Contains(out, "golden-lock-holder") {
		t.Errorf("plan does not name the lock holder:\n%s", out)
	}
	doc := g.json("5 lock held by another session", 0, "plan", example)
	if hs, _ := doc["lock_holders"].([]any); len(hs) != 1 {
		t.Errorf("lock_holders = %v, want one holder", doc["lock_holders"])
	}
	g.check()
}

func TestGoldenApply(t *testing.T) {
	d := migratortest.NewDatabase(t)
	dir := t.TempDir()
	g := newGolden(t, "apply", d.DSN, dir, "<dir>", d.Name, "<db>")
	const example = "../../testdata/example"
	g.human("1 example, --to 2", 0, "apply", "--to", "2", example)
	g.json("1 example, rest", 0, "apply", example)
	g.human("2 up to date", 0, "apply", example)
	g.json("2 up to date", 0, "apply", example)

	// SQL failure, on fresh databases so that 1_ok.sql runs each time.
	writeFile(t, dir, "1_ok.sql", "CREATE TABLE ok (id int);\n")
	writeFile(t, dir, "2_syntax.sql", "SELECT 1;\nCREATE TUBLE broken (id int);\n")
	writeFile(t, dir, "3_never.sql", "CREATE TABLE never (id int);\n")
	fresh := func() {
		d := migratortest.NewDatabase(t)
		g.dsn, g.norm.replace = d.DSN, append(g.norm.replace, d.Name, "<db>")
	}
	fresh()
	g.human("3 SQL failure", exitSQL, "apply", dir)
	fresh()
	doc := g.json("3 SQL failure", exitSQL, "apply", dir)
	e, _ := doc["error"].(map[string]any)
	if e == nil || e["kind"] != "sql" || e["sqlstate"] != "42601" || e["file"] != "2_syntax.sql" || e["line"] != 2.0 || e["column"] != 8.0 {
		t.Errorf("SQL failure error object = %v, want sqlstate 42601 in 2_syntax.sql at line 2, column 8", e)
	}
	if applied, _ := doc["applied"].([]any); len(applied) != 1 {
		t.Errorf("applied = %v, want 1_ok.sql only", doc["applied"])
	}
	g.check()
}
