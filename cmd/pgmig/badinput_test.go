package main

import (
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pgmig/pgmig/migrator/migratortest"
)

// The bad-input catalogue: every kind of broken (or merely unusual) input
// pgmig apply can meet that needs a database to tell, run through the
// command line against a real PostgreSQL. Each case asserts the exit code,
// a message on stderr that names the problem and the file, and what is in
// the database afterwards: for a failure, nothing beyond what the case's
// setup put there (at most the tracking table with its row 0 when pgmig got
// as far as creating it). The rules about files alone have one folder each
// in testdata/broken (TestGoldenBroken); the two large inputs are
// benchmarks (BenchmarkLargeInput, make bench-large).

// appliedRow is a tracking table row that a successful case must leave behind.
type appliedRow struct{ file, name string }

// caseEnv is what one case runs against.
type caseEnv struct {
	t       testing.TB
	db      *migratortest.Database // nil for cases without a reachable database
	dir     string                 // the folder passed to apply
	url     string                 // --url
	flags   []string               // apply flags before the folder
	track   string                 // tracking table as a regclass literal
	applied []appliedRow           // rows besides row 0 that a successful run leaves
	timeout time.Duration          // how long apply may take (0: runTimeout)
	timed   bool                   // log how long apply took
	unblock func()                 // called when apply runs past timeout
	before  dbState
}

// write creates a file of the migrations folder.
func (e *caseEnv) write(name, content string) {
	e.t.Helper()
	writeFile(e.t, e.dir, name, content)
}

// exec runs SQL on the case's database as the superuser of the harness.
func (e *caseEnv) exec(query string) {
	e.t.Helper()
	if _, err := e.db.DB.Exec(query); err != nil {
		e.t.Fatalf("setup: %s: %v", query, err)
	}
}

// apply runs pgmig apply on the case's folder as a setup step.
func (e *caseEnv) apply() {
	e.t.Helper()
	if code, _, stderr := pgmig(e.t, "--url", e.url, "apply", e.dir); code != exitOK {
		e.t.Fatalf("setup apply: exit %d\n%s", code, stderr)
	}
}

type inputCase struct {
	name  string
	files map[string]string // written into the migrations folder
	setup func(e *caseEnv)  // more files, database state, flags
	noDB  bool              // the target database is not reachable
	own   bool              // setup makes its own cluster and database
	code  int               // expected exit code
	want  []string          // substrings of stderr, in any order
	check func(e *caseEnv, p *problems, stdout, stderr string)
}

// problems collects the failed assertions of a case, reported together
// with the output.
type problems []string

