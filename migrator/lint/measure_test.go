package lint

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/migratortest"
)

// measureSkip are the rule cases that cannot run on a real database, and why.
var measureSkip = map[string]string{
	"type change of an unknown column": "the table does not exist",
	"identity on an existing column":   "the column is nullable, which PostgreSQL refuses",
	"parser rejects":                   "not SQL",
}

// TestMeasuredAgreesWithStatic runs every rule case in a real database
// and checks that what PostgreSQL reports (locks, rewrites, scans) is what
// the static rules say: the lock of each finding, its rewrite and scan,
// and no rewrite or scan under a lock that blocks writes where no finding
// says so.
func TestMeasuredAgreesWithStatic(t *testing.T) {
	for _, tt := range ruleCases {
		t.Run(tt.name, func(t *testing.T) {
			if why, ok := measureSkip[tt.name]; ok {
				t.Skip(why)
			}
			d := migratortest.NewDatabase(t)
			major := serverMajorOf(t, d)
			if tt.version != 0 && tt.version != major {
				t.Skipf("a PostgreSQL %d case, on PostgreSQL %d", tt.version, major)
			}
			fsys := fstestFS(map[string]string{"1_base.sql": baseSchema, "2_change.sql": tt.sql})
			v, err := migrator.Validate(fsys)
			if err != nil {
				t.Fatal(err)
			}
			opts := []Option{WithPGVersion(major), WithPending(2), WithLockTimeout(2e9)}
			static, err := Lint(fsys, v.Migrations, opts...)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := d.DB.Exec(baseSchema); err != nil {
				t.Fatal(err)
			}
			measured, err := Lint(fsys, v.Migrations, opts...)
			if err != nil {
				t.Fatal(err)
			}
			ms, err := Measure(context.Background(), d.DB, fsys, v.Migrations, measured, opts...)
			if slices.Contains(ruleIDs(static.Findings), RuleNewerSyntax) {
				// The finding says this server rejects the statement: it must.
				if err == nil || !strings.Contains(err.Error(), "(42601)") {
					t.Fatalf("%s on PostgreSQL %d: measure returned %v, want a syntax error (42601)", RuleNewerSyntax, major, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkAgreement(t, static, measured, ms)
		})
	}
}

func checkAgreement(t *testing.T, static, measured *Result, ms []Measurement) {
	t.Helper()
	for i, s := range static.Findings {
		m := measured.Findings[i]
		if !m.Measured {
			continue // not measurable: a statement that cannot run in a transaction, or no relation
		}
		if m.Lock != s.Lock || m.Rewrite != s.Rewrite || (m.Scan || m.Rewrite) != (s.Scan || s.Rewrite) {
			t.Errorf("%s (statement %d, %s): static lock %s rewrite %v scan %v, measured lock %s rewrite %v scan %v",
				s.Rule, s.Statement, s.Relation, s.Lock, s.Rewrite, s.Scan, m.Lock, m.Rewrite, m.Scan)
		}
	}
	for _, m := range ms {
		if !(m.Rewrite || m.Scan) || m.Lock < Share || m.Lock == Exclusive {
			continue // writes go on below SHARE; EXCLUSIVE is REFRESH ... CONCURRENTLY's, which lets reads go on
		}
		found := false
		for _, s := range static.Findings {
			// A statement's own finding, or an earlier one that holds a
			// strong lock through it.
			if s.Statement == m.Statement && (s.Rewrite || s.Scan) || s.Rule == RuleLockHeld && s.Statement < m.Statement {
				found = true
			}
		}
		if !found {
			t.Errorf("statement %d %s %s under %s, and no finding says so", m.Statement, what(m), m.Relation, m.Lock)
		}
	}
}

func what(m Measurement) string {
	var w []string
	if m.Rewrite {
		w = append(w, "rewrote")
	}
	if m.Scan {
		w = append(w, "scanned")
	}
	return strings.Join(w, " and ")
}

func serverMajorOf(t *testing.T, d *migratortest.Database) int {
	t.Helper()
	var num int
	if err := d.DB.QueryRow("SELECT current_setting('server_version_num')::int").Scan(&num); err != nil {
		t.Fatal(err)
	}
	return num / 10000
}

func TestSizes(t *testing.T) {
	d := migratortest.NewDatabase(t)
	if _, err := d.DB.Exec("CREATE TABLE big (id int, pad text); INSERT INTO big SELECT g, repeat('x', 100) FROM generate_series(1, 5000) g; ANALYZE big"); err != nil {
		t.Fatal(err)
	}
	res := &Result{Findings: []Finding{
		{Relation: "big", Lock: AccessExclusive, SizeBytes: -1, Rows: -1},
		{Relation: "public.big", Lock: Share, SizeBytes: -1, Rows: -1},
		{Relation: "missing", Lock: AccessExclusive, SizeBytes: -1, Rows: -1},
	}}
	if err := Sizes(context.Background(), d.DB, res); err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Findings[:2] {
		if f.SizeBytes < 500_000 || f.Rows != 5000 {
			t.Errorf("%s: %d bytes, %v rows", f.Relation, f.SizeBytes, f.Rows)
		}
	}
	if f := res.Findings[2]; f.SizeBytes != -1 {
		t.Errorf("missing relation: %+v", f)
	}
}

// TestMeasureRealWorldFiles measures files as real projects write them: a
// pg_dump baseline that empties search_path for its session, and a
// migration wrapped in BEGIN ... COMMIT, which apply runs without the
// wrapper. Each migration starts from the connection's settings, as in
// apply.
func TestMeasureRealWorldFiles(t *testing.T) {
	d := migratortest.NewDatabase(t)
	fsys := fstestFS(map[string]string{
		"1_baseline.sql": "SELECT pg_catalog.set_config('search_path', '', false);\nCREATE TABLE public.orders (id bigint, note text);\n",
		"2_wrapped.sql":  "BEGIN;\nSET lock_timeout = '1s';\nALTER TABLE orders ADD COLUMN jitter float8 DEFAULT random();\nCOMMIT;\n",
		"3_no_tx.sql":    "-- pgmig disable-transaction\nBEGIN;\nSET LOCAL lock_timeout = '1s';\nALTER TABLE orders ADD COLUMN seen timestamptz DEFAULT clock_timestamp();\nCOMMIT;\n",
	})
	v, err := migrator.Validate(fsys)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Lint(fsys, v.Migrations)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Measure(context.Background(), d.DB, fsys, v.Migrations, res); err != nil {
		t.Fatalf("measure: %v", err)
	}
	if len(res.Findings) != 2 {
		t.Fatalf("findings %+v", res.Findings)
	}
	for _, f := range res.Findings {
		if f.Rule != RuleVolatileDefault || !f.Measured || !f.Rewrite {
			t.Errorf("finding %+v", f)
		}
	}
}
