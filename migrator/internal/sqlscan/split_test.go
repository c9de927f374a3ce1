package sqlscan

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func texts(stmts []Statement) []string {
	out := []string{}
	for _, s := range stmts {
		out = append(out, s.Text)
	}
	return out
}

func TestSplitTexts(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"empty", "", nil},
		{"only whitespace and semicolons", " ;\n ; ;\t", nil},
		{"only comments", "-- a;\n/* b; */\n-- c", nil},
		{"two statements", "select 1; select 2;", []string{"select 1", "select 2"}},
		{"no final semicolon", "select 1;\nselect 2\n", []string{"select 1", "select 2"}},
		{"leading comments skipped", "-- hi\n/* x */ select 1;", []string{"select 1"}},
		{"trailing comment dropped", "select 1 -- one;\n;select 2 /* two */;", []string{"select 1", "select 2"}},
		{"inner comments kept", "select /* ; */ 1 -- ;\n + 2;", []string{"select /* ; */ 1 -- ;\n + 2"}},
		{"line comment with quotes", "select 1 -- it's \"odd\" $$\n; select 2", []string{"select 1", "select 2"}},
		{"string with semicolon", "select 'a;b'; select 2", []string{"select 'a;b'", "select 2"}},
		{"doubled quote", "select 'it''s; x'; select 2", []string{"select 'it''s; x'", "select 2"}},
		{"standard string ends at backslash quote", `select 'a\'; select 2`, []string{`select 'a\'`, "select 2"}},
		{"E string backslash quote", `select E'a\'; b'; select 2`, []string{`select E'a\'; b'`, "select 2"}},
		{"e string backslash backslash", `select e'a\\'; select 2`, []string{`select e'a\\'`, "select 2"}},
		{"E string doubled quote", `select E'a''; b'; select 2`, []string{`select E'a''; b'`, "select 2"}},
		{"identifier ending in e is no E prefix", `select somee'a\'; select 2`, []string{`select somee'a\'`, "select 2"}},
		{"number junk is no E prefix", `select 1e'a\'; select 2`, []string{`select 1e'a\'`, "select 2"}},
		{"E string continuation keeps escapes", "select E'a'\n  'b\\'; c'; select 2", []string{"select E'a'\n  'b\\'; c'", "select 2"}},
		{"continuation over comment", "select E'a' -- x\n'\\';'; select 2", []string{"select E'a' -- x\n'\\';'", "select 2"}},
		{"no continuation without newline", "select E'a' 'b\\'; select 2", []string{"select E'a' 'b\\'", "select 2"}},
		{"bit, hex, national strings", "select B'1;0', X'1;F', N'x;', b'\\'; select 2", []string{"select B'1;0', X'1;F', N'x;', b'\\'", "select 2"}},
		{"unicode string", "select U&'d\\0061t;a'; select 2", []string{"select U&'d\\0061t;a'", "select 2"}},
		{"quoted identifier", `select "a;""b"; select 2`, []string{`select "a;""b"`, "select 2"}},
		{"unicode quoted identifier", `select U&"a;b" UESCAPE '!'; select 2`, []string{`select U&"a;b" UESCAPE '!'`, "select 2"}},
		{"quoted identifier with quote", `select "it's"; select 2`, []string{`select "it's"`, "select 2"}},
		{"nested block comment", "select /* a /* b; */ c; */ 1; select 2", []string{"select /* a /* b; */ c; */ 1", "select 2"}},
		{"comment stars", "select /*/ ; **/ 1; /***/ select 2", []string{"select /*/ ; **/ 1", "select 2"}},
		{"comment after operator", "select 1 +/* ; */ 2; select 3 +-- ;\n 4", []string{"select 1 +/* ; */ 2", "select 3 +-- ;\n 4"}},
		{"dollar quote", "do $$ begin; end; $$; select 2", []string{"do $$ begin; end; $$", "select 2"}},
		{"tagged dollar quote", "do $fn$ a; $$ b; $$ ' $fn$; select 2", []string{"do $fn$ a; $$ b; $$ ' $fn$", "select 2"}},
		{"nested different tags", "create function f() returns int as $outer$ select $inner$;$x$;$inner$; $outer$ language sql; select 2",
			[]string{"create function f() returns int as $outer$ select $inner$;$x$;$inner$; $outer$ language sql", "select 2"}},
		{"tag prefix is not the end", "select $a$ $ab$; $b$ $a$; select 2", []string{"select $a$ $ab$; $b$ $a$", "select 2"}},
		{"dollar quote with quotes and comments", "select $$ ' \" /* -- $$; select 2", []string{"select $$ ' \" /* -- $$", "select 2"}},
		{"parameters", "prepare p as select $1, $2; select $1$$;$$", []string{"prepare p as select $1, $2", "select $1$$;$$"}},
		{"identifier with dollar", "select a$b$; select 2; select x$$ ;", []string{"select a$b$", "select 2", "select x$$"}},
		{"dollar not a quote", "select $ ; select $a; select 2", []string{"select $", "select $a", "select 2"}},
		{"number then dollar quote", "select 1$$;$$; select 2", []string{"select 1$$;$$", "select 2"}},
		{"parentheses keep semicolon", "create rule r as on insert to t do also (insert into a values (1); insert into b values (2)); select 2",
			[]string{"create rule r as on insert to t do also (insert into a values (1); insert into b values (2))", "select 2"}},
		{"unbalanced close paren", "select 1); select 2", []string{"select 1)", "select 2"}},
		{"begin atomic", "create function f() returns int language sql begin atomic select 1; select 2; end; select 3",
			[]string{"create function f() returns int language sql begin atomic select 1; select 2; end", "select 3"}},
		{"begin atomic with case", "CREATE OR REPLACE FUNCTION f(x int) RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT CASE WHEN x > 0 THEN 1 ELSE 0 END;\n  SELECT 2;\nEND;\nSELECT 3;",
			[]string{"CREATE OR REPLACE FUNCTION f(x int) RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT CASE WHEN x > 0 THEN 1 ELSE 0 END;\n  SELECT 2;\nEND", "SELECT 3"}},
		{"begin atomic procedure", "create procedure p() begin atomic insert into t values (1); end; call p()",
			[]string{"create procedure p() begin atomic insert into t values (1); end", "call p()"}},
		{"case outside begin is not counted", "create function f() returns int return case when true then 1 end; select 2",
			[]string{"create function f() returns int return case when true then 1 end", "select 2"}},
		{"begin in other statements", "begin; select 1; end; commit", []string{"begin", "select 1", "end", "commit"}},
		{"begin in create table", "create table begin (a int); select 2", []string{"create table begin (a int)", "select 2"}},
		{"quoted BEGIN is not a keyword", `create function "begin"() returns int language sql return 1; select 2`,
			[]string{`create function "begin"() returns int language sql return 1`, "select 2"}},
		{"CRLF", "select 1;\r\nselect 2;\r\n", []string{"select 1", "select 2"}},
		{"BOM", "\uFEFFselect 1; select 2", []string{"select 1", "select 2"}},
		{"non-ASCII identifiers", "select 'é' as ça; select ÿ$$;", []string{"select 'é' as ça", "select ÿ$$"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Split(tt.src)
			if err != nil {
				t.Fatalf("Split(%q): %v", tt.src, err)
			}
			want := tt.want
			if want == nil {
				want = []string{}
			}
			if !reflect.DeepEqual(texts(got), want) {
				t.Errorf("Split(%q)\n got %q\nwant %q", tt.src, texts(got), want)
			}
		})
	}
}

