package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/pgmig/pgmig/migrator/lint"
	"github.com/pgmig/pgmig/migrator/migratortest"
)

// lintDir is the folder of the lint examples: the README shows its output.
const lintDir = "../../testdata/lint"

func TestGoldenLint(t *testing.T) {
	g := newGolden(t, "lint", "")
	g.human("every file", exitLint, "lint", lintDir)
	g.human("strict, an older server", exitLint, "lint", "--strict", "--pg-version", "13", lintDir)
	g.human("GitHub annotations", exitLint, "lint", "--format", "github", lintDir)
	g.human("warnings only", 0, "lint", "../../testdata/example")
	doc := g.json("every file", exitLint, "lint", lintDir)
	g.json("warnings only", 0, "lint", "../../testdata/example")
	g.check()
	findings, _ := doc["findings"].([]any)
	for _, f := range findings {
		m := f.(map[string]any)
		for _, k := range []string{"file", "line", "column", "rule", "severity", "message", "relation", "lock", "blocks", "rewrite", "scan", "fix"} {
			if _, ok := m[k]; !ok {
				t.Errorf("finding %v has no %q", m, k)
			}
		}
	}
}

// TestLintSARIF validates the SARIF log against the SARIF 2.1.0 schema
// (formats such as uri-reference included) and checks it carries every
// finding, for the examples and for a file whose path is no URI as it is.
func TestLintSARIF(t *testing.T) {
	odd := t.TempDir()
	writeFile(t, odd, "1_base.sql", "CREATE TABLE t (id int);\n")
	writeFile(t, odd, "2_a b,c:d%e.sql", "CREATE INDEX t_idx ON t (id);\n")
	const oddURI = "2_a%20b%2Cc%3Ad%25e.sql"
	schema := sarifSchema(t)
	for dir, uri := range map[string]string{lintDir: "../../testdata/lint/2_index-created-at.sql", odd: "file://" + filepath.ToSlash(odd) + "/" + oddURI} {
		checkSARIF(t, schema, dir, uri)
	}
	t.Chdir(odd)
	checkSARIF(t, schema, ".", oddURI)
}

// sarifSchema compiles the SARIF 2.1.0 schema, asserting formats.
func sarifSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open("../../testdata/sarif/sarif-schema-2.1.0-rtm.5.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	schemaDoc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("sarif-schema.json", schemaDoc); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile("sarif-schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return schema
}

