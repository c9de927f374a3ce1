package pgtree

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// extra covers node types the repository's migrations may not hold.
var extra = []string{
	"SELECT 1, 1.5, 'x', true, B'101', NULL, $1, ARRAY[1,2], ROW(1,2), -2147483648, 9223372036854775807",
	"SELECT a.b, c[1], d[1:2], (e).f, g::int, CAST(h AS text) FROM t AS a(x) WHERE x IS NOT NULL AND y IN (1, 2) OR NOT z",
	"WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT * FROM r ORDER BY n DESC NULLS LAST LIMIT 2 OFFSET 1",
	"SELECT count(*) FILTER (WHERE x > 0) OVER (PARTITION BY y ORDER BY z ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM t GROUP BY ROLLUP (a, b) HAVING sum(c) > 1",
	"INSERT INTO t (a, b) VALUES (1, DEFAULT) ON CONFLICT (a) DO UPDATE SET b = excluded.b RETURNING *",
	"UPDATE t SET a = s.a FROM s WHERE t.id = s.id; DELETE FROM t USING s WHERE t.id = s.id",
	"MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET a = s.a WHEN NOT MATCHED THEN INSERT VALUES (s.id, s.a)",
	"CREATE TABLE p (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v text COLLATE \"C\" CHECK (v <> ''), w int REFERENCES q (id) ON DELETE CASCADE, x numeric(10,2) DEFAULT 0, UNIQUE (v, w), EXCLUDE USING gist (x WITH =)) PARTITION BY RANGE (id)",
	"ALTER TABLE t ADD COLUMN c int NOT NULL DEFAULT 1, ALTER COLUMN d TYPE bigint USING d::bigint, DROP CONSTRAINT k, ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES b NOT VALID, VALIDATE CONSTRAINT f, SET (fillfactor = 70)",
	"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS i ON t USING btree (lower(a) DESC, b) INCLUDE (c) WHERE d > 0",
	"CREATE FUNCTION f(a int, OUT b text) RETURNS SETOF record LANGUAGE plpgsql AS $$ BEGIN RETURN QUERY SELECT 1; END $$",
	"DO $$ BEGIN RAISE NOTICE 'x'; END $$; CREATE TRIGGER tr BEFORE UPDATE ON t FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION f()",
	"CREATE VIEW v WITH (security_barrier) AS SELECT * FROM t; CREATE MATERIALIZED VIEW m AS SELECT 1 WITH NO DATA; REFRESH MATERIALIZED VIEW CONCURRENTLY m",
	"GRANT SELECT, UPDATE (a) ON t TO r WITH GRANT OPTION; REVOKE ALL ON SCHEMA s FROM PUBLIC; ALTER DEFAULT PRIVILEGES IN SCHEMA s GRANT SELECT ON TABLES TO r",
	"CREATE TYPE e AS ENUM ('a', 'b'); ALTER TYPE e ADD VALUE IF NOT EXISTS 'c' BEFORE 'b'; CREATE DOMAIN d AS int CHECK (VALUE > 0); CREATE TYPE c AS (a int, b text)",
	"CREATE POLICY p ON t FOR SELECT TO r USING (owner = current_user); ALTER TABLE t ENABLE ROW LEVEL SECURITY; COMMENT ON COLUMN t.a IS 'x'",
	"BEGIN ISOLATION LEVEL SERIALIZABLE; SET LOCAL lock_timeout = '1s'; RESET ALL; SAVEPOINT s; ROLLBACK TO s; COMMIT; LOCK TABLE t IN SHARE MODE NOWAIT",
	"VACUUM (ANALYZE, VERBOSE) t (a); CLUSTER t USING i; REINDEX INDEX CONCURRENTLY i; TRUNCATE t RESTART IDENTITY CASCADE; DROP TABLE IF EXISTS a, b CASCADE",
	"CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA s; CREATE SEQUENCE q START 10 INCREMENT BY 2 OWNED BY t.a; ALTER SEQUENCE q RESTART; SELECT nextval('q')",
	"SELECT CASE WHEN a THEN 1 ELSE 2 END, COALESCE(a, b), NULLIF(a, b), GREATEST(a, b), a BETWEEN 1 AND 2, a LIKE 'x%', a ~ 'y', a IS DISTINCT FROM b, EXISTS (SELECT 1), x = ANY (ARRAY[1]), xmlelement(name a), json_object('a': 1), 'a' COLLATE \"C\"",
	"CREATE TABLE m (a int) PARTITION BY LIST (a); CREATE TABLE m1 PARTITION OF m FOR VALUES IN (1, 2); ALTER TABLE m DETACH PARTITION m1 CONCURRENTLY; ALTER TABLE m ATTACH PARTITION m1 FOR VALUES IN (1)",
	"COPY t (a) FROM STDIN WITH (FORMAT csv); EXPLAIN (ANALYZE) SELECT 1; PREPARE s (int) AS SELECT $1; EXECUTE s (1); CREATE SCHEMA IF NOT EXISTS s AUTHORIZATION r",
}