func TestSplitPositions(t *testing.T) {
	src := "\uFEFF-- header\r\nSELECT 1;  /* c */ insert into t\r\nvalues (1)\r\n;\r\n\r\n  'x';\rbegin\n;\"q\"; é; ( 2 )"
	want := []Statement{
		{Text: "SELECT 1", Offset: 14, Line: 2, Column: 1, Keyword: "SELECT"},
		{Text: "insert into t\r\nvalues (1)", Offset: 33, Line: 2, Column: 20, Keyword: "INSERT"},
		{Text: "'x'", Offset: 67, Line: 6, Column: 3, Keyword: ""},
		{Text: "begin", Offset: 72, Line: 7, Column: 1, Keyword: "BEGIN"},
		{Text: `"q"`, Offset: 79, Line: 8, Column: 2, Keyword: ""},
		{Text: "é", Offset: 84, Line: 8, Column: 7, Keyword: "é"},
		{Text: "( 2 )", Offset: 88, Line: 8, Column: 10, Keyword: ""},
	}
	got, err := Split(src)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%+v\nwant\n%+v", got, want)
	}
	for _, s := range got {
		if src[s.Offset:s.Offset+len(s.Text)] != s.Text {
			t.Errorf("%q: text not at offset %d", s.Text, s.Offset)
		}
	}
}

