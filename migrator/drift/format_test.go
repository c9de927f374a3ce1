package drift_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/pgmig/pgmig/migrator/drift"
)

// TestSchemaSQLRoundTripAwkward: names and definitions that look like the
// format's own syntax read back unchanged.
func TestSchemaSQLRoundTripAwkward(t *testing.T) {
	s := &drift.Schema{Objects: []drift.Object{
		{Kind: drift.KindTable, Name: `app."we ird"`, Definition: "PARTITION BY LIST (a)", Columns: []drift.Column{
			{Name: `"a ""b"" c"`, Definition: `text DEFAULT 'x\y'::text`},
			{Name: "multi", Definition: "text DEFAULT 'line 1\nline 2'::text NOT NULL"},
			{Name: "e", Definition: "integer,"},
		}},
		{Kind: drift.KindTable, Name: "app.empty"},
		{Kind: drift.KindFunction, Name: "app.f()", Definition: "CREATE FUNCTION app.f()\nAS $$\n-- pgmig table: not a marker\n\\ a backslash line\n\n  indented\n$$"},
		{Kind: drift.KindComment, Name: "table app.\"we\nird\"", Definition: "two\nlines"},
		{Kind: drift.KindSchema, Name: "app"},
	}}
	text := schemaText(t, s)
	parsed, err := drift.ParseSQL([]byte(text))
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	if diffs := drift.Compare(s, parsed); len(diffs) > 0 {
		t.Errorf("round trip:%s\n%s", describe(diffs), text)
	}
	for i, o := range parsed.Objects {
		if len(o.Columns) != len(parsed.Objects[i].Columns) {
			t.Errorf("%s: columns lost", o.Name)
		}
	}
}

func TestParseSQLErrors(t *testing.T) {
	var empty strings.Builder
	if err := (&drift.Schema{}).WriteSQL(&empty); err != nil {
		t.Fatal(err)
	}
	header := empty.String()
	if s, err := drift.ParseSQL([]byte(header)); err != nil || s.Len() != 0 {
		t.Errorf("the text of an empty schema: %v, %v", s, err)
	}
	for _, tt := range []struct{ text, problem string }{
		{"", "not a schema file written by pgmig: it does not start with its header"},
		{"garbage\n-- pgmig schema: a\n", "not a schema file written by pgmig"},
		{"-- pgmig gadget: x\n", `unknown kind of object "gadget"`},
		{"-- pgmig schema x\n", "marker without a name"},
		{"-- pgmig schema: a\n\n-- pgmig schema: a\n", "schema a listed twice"},
		{"-- pgmig table: t\nCREATE TABLE u (\n);\n", `want "CREATE TABLE t ("`},
		{"-- pgmig table: t\nCREATE TABLE t (\n  a int\n);\n", "want a column, indented by four spaces"},
		{"-- pgmig table: t\nCREATE TABLE t (\n    a int\n", `want ")"`},
	} {
		text := tt.text
		if strings.HasPrefix(text, "-- pgmig ") {
			text = header + "\n" + text
		}
		_, err := drift.ParseSQL([]byte(text))
		var pe *drift.ParseError
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), tt.problem) {
			t.Errorf("ParseSQL(%q) = %v, want a *ParseError with %q", tt.text, err, tt.problem)
		}
	}
}
