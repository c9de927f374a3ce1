package templatedb_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/templatedb"
)

func read(t *testing.T, fsys fstest.MapFS) *migrator.Files {
	t.Helper()
	f, err := migrator.ReadFiles(fsys)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// The key changes with every file's name and content, the table and the
// version; the family stays with the first file.
func TestKey(t *testing.T) {
	base := fstest.MapFS{
		"1_a.sql": {Data: []byte("CREATE TABLE a (id int);\n")},
		"2_b.sql": {Data: []byte("CREATE TABLE b (id int);\n")},
	}
	key, name := templatedb.Key(read(t, base), templatedb.Options{Version: "v1.0.0"})
	if !strings.HasPrefix(name, templatedb.Prefix) || !strings.HasSuffix(name, "_"+key) || len(name) > 63 {
		t.Fatalf("name %q for key %q", name, key)
	}
	family := strings.TrimSuffix(name, "_"+key)
	variants := map[string]func() (string, string){
		"content": func() (string, string) {
			f := fstest.MapFS{"1_a.sql": base["1_a.sql"], "2_b.sql": {Data: []byte("CREATE TABLE b (id bigint);\n")}}
			return templatedb.Key(read(t, f), templatedb.Options{Version: "v1.0.0"})
		},
		"name": func() (string, string) {
			f := fstest.MapFS{"1_a.sql": base["1_a.sql"], "2_c.sql": base["2_b.sql"]}
			return templatedb.Key(read(t, f), templatedb.Options{Version: "v1.0.0"})
		},
		"added file": func() (string, string) {
			f := fstest.MapFS{"1_a.sql": base["1_a.sql"], "2_b.sql": base["2_b.sql"], "3_c.sql": {Data: []byte("SELECT 1;\n")}}
			return templatedb.Key(read(t, f), templatedb.Options{Version: "v1.0.0"})
		},
		"table": func() (string, string) {
			return templatedb.Key(read(t, base), templatedb.Options{Version: "v1.0.0", Table: "ops.migrations"})
		},
		"version": func() (string, string) { return templatedb.Key(read(t, base), templatedb.Options{Version: "v1.0.1"}) },
	}
	for what, f := range variants {
		k, n := f()
		if k == key {
			t.Errorf("a changed %s keeps key %s", what, key)
		}
		if !strings.HasPrefix(n, family+"_") {
			t.Errorf("a changed %s moves the template to another family: %s, want %s_…", what, n, family)
		}
	}
	if k, n := templatedb.Key(read(t, base), templatedb.Options{Version: "v1.0.0", Family: "shop"}); k != key || n != templatedb.Prefix+"shop_"+key {
		t.Errorf("with a family: %s", n)
	}
}