func TestSplitErrors(t *testing.T) {
	tests := []struct {
		name, src string
		line, col int
		offset    int
		what      string
	}{
		{"quoted string", "select 1;\nselect 'abc", 2, 8, 17, "unterminated quoted string"},
		{"standard string ending in backslash quote", `select 'a\' '`, 1, 13, 12, "unterminated quoted string"},
		{"doubled quote after backslash", `select 'a\''`, 1, 8, 7, "unterminated quoted string"},
		{"E string", `select E'a\'`, 1, 8, 7, "unterminated quoted string"},
		{"E string ending in backslash", `select E'a\`, 1, 8, 7, "unterminated quoted string"},
		{"E string continuation", "select E'a'\n'b\\'", 1, 8, 7, "unterminated quoted string"},
		{"bit string", "select b'01", 1, 8, 7, "unterminated bit string literal"},
		{"hex string", "select X'0F", 1, 8, 7, "unterminated hexadecimal string literal"},
		{"unicode string", "select U&'x", 1, 8, 7, "unterminated quoted string"},
		{"quoted identifier", "select 1;\r\n  select \"a\"\"b", 2, 10, 20, "unterminated quoted identifier"},
		{"unicode quoted identifier", `select u&"a`, 1, 8, 7, "unterminated quoted identifier"},
		{"dollar quote", "select 1;\nselect $fn$ body $fn", 2, 8, 17, "unterminated dollar-quoted string $fn$"},
		{"empty dollar tag", "é; $$ x $", 1, 4, 4, "unterminated dollar-quoted string $$"},
		{"block comment", "select 1 /* a */ /* b", 1, 18, 17, "unterminated /* comment"},
		{"nested block comment", "\uFEFFselect /* a /* b */", 1, 8, 10, "unterminated /* comment"},
		{"after CR", "select 1;\r'x", 2, 1, 10, "unterminated quoted string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stmts, err := Split(tt.src)
			var se *ScanError
			if !errors.As(err, &se) {
				t.Fatalf("Split(%q) = %v, %v; want *ScanError", tt.src, stmts, err)
			}
			if stmts != nil {
				t.Errorf("statements %v returned with error", stmts)
			}
			want := ScanError{Line: tt.line, Column: tt.col, Offset: tt.offset, What: tt.what}
			if *se != want {
				t.Errorf("Split(%q) error %+v, want %+v", tt.src, *se, want)
			}
		})
	}
}

func TestScanErrorMessage(t *testing.T) {
	e := &ScanError{Line: 3, Column: 5, Offset: 20, What: "unterminated quoted string"}
	if got, want := e.Error(), "line 3, column 5: unterminated quoted string"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestLineCol(t *testing.T) {
	src := "ab\ncd\r\nef\rgh\n\nçé"
	tests := []struct{ off, line, col int }{
		{-1, 1, 1}, {0, 1, 1}, {2, 1, 3}, {3, 2, 1}, {5, 2, 3}, {7, 3, 1}, {9, 3, 3},
		{10, 4, 1}, {13, 5, 1}, {14, 6, 1}, {16, 6, 2}, {18, 6, 3}, {99, 6, 3},
	}
	for _, tt := range tests {
		if l, c := LineCol(src, tt.off); l != tt.line || c != tt.col {
			t.Errorf("LineCol(%d) = %d,%d, want %d,%d", tt.off, l, c, tt.line, tt.col)
		}
	}
	bomSrc := "\uFEFFab\nc"
	for _, tt := range []struct{ off, line, col int }{{0, 1, 1}, {3, 1, 1}, {4, 1, 2}, {6, 2, 1}} {
		if l, c := LineCol(bomSrc, tt.off); l != tt.line || c != tt.col {
			t.Errorf("LineCol(BOM, %d) = %d,%d, want %d,%d", tt.off, l, c, tt.line, tt.col)
		}
	}
}

func TestWords(t *testing.T) {
	tests := []struct {
		text string
		n    int
		want []string
	}{
		{"create unique index concurrently \"i\" on t (a)", 4, []string{"CREATE", "UNIQUE", "INDEX", "CONCURRENTLY"}},
		{"/* x */ Create -- y\n Index\n/* z */ concurrently", 3, []string{"CREATE", "INDEX", "CONCURRENTLY"}},
		{"alter type t add value 'x'", -1, []string{"ALTER", "TYPE", "T", "ADD", "VALUE"}},
		{"vacuum (verbose) t", 2, []string{"VACUUM", "VERBOSE"}},
		{"select 1", 0, nil},
		{"'a' \"b\" 1 $1 $$c$$ d", 5, []string{"D"}},
	}
	for _, tt := range tests {
		got := Words(Statement{Text: tt.text}, tt.n)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Words(%q, %d) = %q, want %q", tt.text, tt.n, got, tt.want)
		}
	}
}

