package lint

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	pg "github.com/pgmig/pgmig/migrator/lint/internal/pgtree"
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

// TestSearchPath: an unqualified name is the table of the search path
// (public by default, or as SET search_path says in the file), not a new
// table of the same name in another schema.
func TestSearchPath(t *testing.T) {
	tests := []struct {
		name, sql string
		want      []string
	}{
		{"new table elsewhere", "CREATE TABLE archive.orders (id bigint);\nCREATE INDEX ON orders (note);", []string{RuleCreateIndex}},
		{"new table elsewhere, qualified", "CREATE TABLE archive.orders (id bigint);\nCREATE INDEX ON public.orders (note);", []string{RuleCreateIndex}},
		{"new table on the path", "SET search_path TO archive, public;\nCREATE TABLE orders (id bigint);\nCREATE INDEX ON orders (id);", nil},
		{"new table on the path, qualified", "SET search_path = 'archive';\nCREATE TABLE orders (id bigint);\nCREATE INDEX ON archive.orders (id);", nil},
		{"new table in archive", "CREATE TABLE archive.orders (id bigint);\nCREATE INDEX ON archive.orders (id);", nil},
		{"path of set_config", "SELECT set_config('search_path', 'archive', false);\nCREATE TABLE orders (id bigint);\nCREATE INDEX ON public.orders (note);", []string{RuleCreateIndex}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ruleIDs(lintMigration(t, tt.sql)); !slices.Equal(got, append([]string{}, tt.want...)) {
				t.Fatalf("found %v, want %v", got, tt.want)
			}
		})
	}
}

// TestSearchPathOfTheServer: a file that leaves the search path to the
// server may find its tables in another schema than public.
func TestSearchPathOfTheServer(t *testing.T) {
	res := lintFiles(t, map[string]string{
		"1_base.sql":   "CREATE TABLE app.orders (id bigint, note varchar(20));",
		"2_change.sql": "CREATE TABLE app.items (id bigint);\nCREATE INDEX ON items (id);\nALTER TABLE orders ALTER COLUMN note TYPE varchar(40);",
	}, []int{2}, WithLockTimeout(2e9))
	if len(res.Findings) != 0 {
		t.Fatalf("findings %+v", res.Findings)
	}
}