func (p *problems) addf(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

func TestBadInput(t *testing.T) {
	const secret = "Sentinel-Pa55word"
	cases := []inputCase{
		// --- the folder ---
		{
			// exit 0: an empty folder creates the tracking table with its row 0 and nothing else.
			name: "empty folder", code: exitOK,
			check: func(e *caseEnv, p *problems, stdout, _ string) {
				if !strings.Contains(stdout, "up to date: 0 migrations applied") {
					p.addf("stdout = %q", stdout)
				}
				if e.before.tracking != nil {
					p.addf("the tracking table existed before the run")
				}
				after := snapshot(e.t, e.db.DB, e.track)
				if len(after.objects) != 0 {
					p.addf("objects besides the tracking table: %v", after.objects)
				}
			},
		},
		{
			// exit 3: "migrations folder DIR: no such file or directory".
			name: "missing folder", code: exitInvalidFiles,
			setup: func(e *caseEnv) { e.dir = filepath.Join(e.dir, "nope") },
			want:  []string{"pgmig: error: migrations folder ", "nope: no such file or directory"},
		},
		{
			// exit 3: "migrations folder FILE is a file, not a folder".
			name: "file instead of folder", code: exitInvalidFiles,
			files: map[string]string{"1_a.sql": "CREATE TABLE a (id int);"},
			setup: func(e *caseEnv) { e.dir = filepath.Join(e.dir, "1_a.sql") },
			want:  []string{"1_a.sql is a file, not a folder"},
		},
		{
			// exit 3: "1_x.sql: cannot follow symbolic link: no such file or directory".
			name: "dangling symlink", code: exitInvalidFiles,
			setup: func(e *caseEnv) { symlink(e, "/nonexistent/pgmig", "1_x.sql") },
			want:  []string{"invalid migration file: 1_x.sql: cannot follow symbolic link: no such file or directory"},
		},
		{
			// exit 0: a symbolic link to a folder is a subfolder, ignored as the README says;
			// 1_a.sql alone is applied.
			name: "symlink to a folder", code: exitOK,
			files: map[string]string{"1_a.sql": "CREATE TABLE a (id int);"},
			setup: func(e *caseEnv) {
				target := filepath.Join(e.t.TempDir(), "folder")
				if err := os.Mkdir(target, 0o755); err != nil {
					e.t.Fatal(err)
				}
				symlink(e, target, "2_x.sql")
				e.applied = []appliedRow{{"1_a.sql", "a"}}
			},
		},
		{
			// exit 3: a named pipe is not a regular file: "1_x.sql: not a regular file (named pipe)",
			// reported before pgmig opens it (opening a FIFO blocks until a writer comes).
			name: "named pipe", code: exitInvalidFiles,
			setup: func(e *caseEnv) {
				fifo := filepath.Join(e.dir, "1_x.sql")
				if err := syscall.Mkfifo(fifo, 0o644); err != nil {
					e.t.Fatal(err)
				}
				e.timeout = 3 * time.Second
				e.unblock = func() { // a writer that closes at once: the reader sees EOF
					if f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
						f.Close()
					}
				}
			},
			want: []string{"1_x.sql", "not a regular file"},
		},

		// --- file contents (the rules of encodings: testdata/broken) ---
		{
			// exit 0: an empty migration is recorded.
			name: "empty file", code: exitOK,
			files: map[string]string{"1_empty.sql": ""},
			setup: func(e *caseEnv) { e.applied = []appliedRow{{"1_empty.sql", "empty"}} },
			check: wantHash("1_empty.sql", []byte{}),
		},
		{
			// exit 0: a file of comments only is recorded.
			name: "only comments", code: exitOK,
			files: map[string]string{"1_comments.sql": "-- nothing to do yet\n/* not /* even */ this */\n"},
			setup: func(e *caseEnv) { e.applied = []appliedRow{{"1_comments.sql", "comments"}} },
		},
		{
			// exit 0: a UTF-8 byte-order mark is not sent to the server, but the hash covers it.
			name: "byte-order mark", code: exitOK,
			files: map[string]string{"1_bom.sql": "\uFEFFCREATE TABLE bom (id int);\n"},
			setup: func(e *caseEnv) { e.applied = []appliedRow{{"1_bom.sql", "bom"}} },
			check: func(e *caseEnv, p *problems, stdout, stderr string) {
				raw := []byte("\xEF\xBB\xBFCREATE TABLE bom (id int);\n")
				wantHash("1_bom.sql", raw)(e, p, stdout, stderr)
				var stored string
				e.db.DB.QueryRow("SELECT hash FROM migrations WHERE id = 1").Scan(&stored)
				if stored == fileHash("1_bom.sql", raw[3:]) {
					p.addf("the stored hash leaves the byte-order mark out")
				}
				wantRelation(e, p, "public.bom")
			},
		},
		{
			// exit 0: CRLF line endings run; the hash covers the raw bytes.
			name: "CRLF line endings", code: exitOK,
			files: map[string]string{"1_crlf.sql": "CREATE TABLE crlf (id int);\r\nINSERT INTO crlf VALUES (1);\r\n"},
			setup: func(e *caseEnv) { e.applied = []appliedRow{{"1_crlf.sql", "crlf"}} },
			check: func(e *caseEnv, p *problems, stdout, stderr string) {
				wantHash("1_crlf.sql", []byte("CREATE TABLE crlf (id int);\r\nINSERT INTO crlf VALUES (1);\r\n"))(e, p, stdout, stderr)
				wantCount(e, p, "SELECT count(*) FROM crlf", 1)
			},
		},

		// --- file names (the rules of names and numbering: testdata/broken) ---
		{
			// exit 0: spaces and non-ASCII letters in names are stored as they are.
			name: "spaces and unicode in names", code: exitOK,
			files: map[string]string{
				"1_create users.sql":      "CREATE TABLE \"users table\" (id int);",
				"2_créer-tâble-日本語 ☃.sql": "CREATE TABLE \"日本語\" (id int);",
			},
			setup: func(e *caseEnv) {
				e.applied = []appliedRow{{"1_create users.sql", "create users"}, {"2_créer-tâble-日本語 ☃.sql", "créer-tâble-日本語 ☃"}}
			},
			check: func(e *caseEnv, p *problems, _, _ string) {
				wantRelation(e, p, `public."users table"`)
				wantRelation(e, p, `public."日本語"`)
			},
		},
		{
			// exit 0: a name of exactly 100 characters (200 bytes) fits varchar(100).
			name: "name of 100 characters", code: exitOK,
			setup: func(e *caseEnv) {
				name := strings.Repeat("é", 100)
				e.write("1_"+name+".sql", "SELECT 1;")
				e.applied = []appliedRow{{"1_" + name + ".sql", name}}
			},
		},
		{
			// exit 0: .SQL in capitals counts; README.md, hidden files and subfolders are ignored.
			name: "extension case and ignored files", code: exitOK,
			files: map[string]string{"1_a.SQL": "CREATE TABLE a (id int);", "README.md": "# notes", ".2_hidden.sql": "CREATE TABLE hidden (id int);"},
			setup: func(e *caseEnv) {
				if err := os.Mkdir(filepath.Join(e.dir, "old"), 0o755); err != nil {
					e.t.Fatal(err)
				}
				e.write("old/2_b.sql", "CREATE TABLE b (id int);")
				e.applied = []appliedRow{{"1_a.SQL", "a"}}
			},
			check: func(e *caseEnv, p *problems, _, _ string) {
				after := snapshot(e.t, e.db.DB, e.track)
				if !slices.Equal(after.objects, []string{"relation a"}) {
					p.addf("objects = %v, want only table a", after.objects)
				}
			},
		},
		// --- rules about how files run (one folder each in testdata/broken: runRuleCases) ---
		{
			// exit 3: the rules about how files run, for every pending file at once: "2 problems in migration files:
			// 1_a.sql: line 1, column 8: unterminated quoted string; 2_b.sql: line 1: COMMIT: ...".
			name: "every rule of pending files at once", code: exitInvalidFiles,
			files: map[string]string{"1_a.sql": "SELECT 'unterminated;", "2_b.sql": "COMMIT;", "3_c.sql": "SELECT 1;"},
			want: []string{"2 problems in migration files:", "\n  1_a.sql: line 1, column 8: unterminated quoted string",
				"\n  2_b.sql: line 1: COMMIT:"},
		},
		{
			// exit 3: only "1_a.sql: line 1, column 8: unterminated quoted string"; 2_b.sql is fine, and its id
			// follows the (broken) file 1_a.sql, so it must not be reported as "first id is 2".
			name: "numbering around a broken file", code: exitInvalidFiles,
			files: map[string]string{"1_a.sql": "SELECT 'unterminated;", "2_b.sql": "CREATE TABLE b (id int);"},
			want:  []string{"pgmig: error: invalid migration file: 1_a.sql: line 1, column 8: unterminated quoted string"},
			check: func(e *caseEnv, p *problems, _, stderr string) {
				if strings.Contains(stderr, "2_b.sql") {
					p.addf("2_b.sql is reported although only 1_a.sql is broken")
				}
			},
		},

		// --- SQL the lexer must understand ---
		{
			// exit 0: one BEGIN at the start and one COMMIT at the end wrap the whole file; what lies
			// between runs in pgmig's own transaction.
			name: "BEGIN ... COMMIT around a transactional file", code: exitOK,
			files: map[string]string{"1_tx.sql": "BEGIN;\nCREATE TABLE a (id int);\nCOMMIT;\n"},
			setup: func(e *caseEnv) { e.applied = []appliedRow{{"1_tx.sql", "tx"}} },
			check: func(e *caseEnv, p *problems, _, _ string) { wantRelation(e, p, "public.a") },
		},
		{
			// exit 0: savepoints, BEGIN ATOMIC bodies and the words in strings are not transaction control.
			name: "savepoints and BEGIN ATOMIC", code: exitOK,
			// BEGIN ATOMIC bodies exist from PostgreSQL 14 on; before, the
			// function is written with a string body.
			files: map[string]string{"1_ok.sql": "CREATE TABLE a (id int);\nSAVEPOINT s;\nINSERT INTO a VALUES (1);\nROLLBACK TO SAVEPOINT s;\nRELEASE s;\n" +
				"CREATE FUNCTION one() RETURNS int LANGUAGE sql " + beginAtomic(t) + ";\n" +
				"DO $$ BEGIN PERFORM 'COMMIT; ROLLBACK;'; END $$;\n"},
			setup: func(e *caseEnv) { e.applied = []appliedRow{{"1_ok.sql", "ok"}} },
			check: func(e *caseEnv, p *problems, _, _ string) {
				wantCount(e, p, "SELECT count(*) FROM a", 0)
				wantCount(e, p, "SELECT one()", 1)
			},
		},

		// --- SQL failures ---
		{
			// exit 5: "migration 1_bad.sql (id 1) failed at line 2, column 8: syntax error at or near "TUBLE"", the caret
			// under TUBLE; the first statement is rolled back, 2_later.sql never runs.
			name: "syntax error", code: exitSQL,
			files: map[string]string{"1_bad.sql": "CREATE TABLE kept (id int);\nCREATE TUBLE x (id int);\n", "2_later.sql": "CREATE TABLE later (id int);"},
			want: []string{`migration 1_bad.sql (id 1) failed at line 2, column 8: syntax error at or near "TUBLE" (SQLSTATE 42601)`,
				"\nLINE 2: CREATE TUBLE x (id int);\n" + strings.Repeat(" ", len("LINE 2: CREATE ")) + "^",
				"the migration was rolled back and not recorded; no further migrations were run"},
		},
		{
			// exit 5: "migration 1_div.sql (id 1) failed at line 2 ...: division by zero (SQLSTATE 22012)".
			name: "runtime error", code: exitSQL,
			files: map[string]string{"1_div.sql": "CREATE TABLE d (n int);\nINSERT INTO d SELECT 1 / 0;\n"},
			want:  []string{"migration 1_div.sql (id 1) failed", "division by zero (SQLSTATE 22012)", "rolled back and not recorded"},
		},
		{
			// exit 5: a deferred foreign key fails at COMMIT: "migration 1_deferred.sql (id 1) failed: insert or update on
			// table "child" violates foreign key constraint ... (SQLSTATE 23503)"; nothing of it is kept or recorded.
			name: "failure at commit", code: exitSQL,
			files: map[string]string{"1_deferred.sql": "CREATE TABLE parent (id int PRIMARY KEY);\n" +
				"CREATE TABLE child (parent_id int REFERENCES parent DEFERRABLE INITIALLY DEFERRED);\n" +
				"INSERT INTO child VALUES (42);\n"},
			want: []string{"migration 1_deferred.sql (id 1) failed", `violates foreign key constraint "child_parent_id_fkey" (SQLSTATE 23503)`,
				"rolled back and not recorded"},
		},

		// --- connecting ---
		{
			// exit 7: "cannot connect to the database: pq: password authentication failed for user "app" ... hint: check the
			// user name and password"; the password is never printed.
			name: "wrong password", code: exitConnect, own: true,
			setup: func(e *caseEnv) {
				s := startScramCluster(e.t)
				e.db = s.newAppDatabase(e.t)
				e.url = fmt.Sprintf("postgres://app:%s@127.0.0.1:%d/%s?sslmode=disable", secret, s.c.Port(), e.db.Name)
				e.write("1_a.sql", "CREATE TABLE a (id int);")
			},
			want: []string{"pgmig: error: cannot connect to the database:", `password authentication failed for user "app"`,
				"hint: check the user name and password"},
			check: func(e *caseEnv, p *problems, stdout, stderr string) {
				if strings.Contains(stdout+stderr, secret) {
					p.addf("the password was printed")
				}
				// The same run with the right password succeeds: the failure was the password.
				right := strings.Replace(e.url, "app:"+secret, url.UserPassword("app", secretPW).String(), 1)
				if code, _, stderr := pgmig(e.t, "--url", right, "apply", e.dir); code != exitOK {
					p.addf("with the right password: exit %d\n%s", code, stderr)
				}
			},
		},
		{
			// exit 7: "cannot connect to the database: ... connection refused (connecting to app@127.0.0.1:1/app ...)".
			name: "refused port", code: exitConnect, noDB: true,
			files: map[string]string{"1_a.sql": "CREATE TABLE a (id int);"},
			setup: func(e *caseEnv) { e.url = "host=127.0.0.1 port=1 user=app dbname=app sslmode=disable" },
			want:  []string{"pgmig: error: cannot connect to the database:", "connection refused", "app@127.0.0.1:1/app"},
		},
		{
			// exit 7: `database "pgmig_missing_…" does not exist: create it with 'pgmig createdb' or pass --create-db`.
			name: "database missing", code: exitConnect,
			files: map[string]string{"1_a.sql": "CREATE TABLE a (id int);"},
			setup: func(e *caseEnv) { e.url = e.db.DSNFor("pgmig_missing_" + randomHex(e.t, 4)) },
			want: []string{"pgmig: error: cannot connect to the database:", "pgmig_missing_",
				"does not exist: create it with 'pgmig createdb' or pass --create-db to apply"},
			check: func(e *caseEnv, p *problems, _, stderr string) {
				var n int
				if err := e.db.DB.QueryRow("SELECT count(*) FROM pg_database WHERE datname LIKE 'pgmig\\_missing\\_%'").Scan(&n); err != nil || n != 0 {
					p.addf("the missing database was created (%d, %v)", n, err)
				}
			},
		},
		{
			// exit 5: a role without CREATE on the schema: "creating tracking table migrations: ... permission denied
			// for schema public"; nothing is created.
			name: "no CREATE privilege", code: exitSQL,
			files: map[string]string{"1_a.sql": "CREATE TABLE a (id int);"},
			setup: func(e *caseEnv) {
				role := "pgmig_nocreate_" + randomHex(e.t, 4)
				e.exec("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
				e.exec("CREATE ROLE " + role + " LOGIN PASSWORD 'pw-" + role + "'")
				e.t.Cleanup(func() {
					admin, err := sql.Open("postgres", e.db.DSNFor("postgres"))
					if err == nil {
						admin.Exec("DROP ROLE IF EXISTS " + role)
						admin.Close()
					}
				})
				e.url = e.db.DSN + " user=" + role + " password=pw-" + role
			},
			want: []string{"pgmig: error: creating tracking table migrations:", "permission denied for schema public"},
		},

		// --- the tracking table ---
		{
			// exit 9: "tracking table public.migrations: exists but is not a migrations table of pgmig or
			// postgres-migrations (no column id; ...)", hint: "choose another table with --table".
			name: "tracking table of the wrong shape", code: exitTable,
			files: map[string]string{"1_a.sql": "CREATE TABLE a (id int);"},
			setup: func(e *caseEnv) {
				e.exec("CREATE TABLE migrations (version bigint PRIMARY KEY, dirty boolean NOT NULL)")
			},
			want: []string{"pgmig: error: tracking table public.migrations: exists but is not a migrations table of pgmig or postgres-migrations",
				"no column id", "choose another table with --table"},
		},
		{
			// exit 9: "tracking table public.migrations: exists but is not a table".
			name: "tracking table is a view", code: exitTable,
			files: map[string]string{"1_a.sql": "CREATE TABLE a (id int);"},
			setup: func(e *caseEnv) {
				e.exec("CREATE VIEW migrations AS SELECT 1 AS id, 'x'::varchar AS name, 'h'::varchar AS hash, now()::timestamp AS executed_at")
			},
			want: []string{"pgmig: error: tracking table public.migrations: exists but is not a table"},
		},
		{
			// exit 0: another tool's migrations table outside search_path is not pgmig's: pgmig creates public.migrations.
			name: "another tool's migrations table in another schema", code: exitOK,
			files: map[string]string{"1_a.sql": "CREATE TABLE a (id int);"},
			setup: func(e *caseEnv) {
				e.exec("CREATE SCHEMA other; CREATE TABLE other.migrations (version bigint PRIMARY KEY, dirty boolean NOT NULL); INSERT INTO other.migrations VALUES (7, false)")
				e.applied = []appliedRow{{"1_a.sql", "a"}}
			},
			check: func(e *caseEnv, p *problems, _, _ string) {
				wantCount(e, p, "SELECT count(*) FROM other.migrations WHERE version = 7 AND NOT dirty", 1)
				wantCount(e, p, "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'other' AND table_name = 'migrations'", 2)
			},
		},
		{
			// exit 0: a migration that changes search_path: later rows still go to public.migrations.
			name: "migration changes search_path", code: exitOK,
			files: map[string]string{
				"1_schema.sql": "CREATE SCHEMA app;\nSET search_path TO app;\n",
				"2_table.sql":  "CREATE TABLE t (id int);\n",
			},
			setup: func(e *caseEnv) { e.applied = []appliedRow{{"1_schema.sql", "schema"}, {"2_table.sql", "table"}} },
			check: func(e *caseEnv, p *problems, _, _ string) {
				// Migration 2 starts from the session's defaults, not from migration 1's search path.
				wantRelation(e, p, "public.t")
				wantCount(e, p, "SELECT count(*) FROM pg_class WHERE relname = 't' AND relnamespace = 'app'::regnamespace", 0)
				wantCount(e, p, "SELECT count(*) FROM pg_class WHERE relname = 'migrations' AND relnamespace = 'app'::regnamespace", 0)
				if code, stdout, stderr := pgmig(e.t, "--url", e.url, "apply", e.dir); code != exitOK || !strings.Contains(stdout, "up to date: 2 migrations applied") {
					p.addf("rerun: exit %d %q\n%s", code, stdout, stderr)
				}
			},
		},
		{
			// exit 0: --table with quotes, spaces and semicolons names one table, quoted wherever pgmig splices it.
			name: "--table with quotes, spaces and semicolons", code: exitOK,
			files: map[string]string{"1_a.sql": "CREATE TABLE a (id int);"},
			setup: func(e *caseEnv) {
				e.exec(`CREATE SCHEMA "My Sch""ema; DROP SCHEMA public"`)
				e.flags = []string{"--table", `"My Sch""ema; DROP SCHEMA public"."mig ""rations""; --"`}
				e.track = `"My Sch""ema; DROP SCHEMA public"."mig ""rations""; --"`
				e.applied = []appliedRow{{"1_a.sql", "a"}}
			},
			check: func(e *caseEnv, p *problems, _, _ string) {
				wantRelation(e, p, "public.a")
				wantCount(e, p, "SELECT count(*) FROM pg_class WHERE relname = 'migrations'", 0)
			},
		},
		{
			// exit 2: `invalid table name "\"mig": unterminated quoted identifier` is a bad flag.
			name: "--table unparsable", code: exitUsage,
			files: map[string]string{"1_a.sql": "CREATE TABLE a (id int);"},
			setup: func(e *caseEnv) { e.flags = []string{"--table", `"mig`} },
			want:  []string{`invalid table name "\"mig": unterminated quoted identifier`},
		},

		// --- integrity and targets ---
		{
			// exit 4: "1_a.sql (id 1): changed since it was applied"; pending 2_b.sql is not applied.
			name: "hash mismatch", code: exitIntegrity,
			files: map[string]string{"1_a.sql": "CREATE TABLE a (id int);"},
			setup: func(e *caseEnv) {
				e.apply()
				e.write("1_a.sql", "CREATE TABLE a (id bigint);")
				e.write("2_b.sql", "CREATE TABLE b (id int);")
			},
			want: []string{"pgmig: error: integrity check failed: 1 applied migration", "nothing was applied",
				"\n  1_a.sql (id 1): changed since it was applied: ", "stored hash " + fileHash("1_a.sql", []byte("CREATE TABLE a (id int);")),
				"file hash " + fileHash("1_a.sql", []byte("CREATE TABLE a (id bigint);"))},
		},
		{
			// exit 4: "id 2 (b): applied at ... but its file is missing from the folder".
			name: "missing applied file", code: exitIntegrity,
			files: map[string]string{"1_a.sql": "CREATE TABLE a (id int);", "2_b.sql": "CREATE TABLE b (id int);"},
			setup: func(e *caseEnv) {
				e.apply()
				if err := os.Remove(filepath.Join(e.dir, "2_b.sql")); err != nil {
					e.t.Fatal(err)
				}
			},
			want: []string{"pgmig: error: integrity check failed:", "\n  id 2 (b): applied at ", "but its file is missing from the folder"},
		},
		{
			// exit 2: "target 1 is below migration 2, which is already applied: pgmig never goes down".
			name: "--to below applied", code: exitUsage,
			files: map[string]string{"1_a.sql": "CREATE TABLE a (id int);", "2_b.sql": "CREATE TABLE b (id int);"},
			setup: func(e *caseEnv) {
				e.apply()
				e.write("3_c.sql", "CREATE TABLE c (id int);")
				e.flags = []string{"--to", "1"}
			},
			want: []string{"pgmig: error: target 1 is below migration 2, which is already applied: pgmig never goes down"},
		},
		{
			// exit 2: "target 5: there is no migration with that id (the highest is 2)".
			name: "--to above highest", code: exitUsage,
			files: map[string]string{"1_a.sql": "CREATE TABLE a (id int);", "2_b.sql": "CREATE TABLE b (id int);"},
			setup: func(e *caseEnv) { e.flags = []string{"--to", "5"} },
			want:  []string{"pgmig: error: target 5: there is no migration with that id (the highest is 2)"},
		},
		{
			// exit 2: "--to must be a migration id (1 or more)".
			name: "--to negative", code: exitUsage,
			files: map[string]string{"1_a.sql": "CREATE TABLE a (id int);"},
			setup: func(e *caseEnv) { e.flags = []string{"--to=-1"} },
			want:  []string{"pgmig: apply: --to must be a migration id (1 or more)", "run 'pgmig --help' for usage"},
		},

		// --- flags and settings ---
		{
			// exit 2: `--lock-wait: time: invalid duration "soon"`, then the usage hint.
			name: "invalid --lock-wait", code: exitUsage,
			files: map[string]string{"1_a.sql": "CREATE TABLE a (id int);"},
			setup: func(e *caseEnv) { e.flags = []string{"--lock-wait", "soon"} },
			want:  []string{"--lock-wait", `"soon"`, "run 'pgmig --help' for usage"},
		},
		{
			// exit 2: "--lock-wait must not be negative, got -5s" is a bad flag.
			name: "negative --lock-wait", code: exitUsage,
			files: map[string]string{"1_a.sql": "CREATE TABLE a (id int);"},
			setup: func(e *caseEnv) { e.flags = []string{"--lock-wait=-5s"} },
			want:  []string{"pgmig: apply: --lock-wait must not be negative, got -5s", "run 'pgmig --help' for usage"},
		},
		{
			// exit 2: "invalid connection settings (from --url): ..."; the password is not echoed.
			name: "invalid URL", code: exitUsage, noDB: true,
			files: map[string]string{"1_a.sql": "CREATE TABLE a (id int);"},
			setup: func(e *caseEnv) { e.url = "postgres://app:" + secret + "@127.0.0.1:notaport/app" },
			want:  []string{"pgmig: error: invalid connection settings (from --url):"},
			check: func(e *caseEnv, p *problems, stdout, stderr string) {
				if strings.Contains(stdout+stderr, secret) {
					p.addf("the password was printed")
				}
			},
		},
	}
	cases = append(cases, runRuleCases(t)...)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { runInputCase(t, tc) })
	}
	t.Logf("%d cases", len(cases))
}

