package lint

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	pg "github.com/pganalyze/pg_query_go/v6"
)

func TestQuoteIdent(t *testing.T) {
	for in, want := range map[string]string{
		"orders": "orders", "order_items2": "order_items2", "Orders": `"Orders"`, "a b": `"a b"`,
		`say "hi"`: `"say ""hi"""`, "order": `"order"`, "user": `"user"`, "select": `"select"`,
		"left": `"left"`, "name": "name", "value": "value", "1st": `"1st"`, "": `""`,
	} {
		if got := quoteIdent(in); got != want {
			t.Errorf("quoteIdent(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestQuoteIdentKeywords checks every keyword of the parser's list: a
// name is left unquoted exactly when PostgreSQL's grammar reads it back
// as a table and a column name.
func TestQuoteIdentKeywords(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/pganalyze/pg_query_go/v6").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	src, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "parser/include/postgres/parser/kwlist.h"))
	if err != nil {
		t.Fatal(err)
	}
	words := regexp.MustCompile(`(?m)^PG_KEYWORD\("([a-z_]+)"`).FindAllStringSubmatch(string(src), -1)
	if len(words) < 400 {
		t.Fatalf("%d keywords in kwlist.h", len(words))
	}
	for _, w := range words {
		kw := w[1]
		_, err1 := pg.Parse("CREATE TABLE " + kw + " (x int)")
		_, err2 := pg.Parse("ALTER TABLE t ADD COLUMN " + kw + " int")
		needsQuotes := err1 != nil || err2 != nil
		if quoted := quoteIdent(kw) != kw; quoted != needsQuotes {
			t.Errorf("keyword %s: quoted %v, but the grammar needs quotes: %v", kw, quoted, needsQuotes)
		}
	}
}

// TestKeywordNames: a table and a column named by keywords are quoted in
// the finding and its fix, which PostgreSQL's grammar accepts.
func TestKeywordNames(t *testing.T) {
	res := lintFiles(t, map[string]string{
		"1_base.sql":   `CREATE TABLE "order" (id int, "user" text);`,
		"2_change.sql": `ALTER TABLE "order" ALTER COLUMN "user" SET NOT NULL;`,
	}, []int{2}, WithLockTimeout(2e9), WithPGVersion(17))
	if len(res.Findings) != 1 || res.Findings[0].Relation != `"order"` {
		t.Fatalf("findings %+v", res.Findings)
	}
	if _, err := pg.Parse(res.Findings[0].Fix); err != nil {
		t.Fatalf("fix %s: %v", res.Findings[0].Fix, err)
	}
}
