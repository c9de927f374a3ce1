package drift_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/pgmig/pgmig/migrator/drift"
)

// FuzzParseSQL: ParseSQL reads files of untrusted origin. It must never
// panic; an error must be a *ParseError; and whatever it reads must write
// back (WriteSQL) into text that reads into an equal Schema and writes the
// same text again. The seed is testdata/schema.sql, 'pgmig schema' of
// testdata/full on PostgreSQL 15 with --privileges.
func FuzzParseSQL(f *testing.F) {
	seed, err := os.ReadFile(filepath.Join("testdata", "schema.sql"))
	if err != nil {
		f.Fatal(err)
	}
	if _, err := drift.ParseSQL(seed); err != nil {
		f.Fatalf("the seed does not parse: %v", err)
	}
	header, _, _ := bytes.Cut(seed, []byte("\n\n"))
	header = append(header, '\n')
	f.Add(seed)
	f.Add(header)
	for _, s := range []string{
		"\n-- pgmig table: t\nCREATE TABLE t (\n    a int,\n    \"b \"\" c\" text\n) PARTITION BY LIST (a);\n",
		"\n-- pgmig table: t\\nu\nCREATE TABLE t\nu (\n);\n",
		"\n-- pgmig view: v\n\\-- pgmig view: w\n\\\\x\n\n\n",
		"\n-- pgmig function: f\n\n",
		"\n-- pgmig foreign table: ft\nCREATE FOREIGN TABLE ft (\n    a\\\\n int\n) SERVER s;\n",
	} {
		f.Add(append(append([]byte{}, header...), s...))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		s, err := drift.ParseSQL(text)
		if err != nil {
			var pe *drift.ParseError
			if !errors.As(err, &pe) || pe.Line < 1 {
				t.Fatalf("error %T %v, want a *ParseError with a line", err, err)
			}
			return
		}
		var w1 bytes.Buffer
		if err := s.WriteSQL(&w1); err != nil {
			t.Fatal(err)
		}
		again, err := drift.ParseSQL(w1.Bytes())
		if err != nil {
			t.Fatalf("the written text does not parse: %v\ninput:\n%q\nwritten:\n%q", err, text, w1.Bytes())
		}
		if !reflect.DeepEqual(s, again) {
			t.Fatalf("written and read back, the schema differs:\ninput:\n%q\nfirst: %#v\nagain: %#v", text, s, again)
		}
		var w2 bytes.Buffer
		if err := again.WriteSQL(&w2); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(w1.Bytes(), w2.Bytes()) {
			t.Fatalf("written twice, the text differs:\n%q\n%q", w1.Bytes(), w2.Bytes())
		}
	})
}