// runRuleFolders are the folders of testdata/broken whose files break only
// rules about how a file runs (transaction control, headers, psql
// meta-commands, statements that cannot run in a transaction, unterminated
// strings): validate reports them for every file, apply for the files
// still to run, once it has connected.
var runRuleFolders = []string{
	"concurrently", "meta-command", "misplaced-header", "transaction-control", "transaction-control-end",
	"transaction-control-lowercase", "transaction-control-rollback", "transaction-control-start",
	"unknown-header", "unterminated", "unterminated-comment", "unterminated-dollar-quote",
	"unterminated-identifier", "unterminated-quote-line-2", "vacuum",
}

// runRuleCases: apply on a fresh database refuses each folder of
// runRuleFolders with the exit code and the error that validate reports
// (the folder's expected.txt, hints aside), and applies nothing.
func runRuleCases(t *testing.T) []inputCase {
	var cases []inputCase
	for _, name := range runRuleFolders {
		dir := filepath.Join(brokenDir, name)
		expected, err := os.ReadFile(filepath.Join(dir, "expected.txt"))
		if err != nil {
			t.Fatal(err)
		}
		codeLine, stderr, _ := strings.Cut(string(expected), "\n")
		code, err := strconv.Atoi(codeLine)
		if err != nil || !strings.Contains(stderr, "the rules of a file still to run") {
			t.Fatalf("%s/expected.txt: exit code %q (%v), or no hint of a rule about how a file runs:\n%s", dir, codeLine, err, stderr)
		}
		errText, _, _ := strings.Cut(stderr, "\nhint: ")
		cases = append(cases, inputCase{
			name: "testdata/broken/" + name, code: code, want: []string{errText + "\n"},
			setup: func(e *caseEnv) { e.dir = dir },
		})
	}
	return cases
}

