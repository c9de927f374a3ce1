package lint

import (
	"errors"
	"slices"
	"strings"
	"testing"

	pg "github.com/pgmig/pgmig/migrator/lint/internal/pgtree"

	"github.com/pgmig/pgmig/migrator"
)

func TestLockTimeout(t *testing.T) {
	tests := []struct {
		name string
		sql  string
		run  bool // the run sets a lock timeout
		want []string
	}{
		{"none", "ALTER TABLE orders ADD COLUMN memo text;", false, []string{RuleMissingLockTimeout}},
		{"once per file", "ALTER TABLE orders ADD COLUMN memo text;\nALTER TABLE orders ADD COLUMN memo2 text;", false, []string{RuleMissingLockTimeout}},
		{"share row exclusive", "CREATE TRIGGER t BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION f();", false, []string{RuleMissingLockTimeout}},
		{"fk of a new table locks the parent", "CREATE TABLE items (order_id bigint REFERENCES orders (id));", false, []string{RuleMissingLockTimeout}},
		{"set earlier", "SET lock_timeout = '2s';\nALTER TABLE orders ADD COLUMN memo text;", false, nil},
		{"set local earlier", "SET LOCAL lock_timeout TO 500;\nALTER TABLE orders ADD COLUMN memo text;", false, nil},
		{"set later", "ALTER TABLE orders ADD COLUMN memo text;\nSET lock_timeout = '2s';", false, []string{RuleMissingLockTimeout}},
		{"set to 0", "SET lock_timeout = 0;\nALTER TABLE orders ADD COLUMN memo text;", false, []string{RuleMissingLockTimeout}},
		{"reset", "SET lock_timeout = '1s';\nRESET lock_timeout;\nALTER TABLE orders ADD COLUMN memo text;", false, []string{RuleMissingLockTimeout}},
		{"set_config", "SELECT set_config('lock_timeout', '2s', false);\nALTER TABLE orders ADD COLUMN memo text;", false, nil},
		{"set_config local", "SELECT pg_catalog.set_config('lock_timeout', '2s', true);\nALTER TABLE orders ADD COLUMN memo text;", false, nil},
		{"set_config to 0", "SELECT set_config('lock_timeout', '0', false);\nALTER TABLE orders ADD COLUMN memo text;", true, []string{RuleMissingLockTimeout}},
		{"set local in a block", "-- pgmig disable-transaction\nBEGIN;\nSET LOCAL lock_timeout = '1s';\nALTER TABLE orders ADD COLUMN memo text;\nCOMMIT;", false, nil},
		{"set local ends with its block", "-- pgmig disable-transaction\nBEGIN;\nSET LOCAL lock_timeout = '1s';\nCOMMIT;\nALTER TABLE orders ADD COLUMN memo text;", false, []string{RuleMissingLockTimeout}},
		{"set_config local ends with its block", "-- pgmig disable-transaction\nBEGIN;\nSELECT set_config('lock_timeout', '1s', true);\nCOMMIT;\nALTER TABLE orders ADD COLUMN memo text;", false, []string{RuleMissingLockTimeout}},
		{"set in a block outlives it", "-- pgmig disable-transaction\nBEGIN;\nSET lock_timeout = '1s';\nCOMMIT;\nALTER TABLE orders ADD COLUMN memo text;", false, nil},
		{"header", "-- pgmig lock-timeout 2s\nALTER TABLE orders ADD COLUMN memo text;", false, nil},
		{"header 0 beats the run", "-- pgmig lock-timeout 0\nALTER TABLE orders ADD COLUMN memo text;", true, []string{RuleMissingLockTimeout}},
		{"the run's setting", "ALTER TABLE orders ADD COLUMN memo text;", true, nil},
		{"weaker lock", "CREATE INDEX orders_note_idx ON orders (note);", false, []string{RuleCreateIndex}},
		{"new table", "CREATE TABLE items (id int);\nALTER TABLE items ADD COLUMN memo text;", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			timeout := WithLockTimeout(0)
			if tt.run {
				timeout = WithLockTimeout(2e9)
			}
			fs := lintMigration(t, tt.sql, timeout)
			if got := ruleIDs(fs); !slices.Equal(got, append([]string{}, tt.want...)) {
				t.Fatalf("found %v, want %v", got, tt.want)
			}
			for _, f := range fs {
				if f.Rule == RuleMissingLockTimeout && (!strings.Contains(f.Rule, "timeout") || f.Relation != "orders" || f.Fix == "") {
					t.Fatalf("finding %+v", f)
				}
			}
		})
	}
}