// checkSARIF validates the SARIF log of lint of dir and checks that its
// first result names the file by uri.
func checkSARIF(t *testing.T, schema *jsonschema.Schema, dir, uri string) {
	t.Helper()
	code, stdout, stderr := pgmig(t, "lint", "--format", "sarif", dir)
	if code != exitLint {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	log, err := jsonschema.UnmarshalJSON(strings.NewReader(stdout))
	if err != nil {
		t.Fatalf("not JSON: %v\n%s", err, stdout)
	}
	if err := schema.Validate(log); err != nil {
		t.Fatalf("the SARIF log breaks the SARIF 2.1.0 schema: %v", err)
	}
	var sarif sarifLog
	if err := json.Unmarshal([]byte(stdout), &sarif); err != nil {
		t.Fatal(err)
	}
	_, jsonOut, _ := pgmig(t, "lint", "--json", dir)
	var doc jsonLintReport
	if err := json.Unmarshal([]byte(jsonOut), &doc); err != nil {
		t.Fatal(err)
	}
	results := sarif.Runs[0].Results
	if len(results) != len(doc.Findings) || len(results) == 0 {
		t.Fatalf("%d SARIF results for %d findings", len(results), len(doc.Findings))
	}
	for i, r := range results {
		fd := doc.Findings[i]
		loc := r.Locations[0].PhysicalLocation
		if r.RuleID != fd.Rule || loc.ArtifactLocation.URI != sarifURI(fd.File) || loc.Region.StartLine != fd.Line ||
			sarif.Runs[0].Tool.Driver.Rules[r.RuleIndex].ID != r.RuleID {
			t.Errorf("result %d %+v does not match finding %+v", i, r, fd)
		}
	}
	if got := results[0].Locations[0].PhysicalLocation.ArtifactLocation.URI; got != uri {
		t.Errorf("lint of %s: first result in %s, want %s", dir, got, uri)
	}
}

// TestLintPending: with connection settings, only the pending migrations
// are linted, as one run, with the rules of the server's version.
func TestLintPending(t *testing.T) {
	d := migratortest.NewDatabase(t)
	dir := t.TempDir()
	entries, err := os.ReadDir(lintDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(lintDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, dir, e.Name(), string(b))
	}
	if code, _, stderr := pgmig(t, "--url", d.DSN, "apply", "--to", "3", dir); code != 0 {
		t.Fatalf("apply --to 3: exit %d\n%s", code, stderr)
	}
	var version int
	if err := d.DB.QueryRow("SELECT current_setting('server_version_num')::int / 10000").Scan(&version); err != nil {
		t.Fatal(err)
	}
	// Found through $PGMIG_DATABASE_URL, as apply would.
	code, stdout, stderr := pgmigWith(t, runOptions{env: map[string]string{"PGMIG_DATABASE_URL": d.DSN}}, "lint", "--json", dir)
	if code != 0 {
		t.Fatalf("lint of the pending migrations: exit %d\n%s\n%s", code, stdout, stderr)
	}
	var doc jsonLintReport
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Files != 4 || doc.PGVersion != version || len(doc.Findings) != 1 || doc.Findings[0].Rule != "unused-lint-ignore" {
		t.Fatalf("lint of migrations 4 to 7 on PostgreSQL %d: %s", version, stdout)
	}
	// Each finding on a relation says how big it is on the target.
	d1 := migratortest.NewDatabase(t)
	if code, _, stderr := pgmig(t, "--url", d1.DSN, "apply", "--to", "1", dir); code != 0 {
		t.Fatalf("apply --to 1: exit %d\n%s", code, stderr)
	}
	code, stdout, _ = pgmig(t, "--url", d1.DSN, "lint", "--json", dir)
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil || code != exitLint || len(doc.Findings) < 2 {
		t.Fatalf("lint of migrations 2 to 7: exit %d\n%s", code, stdout)
	}
	for _, f := range doc.Findings {
		if f.Relation != "" && (f.SizeBytes == nil || *f.SizeBytes <= 0 || f.Rows == nil) {
			t.Errorf("finding without the size of %s on the target: %+v", f.Relation, f)
		}
	}
	// --offline lints every file; --pg-version overrides the server's.
	code, stdout, _ = pgmig(t, "--url", d.DSN, "lint", "--offline", "--pg-version", "12", "--json", dir)
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil || code != exitLint || doc.Files != 7 || doc.PGVersion != 12 {
		t.Fatalf("lint --offline: exit %d\n%s", code, stdout)
	}
}

// TestPlanAndApplyLint: plan shows each pending migration's findings, and
// apply --lint applies nothing while one has an error.
func TestPlanAndApplyLint(t *testing.T) {
	d := migratortest.NewDatabase(t)
	dir := t.TempDir()
	writeFile(t, dir, "1_orders.sql", "CREATE TABLE orders (id bigint PRIMARY KEY, note text);\n")
	writeFile(t, dir, "2_index.sql", "CREATE INDEX orders_note_idx ON orders (note);\n")
	if code, _, stderr := pgmig(t, "--url", d.DSN, "apply", "--to", "1", dir); code != 0 {
		t.Fatalf("apply --to 1: exit %d\n%s", code, stderr)
	}
	code, stdout, stderr := pgmig(t, "--url", d.DSN, "plan", dir)
	if code != 0 || !strings.Contains(stdout, "lint of 2_index.sql:\n") || !strings.Contains(stdout, "2_index.sql:1:33: error: create-index-blocking: ") {
		t.Fatalf("plan: exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, _ = pgmig(t, "--url", d.DSN, "plan", "--json", dir)
	var doc struct {
		Pending []struct {
			File string        `json:"file"`
			Lint []jsonFinding `json:"lint"`
		} `json:"pending"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil || code != 0 || len(doc.Pending) != 1 ||
		len(doc.Pending[0].Lint) != 1 || doc.Pending[0].Lint[0].Rule != "create-index-blocking" {
		t.Fatalf("plan --json: exit %d, %v\n%s", code, err, stdout)
	}

	code, _, stderr = pgmig(t, "--url", d.DSN, "apply", "--lint", dir)
	if code != exitLint || !strings.Contains(stderr, "create-index-blocking") || !strings.Contains(stderr, "nothing was applied") {
		t.Fatalf("apply --lint: exit %d\n%s", code, stderr)
	}
	var applied int
	if err := d.DB.QueryRow("SELECT count(*) FROM migrations WHERE id > 0").Scan(&applied); err != nil || applied != 1 {
		t.Fatalf("after apply --lint refused: %d applied, %v", applied, err)
	}
	writeFile(t, dir, "2_index.sql", "-- pgmig disable-transaction\nCREATE INDEX CONCURRENTLY orders_note_idx ON orders (note);\n")
	if code, _, stderr := pgmig(t, "--url", d.DSN, "apply", "--lint", dir); code != 0 {
		t.Fatalf("apply --lint of the safe variant: exit %d\n%s", code, stderr)
	}
	// On a fresh database the table is created in the same run: no finding.
	fresh := migratortest.NewDatabase(t)
	writeFile(t, dir, "2_index.sql", "CREATE INDEX orders_note_idx ON orders (note);\n")
	if code, _, stderr := pgmig(t, "--url", fresh.DSN, "apply", "--lint", dir); code != 0 {
		t.Fatalf("apply --lint on a fresh database: exit %d\n%s", code, stderr)
	}
}

// TestGoldenValidateSyntax: validate reports what the parser rejects as
// warnings, with line, column and caret, and still exits 0.
func TestGoldenValidateSyntax(t *testing.T) {
	g := newGolden(t, "validate-syntax", "")
	g.human("parser errors", 0, "validate", "../../testdata/syntax")
	g.json("parser errors", 0, "validate", "../../testdata/syntax")
	g.check()
}

// TestReadmeLintRules keeps the README's table of lint rules equal to
// lint.Rules(), row for row.
func TestReadmeLintRules(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n| rule | statement | lock | severity |\n|---|---|---|---|\n")
	if !ok {
		t.Fatal("README has no table of lint rules")
	}
	section, _, _ = strings.Cut(section, "\n\n")
	var want []string
	for _, r := range lint.Rules() {
		want = append(want, fmt.Sprintf("| `%s` | %s | %s | %s |", r.ID, r.Statement, r.Lock, r.Severity))
	}
	if strings.TrimSpace(section) != strings.Join(want, "\n") {
		t.Fatalf("README lint rules differ from lint.Rules(); the table should read:\n%s", strings.Join(want, "\n"))
	}
}

// TestLintMeasure: --measure runs the migrations in a dev database and
// the findings carry what PostgreSQL reported, with the version.
func TestLintMeasure(t *testing.T) {
	dev := migratortest.NewDatabase(t)
	code, stdout, stderr := pgmig(t, "lint", "--measure", "--dev-url", dev.DSN, "--json", lintDir)
	var doc jsonLintReport
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil || code != exitLint {
		t.Fatalf("lint --measure: exit %d, %v\n%s\n%s", code, err, stdout, stderr)
	}
	measured := 0
	for _, f := range doc.Findings {
		if f.Measured {
			measured++
		}
		if f.Rule == "set-not-null-scan" && (!f.Measured || f.Lock != "ACCESS EXCLUSIVE" || !f.Scan) {
			t.Errorf("measured SET NOT NULL: %+v", f)
		}
	}
	if measured < 4 || doc.MeasuredOn == "" {
		t.Fatalf("%d measured findings, measured on %q\n%s", measured, doc.MeasuredOn, stdout)
	}

	// With a target: its pending migrations, measured in a dev database
	// built up to the last applied one.
	target := migratortest.NewDatabase(t)
	if code, _, stderr := pgmig(t, "--url", target.DSN, "apply", "--to", "2", lintDir); code != 0 {
		t.Fatalf("apply --to 2: exit %d\n%s", code, stderr)
	}
	code, stdout, stderr = pgmig(t, "--url", target.DSN, "lint", "--measure", "--dev-url", dev.DSN, lintDir)
	if code != exitLint || !strings.Contains(stdout, "scan: yes (measured)") || !strings.Contains(stdout, "in 5 migration files") ||
		!strings.Contains(stdout, "measured on PostgreSQL ") {
		t.Fatalf("lint --measure of the pending migrations: exit %d\n%s\n%s", code, stdout, stderr)
	}
	// plan --measure shows the measured findings beside each migration.
	code, stdout, stderr = pgmig(t, "--url", target.DSN, "plan", "--measure", "--dev-url", dev.DSN, lintDir)
	if code != 0 || !strings.Contains(stdout, "lint of 3_order-state.sql:") || !strings.Contains(stdout, "scan: yes (measured)") {
		t.Fatalf("plan --measure: exit %d\n%s\n%s", code, stdout, stderr)
	}
	// The dev database is never the target.
	if code, _, stderr := pgmig(t, "--url", target.DSN, "lint", "--measure", "--dev-url", target.DSN, lintDir); code == 0 || code == exitLint ||
		!strings.Contains(stderr, "reaches the target database itself") {
		t.Fatalf("lint --measure with the target as dev database: exit %d\n%s", code, stderr)
	}
}

// TestLintFormatConflict: --json and another --format are refused, not
// silently decided.
func TestLintFormatConflict(t *testing.T) {
	code, stdout, stderr := pgmig(t, "lint", "--json", "--format", "sarif", lintDir)
	if code != 2 || stdout != "" || !strings.Contains(stderr, "--json is --format json") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
}
