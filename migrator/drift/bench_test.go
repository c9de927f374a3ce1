package drift_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/pgmig/pgmig/migrator/drift"
	"github.com/pgmig/pgmig/migrator/migratortest"
)

// largeSchema returns the SQL of a schema of 500 tables (each with a
// primary key, a foreign key to the one before, a check, a default, a
// comment and three more indexes: 2000 indexes in all), 200 functions and
// 100 views.
func largeSchema() string {
	var b strings.Builder
	b.WriteString("CREATE SCHEMA big;\n")
	for i := range 500 {
		fmt.Fprintf(&b, "CREATE TABLE big.t%03d (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, parent bigint%s, "+
			"name text NOT NULL DEFAULT '', amount numeric(12,2) CHECK (amount >= 0), created_at timestamptz NOT NULL DEFAULT now(), "+
			"status text COLLATE \"C\", payload jsonb);\n", i, ref(i))
		fmt.Fprintf(&b, "CREATE INDEX t%03d_name ON big.t%03d (lower(name));\n", i, i)
		fmt.Fprintf(&b, "CREATE INDEX t%03d_created ON big.t%03d (created_at DESC) WHERE status IS NOT NULL;\n", i, i)
		fmt.Fprintf(&b, "CREATE INDEX t%03d_parent ON big.t%03d (parent, amount);\n", i, i)
		fmt.Fprintf(&b, "COMMENT ON TABLE big.t%03d IS 'table %d';\n", i, i)
	}
	for i := range 200 {
		fmt.Fprintf(&b, "CREATE FUNCTION big.f%03d(x bigint, y text DEFAULT 'a') RETURNS bigint LANGUAGE plpgsql STABLE AS $$\n"+
			"BEGIN\n  RETURN (SELECT count(*) FROM big.t%03d WHERE parent = x AND name <> y);\nEND\n$$;\n", i, i)
	}
	for i := range 100 {
		fmt.Fprintf(&b, "CREATE VIEW big.v%03d AS SELECT t.id, t.name, p.amount FROM big.t%03d t JOIN big.t%03d p ON p.id = t.parent WHERE t.amount > %d;\n",
			i, i+1, i, i)
	}
	return b.String()
}

// ref is the foreign key of table i to the table before it.
func ref(i int) string {
	if i == 0 {
		return ""
	}
	return fmt.Sprintf(" REFERENCES big.t%03d", i-1)
}

// BenchmarkInspectCompare inspects a schema of 500 tables, 2000 indexes,
// 200 functions and 100 views and compares it with the same schema
// inspected before: what drift does to the target, and what the start-up
// check does (goal: under 1 s).
func BenchmarkInspectCompare(b *testing.B) {
	d := migratortest.NewDatabase(b)
	if _, err := d.DB.Exec(largeSchema()); err != nil {
		b.Fatal(err)
	}
	expected := inspect(b, d.DB, drift.Options{})
	if n := expected.Count(drift.KindIndex) + expected.Count(drift.KindConstraint); n < 2000 {
		b.Fatalf("%d indexes and constraints", n)
	}
	b.ResetTimer()
	for b.Loop() {
		actual, err := drift.Inspect(testContext(b), d.DB, drift.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if diffs := drift.Compare(expected, actual); len(diffs) != 0 {
			b.Fatalf("%d differences", len(diffs))
		}
	}
	b.ReportMetric(float64(expected.Len()), "objects")
}

// BenchmarkWriteParseSQL writes the schema.sql text of that schema and
// reads it back.
func BenchmarkWriteParseSQL(b *testing.B) {
	d := migratortest.NewDatabase(b)
	if _, err := d.DB.Exec(largeSchema()); err != nil {
		b.Fatal(err)
	}
	s := inspect(b, d.DB, drift.Options{})
	b.ResetTimer()
	for b.Loop() {
		var w strings.Builder
		if err := s.WriteSQL(&w); err != nil {
			b.Fatal(err)
		}
		if _, err := drift.ParseSQL([]byte(w.String())); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(w.Len()))
	}
}