func TestSuppression(t *testing.T) {
	tests := []struct {
		name string
		sql  string
		want []string
	}{
		{"statement", "-- pgmig lint-ignore drop-column\nALTER TABLE orders DROP COLUMN note;", nil},
		{"two rules", "-- pgmig lint-ignore drop-column, drop-table\nALTER TABLE orders DROP COLUMN note;\nDROP TABLE customers;",
			[]string{RuleUnusedIgnore, RuleDropTable}},
		{"file header", "-- pgmig lint-ignore drop-table\n\nDROP TABLE customers;\nDROP TABLE orders;", nil},
		{"only the next statement", "-- pgmig lint-ignore drop-table\nDROP TABLE customers;\nDROP TABLE orders;", []string{RuleDropTable}},
		{"unknown rule", "-- pgmig lint-ignore drop-tables\nDROP TABLE customers;", []string{RuleUnusedIgnore, RuleDropTable}},
		{"nothing to suppress", "-- pgmig lint-ignore drop-table\nALTER TABLE orders ADD COLUMN memo text;", []string{RuleUnusedIgnore}},
		{"detached", "ALTER TABLE orders ADD COLUMN memo text;\n-- pgmig lint-ignore drop-table\n\nDROP TABLE customers;", []string{RuleUnusedIgnore, RuleDropTable}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ruleIDs(lintMigration(t, tt.sql)); !slices.Equal(got, append([]string{}, tt.want...)) {
				t.Fatalf("found %v, want %v", got, tt.want)
			}
		})
	}
}

// TestRuns checks what counts as new: without pending ids each file is a
// run of its own; with them, what a pending migration creates is new for
// the pending ones after it, and applied ones only tell the schema.
func TestRuns(t *testing.T) {
	files := map[string]string{
		"1_base.sql":  "CREATE TABLE orders (id bigint, note varchar(20));",
		"2_more.sql":  "CREATE TABLE items (id bigint);",
		"3_index.sql": "CREATE INDEX items_idx ON items (id);\nALTER TABLE orders ALTER COLUMN note TYPE varchar(40);",
	}
	each := lintFiles(t, files, nil, WithLockTimeout(2e9))
	if got := ruleIDs(each.Findings); !slices.Equal(got, []string{RuleCreateIndex}) || each.Files != 3 || each.Statements != 4 {
		t.Fatalf("each file alone: %v, %d files, %d statements", got, each.Files, each.Statements)
	}
	run := lintFiles(t, files, []int{2, 3}, WithLockTimeout(2e9))
	if got := ruleIDs(run.Findings); len(got) != 0 || run.Files != 2 {
		t.Fatalf("pending 2 and 3: %v, %d files", got, run.Files)
	}
	last := lintFiles(t, files, []int{3}, WithLockTimeout(2e9))
	if got := ruleIDs(last.Findings); !slices.Equal(got, []string{RuleCreateIndex}) || last.Findings[0].File != "3_index.sql" {
		t.Fatalf("pending 3: %+v", last.Findings)
	}
}