// corpus returns the SQL texts the tests parse: every .sql file of the
// module, the peer fixtures when they are beside the module, and extra.
func corpus(t *testing.T) map[string]string {
	t.Helper()
	texts := map[string]string{}
	for i, s := range extra {
		texts["extra"+strings.Repeat("'", i)] = s
	}
	for _, root := range []string{"../../../..", "../../../../../shared"} {
		if _, err := os.Stat(root); err != nil {
			continue
		}
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
				return filepath.SkipDir
			}
			if !d.IsDir() && strings.HasSuffix(p, ".sql") {
				if b, err := os.ReadFile(p); err == nil {
					texts[p] = string(b)
				}
			}
			return nil
		})
	}
	if len(texts) < 100 {
		t.Fatalf("only %d SQL texts found", len(texts))
	}
	return texts
}

// TestSameTreeAsPgQuery: for every text, the tree decoded here, encoded
// again, is the tree pg_query_go decodes with the protobuf runtime; the
// deparsed SQL is the same; Walk visits every node the protobuf runtime
// reaches.
func TestSameTreeAsPgQuery(t *testing.T) {
	parsed := 0
	for name, text := range corpus(t) {
		want, werr := pg.Parse(text)
		got, gerr := Parse(text)
		if (werr == nil) != (gerr == nil) {
			t.Errorf("%s: pg_query_go says %v, pgtree says %v", name, werr, gerr)
			continue
		}
		if werr != nil {
			if werr.Error() != gerr.Error() {
				t.Errorf("%s: errors differ: %v / %v", name, werr, gerr)
			}
			continue
		}
		parsed++
		again := &pg.ParseResult{}
		if err := proto.Unmarshal(got.encode(nil), again); err != nil {
			t.Errorf("%s: the encoded tree does not decode: %v", name, err)
			continue
		}
		if !proto.Equal(again, want) {
			t.Errorf("%s: the trees differ", name)
			continue
		}
		ws, werr := pg.Deparse(want)
		gs, gerr := Deparse(got)
		if ws != gs || (werr == nil) != (gerr == nil) {
			t.Errorf("%s: deparsed differently:\n%s (%v)\n%s (%v)", name, ws, werr, gs, gerr)
		}
		if w, g := countProto(want.ProtoReflect()), countWalk(got); w != g {
			t.Errorf("%s: Walk visits %d nodes, the protobuf runtime reaches %d", name, g, w)
		}
	}
	if parsed < 100 {
		t.Errorf("only %d texts parsed", parsed)
	}
}

func countProto(m protoreflect.Message) int {
	n := 1
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList() && fd.Kind() == protoreflect.MessageKind:
			for i := range v.List().Len() {
				n += countProto(v.List().Get(i).Message())
			}
		case fd.Kind() == protoreflect.MessageKind:
			n += countProto(v.Message())
		}
		return true
	})
	return n
}

func countWalk(res *ParseResult) int {
	n := 0
	res.Walk(func(any) bool { n++; return true })
	return n
}

// TestMalformed: a truncated or garbled tree is an error, never a panic.
func TestMalformed(t *testing.T) {
	res, err := Parse(extra[7])
	if err != nil {
		t.Fatal(err)
	}
	b := res.encode(nil)
	for cut := range len(b) {
		d := decoder{b: b[:cut]}
		(&ParseResult{}).decode(&d) // an error or a shorter tree
	}
	for _, bad := range [][]byte{{0x00}, {0x0a, 0xff}, {0x0b}, {0x12, 0x05, 0x01}, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}} {
		d := decoder{b: bad}
		(&ParseResult{}).decode(&d)
		if d.err == nil {
			t.Errorf("% x decoded without an error", bad)
		}
	}
}

// TestEnumNames: an enum prints its name, as pg_query_go's does.
func TestEnumNames(t *testing.T) {
	if got, want := AlterTableType_AT_AddColumn.String(), pg.AlterTableType_AT_AddColumn.String(); got != want {
		t.Errorf("AT_AddColumn prints %q, pg_query_go %q", got, want)
	}
	if got := ObjectType(9999).String(); got != "ObjectType(9999)" {
		t.Errorf("an unknown value prints %q", got)
	}
}

// TestGeneratedIsCurrent: tree_gen.go is what ./gen writes for the
// pg_query_go version in go.mod.
func TestGeneratedIsCurrent(t *testing.T) {
	out := filepath.Join(t.TempDir(), "tree_gen.go")
	if b, err := exec.Command("go", "run", "./gen", out).CombinedOutput(); err != nil {
		t.Fatalf("go run ./gen: %v\n%s", err, b)
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("tree_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("tree_gen.go is not what ./gen writes: run go generate in migrator/lint/internal/pgtree")
	}
}