// runInputCase runs one case: its setup, then pgmig apply, then the checks.
// In a benchmark, the timer runs during apply alone.
func runInputCase(t testing.TB, tc inputCase) {
	e := &caseEnv{t: t, dir: t.TempDir(), track: "public.migrations"}
	if !tc.noDB && !tc.own {
		e.db = migratortest.NewDatabase(t)
		e.url = e.db.DSN
	}
	for name, content := range tc.files {
		e.write(name, content)
	}
	if tc.setup != nil {
		tc.setup(e)
	}
	if e.db != nil {
		e.before = snapshot(t, e.db.DB, e.track)
	}
	args := append([]string{"--url", e.url, "apply"}, e.flags...)
	args = append(args, e.dir)

	b, bench := t.(*testing.B)
	if bench {
		b.StartTimer()
	}
	start := time.Now()
	code, stdout, stderr := pgmigWith(t, runOptions{timeout: e.timeout, unblock: e.unblock}, args...)
	took := time.Since(start)
	if bench {
		b.StopTimer()
	}
	if e.timed || took > 5*time.Second {
		t.Logf("apply took %s", took.Round(time.Millisecond))
	}
	var p problems
	if code != tc.code {
		p.addf("exit %d, want %d", code, tc.code)
	}
	for _, w := range tc.want {
		if !strings.Contains(stderr, w) {
			p.addf("stderr lacks %q", w)
		}
	}
	if tc.code != exitOK && !strings.Contains(stderr, "pgmig: error: ") && !strings.Contains(stderr, "run 'pgmig --help' for usage") {
		p.addf("no error line on stderr")
	}
	if e.db != nil {
		if tc.code == exitOK {
			checkApplied(e, &p)
		} else {
			checkNothingApplied(e, &p)
		}
	}
	if tc.check != nil {
		tc.check(e, &p, stdout, stderr)
	}
	if len(p) > 0 {
		t.Errorf("%s\nstdout:\n%s\nstderr:\n%s", strings.Join(p, "\n"), shorten(stdout), shorten(stderr))
	}
}