// TestPositions checks line, column (in characters), the source line and
// the relation as written, with multi-byte text before the finding.
func TestPositions(t *testing.T) {
	sql := "-- prénom, ünïcode\nSELECT 'é';  ALTER TABLE \"Öffentlich\".orders\n  ADD COLUMN token uuid DEFAULT gen_random_uuid();"
	fs := lintMigration(t, sql)
	if len(fs) != 1 {
		t.Fatalf("findings %+v", fs)
	}
	f := fs[0]
	if f.Line != 3 || f.Column != 25 || f.Source != "  ADD COLUMN token uuid DEFAULT gen_random_uuid();" ||
		f.Relation != `"Öffentlich".orders` || f.File != "2_change.sql" || f.Severity != SeverityError ||
		f.Lock != AccessExclusive || !slices.Equal(f.Blocks, []string{"reads", "writes", "ddl"}) || !f.Rewrite || f.Scan {
		t.Fatalf("finding %+v", f)
	}
	// A parse error points at the parser's cursor, counted in characters.
	fs = lintMigration(t, "SELECT 'ü' FRM orders;")
	if len(fs) != 1 || fs[0].Rule != RuleParseError || fs[0].Line != 1 || fs[0].Column != 16 || !strings.Contains(fs[0].Message, `"orders"`) {
		t.Fatalf("parse error %+v", fs)
	}
}

// TestVersions checks the fixes that differ between PostgreSQL versions
// and the range of versions lint accepts.
func TestVersions(t *testing.T) {
	sql := "ALTER TABLE orders ALTER COLUMN state SET NOT NULL;"
	for v, want := range map[int]string{12: "CHECK (state IS NOT NULL) NOT VALID", 17: "CHECK (state IS NOT NULL) NOT VALID", 18: "NOT NULL state NOT VALID"} {
		fs := lintMigration(t, sql, WithPGVersion(v))
		if len(fs) != 1 || !strings.Contains(fs[0].Fix, want) {
			t.Fatalf("PostgreSQL %d: %+v, want a fix with %q", v, fs, want)
		}
	}
	gen := "ALTER TABLE orders ADD COLUMN total numeric GENERATED ALWAYS AS (amount * 2) STORED;"
	if fs := lintMigration(t, gen, WithPGVersion(18)); len(fs) != 1 || !strings.Contains(fs[0].Fix, "VIRTUAL") {
		t.Fatalf("PostgreSQL 18 generated column: %+v", fs)
	}
	if fs := lintMigration(t, gen, WithPGVersion(17)); len(fs) != 1 || strings.Contains(fs[0].Fix, "VIRTUAL") {
		t.Fatalf("PostgreSQL 17 generated column: %+v", fs)
	}
	for _, v := range []int{11, 19} {
		_, err := Lint(nil, nil, WithPGVersion(v))
		var oe *migrator.OptionError
		if !errors.As(err, &oe) {
			t.Fatalf("version %d: %v", v, err)
		}
	}
}

func TestParseTreeVersion(t *testing.T) {
	res, err := pg.Parse("SELECT 1")
	if err != nil || res.Version != parseTreeVersion {
		t.Fatalf("parse tree version %d, %v; deparse uses %d", res.GetVersion(), err, parseTreeVersion)
	}
}

func TestRewriteFor(t *testing.T) {
	vc := func(n ...int32) colType { return colType{name: "varchar", mods: n} }
	num := func(n ...int32) colType { return colType{name: "numeric", mods: n} }
	tests := []struct {
		from, to colType
		rewrite  bool
	}{
		{vc(20), vc(40), false}, {vc(20), vc(10), true}, {vc(20), vc(), false}, {vc(), vc(5), true},
		{vc(20), colType{name: "text"}, false}, {colType{name: "text"}, vc(), false}, {colType{name: "text"}, vc(3), true},
		{num(10, 2), num(12, 2), false}, {num(10, 2), num(8, 2), true}, {num(10, 2), num(12, 3), true}, {num(10, 2), num(), false},
		{colType{name: "int4"}, colType{name: "int8"}, true}, {colType{name: "cidr"}, colType{name: "inet"}, false},
		{colType{name: "timestamp", mods: []int32{3}}, colType{name: "timestamp", mods: []int32{6}}, false},
		{colType{name: "timestamp"}, colType{name: "timestamptz"}, true},
		{colType{name: "bpchar", mods: []int32{4}}, colType{name: "bpchar", mods: []int32{8}}, true},
		{colType{name: "int4"}, colType{name: "int4", array: true}, true},
	}
	for _, tt := range tests {
		if got, known := rewriteFor(tt.from, tt.to); got != tt.rewrite || !known {
			t.Errorf("%s -> %s: rewrite %v (known %v), want %v", tt.from, tt.to, got, known, tt.rewrite)
		}
	}
}