func TestSplitScriptMetaCommands(t *testing.T) {
	src := "\\restrict abc123\n" +
		"SET x = 1;\n" +
		"SELECT '\\not a command', E'\\\\' -- \\nor this\n" +
		"/* \\nor\nthis */ ;\n" +
		"\\connect other\n" +
		"CREATE TABLE t (id int);\n" +
		"\\unrestrict abc123"
	stmts, metas, err := SplitScript(src)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range stmts {
		got = append(got, s.Text)
	}
	wantStmts := []string{"SET x = 1", "SELECT '\\not a command', E'\\\\'", "CREATE TABLE t (id int)"}
	if strings.Join(got, "|") != strings.Join(wantStmts, "|") {
		t.Errorf("statements = %q, want %q", got, wantStmts)
	}
	want := []MetaCommand{
		{Text: "\\restrict abc123", Name: "restrict", Offset: 0, Line: 1, Column: 1},
		{Text: "\\connect other", Name: "connect", Offset: strings.Index(src, "\\connect"), Line: 6, Column: 1},
		{Text: "\\unrestrict abc123", Name: "unrestrict", Offset: strings.Index(src, "\\unrestrict"), Line: 8, Column: 1},
	}
	if len(metas) != len(want) {
		t.Fatalf("meta-commands = %+v, want %+v", metas, want)
	}
	for i := range want {
		if metas[i] != want[i] {
			t.Errorf("meta-command %d = %+v, want %+v", i, metas[i], want[i])
		}
	}
	// Split skips them the same way.
	plain, err := Split(src)
	if err != nil || len(plain) != len(stmts) {
		t.Fatalf("Split = %d statements, %v; want %d", len(plain), err, len(stmts))
	}
}

func TestSplitScriptMetaInsideStatement(t *testing.T) {
	src := "SELECT 1\n\\gset\n, 2;"
	stmts, metas, err := SplitScript(src)
	if err != nil {
		t.Fatal(err)
	}
	if len(stmts) != 1 || len(metas) != 1 || metas[0].Name != "gset" || metas[0].Line != 2 {
		t.Fatalf("stmts = %+v, metas = %+v", stmts, metas)
	}
}

func TestConcurrentIndex(t *testing.T) {
	for _, tt := range []struct {
		src, index, table string
		ok                bool
	}{
		{"CREATE INDEX CONCURRENTLY orders_user ON orders (user_id)", "orders_user", "orders", true},
		{"create unique index concurrently if not exists \"Ix\" on only app.\"Orders\" (a)", "Ix", `app."Orders"`, true},
		{"CREATE INDEX CONCURRENTLY ON orders (user_id)", "", "", false},
		{"CREATE INDEX orders_user ON orders (user_id)", "", "", false},
		{"CREATE INDEX CONCURRENTLY Orders_User ON orders USING gin (tags)", "orders_user", "orders", true},
	} {
		stmts, err := Split(tt.src)
		if err != nil {
			t.Fatal(err)
		}
		index, table, ok := ConcurrentIndex(stmts[0])
		if index != tt.index || table != tt.table || ok != tt.ok {
			t.Errorf("ConcurrentIndex(%q) = %q, %q, %v; want %q, %q, %v", tt.src, index, table, ok, tt.index, tt.table, tt.ok)
		}
	}
}
