package sqlscan

import (
	"strings"
	"testing"
)

// fuzzSeeds are inputs exercising every lexical form and edge.
var fuzzSeeds = []string{
	"",
	"select 1; select 2",
	"\uFEFFselect 1;\r\nselect 2\r\n",
	"select 'a''b'; select E'a\\'b'; select 'a\\'; x",
	"select E'a'\n -- c\n 'b\\'c'; select 2",
	"select B'01', X'0F', N'n', U&'d\\0061' UESCAPE '!', U&\"x\"",
	"select \"a\"\"b\"; select \"it's\"",
	"select /* a /* b */ c */ 1; /*/ **/ -- x;\n",
	"do $$ begin; end $$; do $fn$ $$ $x$ $fn$; select $1, a$b$, $$",
	"select 1$$x$$, 1e'x', $1abc, $ ;",
	"create rule r as on insert to t do also (insert into a values (1); insert into b values (2));",
	"create or replace function f() returns int language sql begin atomic select case when true then 1 end; end; select 2",
	"create procedure p() begin atomic select (case when true then 1 end); end",
	"begin; commit; rollback to savepoint a; end",
	"select 'unterminated",
	"select $x$ unterminated",
	"/* unterminated /* */",
	"select \"unterminated",
	"a\r\rb;\n\r\n;é;\xff\xfe;",
	"\uFEFF\uFEFF;\uFEFF",
}

func FuzzSplit(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		stmts, err := Split(src)
		if err != nil {
			se, ok := err.(*ScanError)
			if !ok {
				t.Fatalf("error %T %v is not a *ScanError", err, err)
			}
			if stmts != nil {
				t.Fatalf("statements returned with error")
			}
			if se.Offset < 0 || se.Offset >= len(src) {
				t.Fatalf("error offset %d out of range", se.Offset)
			}
			if l, c := LineCol(src, se.Offset); l != se.Line || c != se.Column {
				t.Fatalf("error at %d: line/col %d:%d, LineCol says %d:%d", se.Offset, se.Line, se.Column, l, c)
			}
			return
		}
		prevEnd := -1
		for _, s := range stmts {
			if s.Text == "" {
				t.Fatalf("empty statement at %d", s.Offset)
			}
			if s.Offset <= prevEnd {
				t.Fatalf("statement at %d overlaps or precedes previous end %d", s.Offset, prevEnd)
			}
			if s.Offset+len(s.Text) > len(src) || src[s.Offset:s.Offset+len(s.Text)] != s.Text {
				t.Fatalf("Text %q is not at offset %d", s.Text, s.Offset)
			}
			prevEnd = s.Offset + len(s.Text)
			if l, c := LineCol(src, s.Offset); l != s.Line || c != s.Column {
				t.Fatalf("statement at %d: line/col %d:%d, LineCol says %d:%d", s.Offset, s.Line, s.Column, l, c)
			}
			TransactionControl(s)
			Words(s, -1)
		}
		joined := strings.Join(texts(stmts), ";\n")
		if strings.HasPrefix(joined, bom) {
			// A statement may start with U+FEFF (an identifier character);
			// keep the re-split from taking it for a byte order mark.
			joined = ";" + joined
		}
		again, err := Split(joined)
		if err != nil {
			t.Fatalf("re-split of %q: %v", joined, err)
		}
		if len(again) != len(stmts) {
			t.Fatalf("re-split of %q gave %d statements, want %d", joined, len(again), len(stmts))
		}
		for i := range again {
			if again[i].Text != stmts[i].Text || again[i].Keyword != stmts[i].Keyword {
				t.Fatalf("re-split statement %d = %q, want %q", i, again[i].Text, stmts[i].Text)
			}
		}
	})
}