func TestSyntax(t *testing.T) {
	files := map[string]string{
		"1_ok.sql":  "CREATE TABLE t (id int);\nDROP TABLE t;",
		"2_bad.sql": "SELECT 1;\n\nCREATE TABLE t (id int,);\nALTER TABLE t ADD COLUMN v int GENERATED ALWAYS AS (id) VIRTUAL;\nSELEC 2;",
	}
	fsys := fstestFS(files)
	v, err := migrator.Validate(fsys)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := Syntax(fsys, v.Migrations)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 2 || fs[0].File != "2_bad.sql" || fs[0].Line != 3 || fs[0].Column != 24 || fs[0].Source != "CREATE TABLE t (id int,);" ||
		fs[1].Line != 5 || fs[1].Column != 1 || fs[0].Severity != SeverityWarning || fs[0].Rule != RuleParseError {
		t.Fatalf("syntax findings %+v", fs)
	}
}

// TestPartitionedIndex: PostgreSQL builds no index CONCURRENTLY on a
// partitioned table, so the fix builds it on each partition and attaches
// them to an index on the parent alone.
func TestPartitionedIndex(t *testing.T) {
	res := lintFiles(t, map[string]string{
		"1_base.sql":   "CREATE TABLE events (id int, at date) PARTITION BY RANGE (at);",
		"2_change.sql": "CREATE INDEX events_id_idx ON events (id);",
	}, []int{2}, WithLockTimeout(2e9))
	if len(res.Findings) != 1 || res.Findings[0].Rule != RuleCreateIndex {
		t.Fatalf("findings %+v", res.Findings)
	}
	fix := res.Findings[0].Fix
	for _, want := range []string{"CREATE INDEX events_id_idx ON ONLY events USING btree (id);", "CREATE INDEX CONCURRENTLY", "ALTER INDEX events_id_idx ATTACH PARTITION"} {
		if !strings.Contains(fix, want) {
			t.Errorf("fix without %q:\n%s", want, fix)
		}
	}
	if strings.Contains(fix, "CONCURRENTLY events_id_idx ON events") {
		t.Errorf("fix builds the partitioned index concurrently:\n%s", fix)
	}
}

// TestFixTypes: a fix writes the column's type as the migration did
// (interval fields, quoted and qualified names), not as lint compares it.
func TestFixTypes(t *testing.T) {
	for sql, want := range map[string]string{
		"ALTER TABLE orders ADD COLUMN a interval day DEFAULT random() * interval '1 day';":      "ADD COLUMN a interval day;",
		"ALTER TABLE orders ADD COLUMN d \"MyType\"[] DEFAULT f();":                              `ADD COLUMN d "MyType"[];`,
		"ALTER TABLE orders ADD COLUMN e app.money2 DEFAULT f();":                                "ADD COLUMN e app.money2;",
		"ALTER TABLE orders ADD COLUMN c timestamp(3) with time zone DEFAULT clock_timestamp();": "ADD COLUMN c timestamp (3) with time zone;",
		"ALTER TABLE orders ALTER COLUMN note TYPE \"MyType\";":                                  `ADD COLUMN note_new "MyType";`,
	} {
		fs := lintMigration(t, sql)
		if len(fs) != 1 || !strings.Contains(fs[0].Fix, want) {
			t.Errorf("lint of %s: %+v, want a fix with %q", sql, fs, want)
			continue
		}
		for line := range strings.Lines(fs[0].Fix) {
			if strings.HasPrefix(line, "ALTER TABLE") {
				if _, err := pg.Parse(line); err != nil {
					t.Errorf("fix line %q: %v", line, err)
				}
			}
		}
	}
}
