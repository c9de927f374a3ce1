package sqlscan

import (
	"fmt"
	"strings"
	"testing"
)

// benchSource generates about size bytes of varied migration SQL.
func benchSource(size int) string {
	var b strings.Builder
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "-- step %d\nCREATE TABLE t%d (id int PRIMARY KEY, name text DEFAULT 'it''s; %d', note text DEFAULT E'a\\'b');\n", i, i, i)
		fmt.Fprintf(&b, "/* block /* nested */ comment */ INSERT INTO t%d VALUES ($1, \"Quoted;Id\", 1.5e3);\n", i)
		fmt.Fprintf(&b, "CREATE FUNCTION f%d() RETURNS int LANGUAGE plpgsql AS $fn$ BEGIN RETURN %d; END; $fn$;\n", i, i)
		fmt.Fprintf(&b, "CREATE FUNCTION g%d(x int) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN x > 0 THEN 1 END; END;\n", i)
	}
	return b.String()
}

func BenchmarkSplit(b *testing.B) {
	src := benchSource(1 << 20)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Split(src); err != nil {
			b.Fatal(err)
		}
	}
}