// dbState is what a case may change in its database.
type dbState struct {
	objects  []string // schemas, relations and routines outside the system schemas, the tracking table aside
	tracking []string // rows of the tracking table as "id|name|hash"; nil when it does not exist
}

func snapshot(t testing.TB, db *sql.DB, track string) dbState {
	t.Helper()
	var s dbState
	rows, err := db.Query(`
		SELECT 'schema ' || quote_ident(nspname) FROM pg_namespace
		 WHERE nspname NOT LIKE 'pg\_%' AND nspname NOT IN ('information_schema', 'public')
		UNION ALL
		SELECT 'relation ' || c.oid::regclass::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		 WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
		   AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
		   AND c.oid IS DISTINCT FROM to_regclass($1)
		UNION ALL
		SELECT 'routine ' || p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
		 WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
		ORDER BY 1`, track)
	if err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	defer rows.Close()
	for rows.Next() {
		var o string
		if err := rows.Scan(&o); err != nil {
			t.Fatal(err)
		}
		s.objects = append(s.objects, o)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if !relationExists(t, db, track) {
		return s
	}
	s.tracking = []string{}
	trows, err := db.Query("SELECT id, name, hash FROM " + track + " ORDER BY id")
	if err != nil {
		// A table of another shape (the case put it there): its rows are not pgmig's.
		return s
	}
	defer trows.Close()
	for trows.Next() {
		var id int
		var name, hash string
		if err := trows.Scan(&id, &name, &hash); err != nil {
			t.Fatal(err)
		}
		s.tracking = append(s.tracking, fmt.Sprintf("%d|%s|%s", id, name, hash))
	}
	return s
}

const row0 = "0|create-migrations-table|e18db593bcde2aca2a408c4d1100f6abba2195df"

// checkNothingApplied compares the database with its state before the run:
// the same objects, and the same tracking rows, or only row 0 in a tracking
// table that pgmig created.
func checkNothingApplied(e *caseEnv, p *problems) {
	after := snapshot(e.t, e.db.DB, e.track)
	if !slices.Equal(after.objects, e.before.objects) {
		p.addf("objects changed:\nbefore %v\nafter  %v", e.before.objects, after.objects)
	}
	switch {
	case e.before.tracking == nil && after.tracking == nil:
	case e.before.tracking == nil && slices.Equal(after.tracking, []string{row0}):
	case e.before.tracking != nil && slices.Equal(after.tracking, e.before.tracking):
	default:
		p.addf("tracking rows changed:\nbefore %q\nafter  %q", e.before.tracking, after.tracking)
	}
}

// checkApplied checks the tracking table after a successful run: row 0 and
// one row per expected migration, each with the hash of its file's bytes.
func checkApplied(e *caseEnv, p *problems) {
	after := snapshot(e.t, e.db.DB, e.track)
	want := []string{row0}
	for i, r := range e.applied {
		content, err := os.ReadFile(filepath.Join(e.dir, r.file))
		if err != nil {
			e.t.Fatal(err)
		}
		want = append(want, fmt.Sprintf("%d|%s|%s", i+1, r.name, fileHash(r.file, content)))
	}
	if !slices.Equal(after.tracking, want) {
		if len(want) > 20 {
			p.addf("tracking table has %d rows, want %d (first difference at row %d)", len(after.tracking), len(want), firstDiff(after.tracking, want))
		} else {
			p.addf("tracking rows:\n got  %q\n want %q", after.tracking, want)
		}
	}
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// wantHash checks that the stored hash of file is the SHA-1 of its name
// followed by raw.
func wantHash(file string, raw []byte) func(e *caseEnv, p *problems, stdout, stderr string) {
	return func(e *caseEnv, p *problems, _, _ string) {
		var stored string
		if err := e.db.DB.QueryRow("SELECT hash FROM migrations WHERE id = 1").Scan(&stored); err != nil {
			p.addf("reading the hash of %s: %v", file, err)
			return
		}
		if want := fileHash(file, raw); stored != want {
			p.addf("stored hash of %s is %s, want sha1(name + raw bytes) = %s", file, stored, want)
		}
	}
}

func wantCount(e *caseEnv, p *problems, query string, want int) {
	var n int
	if err := e.db.DB.QueryRow(query).Scan(&n); err != nil || n != want {
		p.addf("%s = %d (%v), want %d", query, n, err, want)
	}
}

func wantRelation(e *caseEnv, p *problems, name string) {
	if !relationExists(e.t, e.db.DB, name) {
		p.addf("relation %s does not exist", name)
	}
}

func symlink(e *caseEnv, target, name string) {
	e.t.Helper()
	if err := os.Symlink(target, filepath.Join(e.dir, name)); err != nil {
		e.t.Fatal(err)
	}
}

// shorten keeps long output readable in failure messages.
func shorten(s string) string {
	if len(s) <= 4000 {
		return s
	}
	return s[:2000] + "\n[...]\n" + s[len(s)-2000:]
}

// beginAtomic returns a SQL-standard function body (BEGIN ATOMIC, with a
// semicolon inside) where the test server has them (PostgreSQL 14 and
// later), else a string body.
func beginAtomic(t *testing.T) string {
	if migratortest.Shared(t).Version(t) < 14 {
		return "AS 'SELECT 1'"
	}
	return "BEGIN ATOMIC SELECT 1; END"
}
