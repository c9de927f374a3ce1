package main

import (
	"bytes"
	"crypto/rand"
	"crypto/sha1"
	"database/sql"
	"encoding/hex"
	"fmt"
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
// pgmig apply can meet, run through the command line against a real
// PostgreSQL. Each case asserts the exit code, a message on stderr that names
// the problem and the file, and what is in the database afterwards: for a
// failure, nothing beyond what the case's setup put there (at most the
// tracking table with its row 0 when pgmig got as far as creating it).

// badRec is a tracking table row that a successful case must leave behind.
type badRec struct{ file, name string }

// badEnv is what one case runs against.
type badEnv struct {
	t       *testing.T
	db      *migratortest.Database // nil for cases without a reachable database
	dir     string                 // the folder passed to apply
	url     string                 // --url
	flags   []string               // apply flags before the folder
	track   string                 // tracking table as a regclass literal
	applied []badRec               // rows besides row 0 that a successful run leaves
	timeout time.Duration          // how long apply may take
	timed   bool                   // log how long apply took
	unblock func()                 // called when apply runs past timeout
	before  badState
}

// write creates a file of the migrations folder.
func (e *badEnv) write(name, content string) {
	e.t.Helper()
	if err := os.WriteFile(filepath.Join(e.dir, name), []byte(content), 0o644); err != nil {
		e.t.Fatal(err)
	}
}

// exec runs SQL on the case's database as the superuser of the harness.
func (e *badEnv) exec(query string) {
	e.t.Helper()
	if _, err := e.db.DB.Exec(query); err != nil {
		e.t.Fatalf("setup: %s: %v", query, err)
	}
}

// apply runs pgmig apply on the case's folder as a setup step.
func (e *badEnv) apply() {
	e.t.Helper()
	var stdout, stderr bytes.Buffer
	if code := run([]string{"--url", e.url, "apply", e.dir}, &stdout, &stderr); code != exitOK {
		e.t.Fatalf("setup apply: exit %d\n%s", code, stderr.String())
	}
}

type badCase struct {
	name  string
	files map[string]string // written into the migrations folder
	setup func(e *badEnv)   // more files, database state, flags
	noDB  bool              // the target database is not reachable
	own   bool              // setup makes its own cluster and database
	code  int               // expected exit code
	want  []string          // substrings of stderr, in any order
	check func(e *badEnv, p *badProblems, stdout, stderr string)
	bug   string // pgmig bug: run, and skip with this reason while the assertions fail
}

// badProblems collects failed assertions so that a case marked as a known bug
// can be skipped instead of failed.
type badProblems []string

func (p *badProblems) addf(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

func TestBadInput(t *testing.T) {
	pgmig(t, "version") // clears the connection variables of the environment for all subtests
	const secret = "Sentinel-Pa55word"
	cases := []badCase{
		// --- the folder ---
		{
			// exit 0: an empty folder creates the tracking table with its row 0 and nothing else.
			name: "empty folder", code: exitOK,
			check: func(e *badEnv, p *badProblems, stdout, _ string) {
				if !strings.Contains(stdout, "up to date: 0 migrations applied") {
					p.addf("stdout = %q", stdout)
				}
				if e.before.tracking != nil {
					p.addf("the tracking table existed before the run")
				}
				after := badSnapshot(e.t, e.db.DB, e.track)
				if len(after.objects) != 0 {
					p.addf("objects besides the tracking table: %v", after.objects)
				}
			},
		},
		{
			// exit 3: "migrations folder DIR: no such file or directory".
			name: "missing folder", code: exitInvalidFiles,
			setup: func(e *badEnv) { e.dir = filepath.Join(e.dir, "nope") },
			want:  []string{"pgmig: error: migrations folder ", "nope: no such file or directory"},
		},
		{
			// exit 3: "migrations folder FILE is a file, not a folder".
			name: "file instead of folder", code: exitInvalidFiles,
			files: map[string]string{"1_a.sql": "CREATE TABLE a (id int);"},
			setup: func(e *badEnv) { e.dir = filepath.Join(e.dir, "1_a.sql") },
			want:  []string{"1_a.sql is a file, not a folder"},
		},
		{
			// exit 3: "1_x.sql: cannot follow symbolic link: no such file or directory".
			name: "dangling symlink", code: exitInvalidFiles,
			setup: func(e *badEnv) { badSymlink(e, "/nonexistent/pgmig", "1_x.sql") },
			want:  []string{"invalid migration file: 1_x.sql: cannot follow symbolic link: no such file or directory"},
		},
		{
			// exit 0: a symbolic link to a folder is a subfolder, ignored as the README says;
			// 1_a.sql alone is applied.
			name: "symlink to a folder", code: exitOK,
			files: map[string]string{"1_a.sql": "CREATE TABLE a (id int);"},
			setup: func(e *badEnv) {
				target := filepath.Join(e.t.TempDir(), "folder")
				if err := os.Mkdir(target, 0o755); err != nil {
					e.t.Fatal(err)
				}
				badSymlink(e, target, "2_x.sql")
				e.applied = []badRec{{"1_a.sql", "a"}}
			},
		},
		{
			// exit 3: a named pipe is not a regular file: "1_x.sql: not a regular file (named pipe)",
			// reported before pgmig opens it (opening a FIFO blocks until a writer comes).
			name: "named pipe", code: exitInvalidFiles,
			setup: func(e *badEnv) {
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

		// --- file contents ---
		{
			// exit 0: an empty migration is recorded.
			name: "empty file", code: exitOK,
			files: map[string]string{"1_empty.sql": ""},
			setup: func(e *badEnv) { e.applied = []badRec{{"1_empty.sql", "empty"}} },
			check: badWantHash("1_empty.sql", []byte{}),
		},
		{
			// exit 0: a file of comments only is recorded.
			name: "only comments", code: exitOK,
			files: map[string]string{"1_comments.sql": "-- nothing to do yet\n/* not /* even */ this */\n"},
			setup: func(e *badEnv) { e.applied = []badRec{{"1_comments.sql", "comments"}} },
		},
		{
			// exit 0: a UTF-8 byte-order mark is not sent to the server, but the hash covers it.
			name: "byte-order mark", code: exitOK,
			files: map[string]string{"1_bom.sql": "\uFEFFCREATE TABLE bom (id int);\n"},
			setup: func(e *badEnv) { e.applied = []badRec{{"1_bom.sql", "bom"}} },
			check: func(e *badEnv, p *badProblems, stdout, stderr string) {
				raw := []byte("\xEF\xBB\xBFCREATE TABLE bom (id int);\n")
				badWantHash("1_bom.sql", raw)(e, p, stdout, stderr)
				var stored string
				e.db.DB.QueryRow("SELECT hash FROM migrations WHERE id = 1").Scan(&stored)
				if stored == badSHA1("1_bom.sql", raw[3:]) {
					p.addf("the stored hash leaves the byte-order mark out")
				}
				badWantRelation(e, p, "public.bom")
			},
		},
		{
			// exit 0: CRLF line endings run; the hash covers the raw bytes.
			name: "CRLF line endings", code: exitOK,
			files: map[string]string{"1_crlf.sql": "CREATE TABLE crlf (id int);\r\nINSERT INTO crlf VALUES (1);\r\n"},
			setup: func(e *badEnv) { e.applied = []badRec{{"1_crlf.sql", "crlf"}} },
			check: func(e *badEnv, p *badProblems, stdout, stderr string) {
				badWantHash("1_crlf.sql", []byte("CREATE TABLE crlf (id int);\r\nINSERT INTO crlf VALUES (1);\r\n"))(e, p, stdout, stderr)
				badWantCount(e, p, "SELECT count(*) FROM crlf", 1)
			},
		},
		{
			// exit 3: "1_latin1.sql: not valid UTF-8 (first invalid byte at line 2, column 27)".
			name: "invalid UTF-8", code: exitInvalidFiles,
			files: map[string]string{"1_latin1.sql": "CREATE TABLE t (s text);\nINSERT INTO t VALUES ('caf\xe9');\n"},
			want:  []string{"invalid migration file: 1_latin1.sql: not valid UTF-8 (first invalid byte at line 2, column 27); save the file as UTF-8"},
		},
		{
			// exit 3: a UTF-16 file is not UTF-8: "1_utf16.sql: not valid UTF-8 (... line 1, column 1)".
			name: "UTF-16 file", code: exitInvalidFiles,
			files: map[string]string{"1_utf16.sql": "\xff\xfeS\x00E\x00L\x00E\x00C\x00T\x00 \x001\x00;\x00"},
			want:  []string{"1_utf16.sql: not valid UTF-8 (first invalid byte at line 1, column 1)"},
		},
		{
			// exit 3: "1_nul.sql: contains a NUL byte at line 2, column 8".
			name: "NUL byte", code: exitInvalidFiles,
			files: map[string]string{"1_nul.sql": "SELECT 1;\nSELECT \x00;\n"},
			want:  []string{"invalid migration file: 1_nul.sql: contains a NUL byte at line 2, column 8"},
		},
		{
			// exit 0: a file of about 100 MB (100 INSERTs of 1,000 rows of 1 kB) applies.
			name: "100 MB file", code: exitOK,
			setup: func(e *badEnv) {
				e.write("1_table.sql", "CREATE TABLE big (n int PRIMARY KEY, filler text NOT NULL);\n")
				badWriteBigFile(e, "2_big.sql", 100, 1000, 1000)
				e.applied = []badRec{{"1_table.sql", "table"}, {"2_big.sql", "big"}}
				e.timeout, e.timed = 5*time.Minute, true
			},
			check: func(e *badEnv, p *badProblems, _, _ string) {
				badWantCount(e, p, "SELECT count(*) FROM big", 100*1000)
				badWantCount(e, p, "SELECT count(*) FROM big WHERE length(filler) = 1000", 100*1000)
			},
		},
		{
			// exit 0: 10,000 tiny migrations apply; a second run has nothing to do.
			name: "10000 files", code: exitOK,
			setup: func(e *badEnv) {
				e.write("00001_m1.sql", "CREATE TABLE many (n int);\n")
				e.applied = append(e.applied, badRec{"00001_m1.sql", "m1"})
				for i := 2; i <= 10000; i++ {
					file := fmt.Sprintf("%05d_m%d.sql", i, i)
					e.write(file, fmt.Sprintf("INSERT INTO many VALUES (%d);\n", i))
					e.applied = append(e.applied, badRec{file, "m" + strconv.Itoa(i)})
				}
				e.timeout, e.timed = 5*time.Minute, true
			},
			check: func(e *badEnv, p *badProblems, stdout, _ string) {
				badWantCount(e, p, "SELECT count(*) FROM many", 9999)
				if !strings.Contains(stdout, "10000 applied in ") {
					p.addf("stdout ends with %q", badLastLine(stdout))
				}
				start := time.Now()
				code, stdout, stderr := pgmig(e.t, "--url", e.url, "apply", e.dir)
				e.t.Logf("no-op rerun over 10000 applied migrations: %s", time.Since(start).Round(time.Millisecond))
				if code != exitOK || !strings.Contains(stdout, "up to date: 10000 migrations applied, nothing to do") {
					p.addf("rerun: exit %d, stdout %q\n%s", code, badLastLine(stdout), stderr)
				}
			},
		},

		// --- file names ---
		{
			// exit 0: spaces and non-ASCII letters in names are stored as they are.
			name: "spaces and unicode in names", code: exitOK,
			files: map[string]string{
				"1_create users.sql":      "CREATE TABLE \"users table\" (id int);",
				"2_créer-tâble-日本語 ☃.sql": "CREATE TABLE \"日本語\" (id int);",
			},
			setup: func(e *badEnv) {
				e.applied = []badRec{{"1_create users.sql", "create users"}, {"2_créer-tâble-日本語 ☃.sql", "créer-tâble-日本語 ☃"}}
			},
			check: func(e *badEnv, p *badProblems, _, _ string) {
				badWantRelation(e, p, `public."users table"`)
				badWantRelation(e, p, `public."日本語"`)
			},
		},
		{
			// exit 0: a name of exactly 100 characters (200 bytes) fits varchar(100).
			name: "name of 100 characters", code: exitOK,
			setup: func(e *badEnv) {
				name := strings.Repeat("é", 100)
				e.write("1_"+name+".sql", "SELECT 1;")
				e.applied = []badRec{{"1_" + name + ".sql", name}}
			},
		},
		{
			// exit 3: `1_xxx….sql: name "xxx..." is 101 characters long; the tracking table holds at most 100`.
			name: "name longer than 100 characters", code: exitInvalidFiles,
			files: map[string]string{"1_" + strings.Repeat("x", 101) + ".sql": "SELECT 1;"},
			want:  []string{"invalid migration file: 1_xxxxxxxx", "is 101 characters long; the tracking table holds at most 100"},
		},
		{
			// exit 3: "99999999999999999999_x.sql: id 99999999999999999999 is too large (at most 2147483647)".
			name: "id overflow", code: exitInvalidFiles,
			files: map[string]string{"99999999999999999999_x.sql": "SELECT 1;"},
			want:  []string{"99999999999999999999_x.sql: id 99999999999999999999 is too large (at most 2147483647)"},
		},
		{
			// exit 3: the id column is an integer: 2147483648 does not fit.
			name: "id above the integer range", code: exitInvalidFiles,
			files: map[string]string{"2147483648_x.sql": "SELECT 1;"},
			want:  []string{"2147483648_x.sql: id 2147483648 is too large (at most 2147483647)"},
		},
		{
			// exit 3: "1_b.sql: id 1 is also used by 01_a.sql".
			name: "leading zeros colliding", code: exitInvalidFiles,
			files: map[string]string{"01_a.sql": "CREATE TABLE a (id int);", "1_b.sql": "CREATE TABLE b (id int);"},
			want:  []string{"invalid migration file: 1_b.sql: id 1 is also used by 01_a.sql; each id must be used once"},
		},
		{
			// exit 3: "-1_x.sql: negative id: migration ids start at 1".
			name: "negative id", code: exitInvalidFiles,
			files: map[string]string{"-1_x.sql": "SELECT 1;"},
			want:  []string{"invalid migration file: -1_x.sql: negative id: migration ids start at 1"},
		},
		{
			// exit 3: "3_c.sql: gap in numbering: id 3 follows 1 (2 missing)".
			name: "gap", code: exitInvalidFiles,
			files: map[string]string{"1_a.sql": "CREATE TABLE a (id int);", "3_c.sql": "CREATE TABLE c (id int);"},
			want:  []string{"invalid migration file: 3_c.sql: gap in numbering: id 3 follows 1 (2 missing); ids must be consecutive"},
		},
		{
			// exit 3: "2_c.sql: id 2 is also used by 2_b.sql".
			name: "duplicate id", code: exitInvalidFiles,
			files: map[string]string{"1_a.sql": "CREATE TABLE a (id int);", "2_b.sql": "CREATE TABLE b (id int);", "2_c.sql": "CREATE TABLE c (id int);"},
			want:  []string{"invalid migration file: 2_c.sql: id 2 is also used by 2_b.sql; each id must be used once"},
		},
		{
			// exit 3: the name column is UNIQUE: `2_a.sql: name "a" is also used by 1_a.sql`.
			name: "duplicate name", code: exitInvalidFiles,
			files: map[string]string{"1_a.sql": "CREATE TABLE a (id int);", "2_a.sql": "CREATE TABLE b (id int);"},
			want:  []string{`invalid migration file: 2_a.sql: name "a" is also used by 1_a.sql; names must be unique`},
		},
		{
			// exit 3: "2_b.sql: first id is 2; ids must start at 1".
			name: "start above 1", code: exitInvalidFiles,
			files: map[string]string{"2_b.sql": "CREATE TABLE b (id int);", "3_c.sql": "CREATE TABLE c (id int);"},
			want:  []string{"invalid migration file: 2_b.sql: first id is 2; ids must start at 1 and be consecutive"},
		},
		{
			// exit 3: "2_seed.js: JavaScript migrations are not supported".
			name: "JavaScript migration", code: exitInvalidFiles,
			files: map[string]string{"1_a.sql": "CREATE TABLE a (id int);", "2_seed.js": "module.exports.generateSql = () => 'SELECT 1'"},
			want:  []string{"invalid migration file: 2_seed.js: JavaScript migrations are not supported: pgmig runs .sql files only"},
		},
		{
			// exit 3: "create-users.sql: name must begin with an integer id".
			name: "no id in the name", code: exitInvalidFiles,
			files: map[string]string{"create-users.sql": "CREATE TABLE users (id int);"},
			want:  []string{"invalid migration file: create-users.sql: name must begin with an integer id, as in 0001_create-users.sql"},
		},
		{
			// exit 0: .SQL in capitals counts; README.md, hidden files and subfolders are ignored.
			name: "extension case and ignored files", code: exitOK,
			files: map[string]string{"1_a.SQL": "CREATE TABLE a (id int);", "README.md": "# notes", ".2_hidden.sql": "CREATE TABLE hidden (id int);"},
			setup: func(e *badEnv) {
				if err := os.Mkdir(filepath.Join(e.dir, "old"), 0o755); err != nil {
					e.t.Fatal(err)
				}
				e.write("old/2_b.sql", "CREATE TABLE b (id int);")
				e.applied = []badRec{{"1_a.SQL", "a"}}
			},
			check: func(e *badEnv, p *badProblems, _, _ string) {
				after := badSnapshot(e.t, e.db.DB, e.track)
				if !slices.Equal(after.objects, []string{"relation a"}) {
					p.addf("objects = %v, want only table a", after.objects)
				}
			},
		},
		{
			// exit 3: "4 problems in migration files:" then one line per file, sorted by file name.
			name: "every problem at once", code: exitInvalidFiles,
			files: map[string]string{
				"1_a.sql": "SELECT 1;", "3_c.sql": "SELECT 1;", "x.sql": "SELECT 1;", "4_d.sql": "\xff",
			},
			want: []string{"3 problems in migration files:", "\n  3_c.sql: gap in numbering",
				"\n  4_d.sql: not valid UTF-8", "\n  x.sql: name must begin with an integer id"},
		},
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
			check: func(e *badEnv, p *badProblems, _, stderr string) {
				if strings.Contains(stderr, "2_b.sql") {
					p.addf("2_b.sql is reported although only 1_a.sql is broken")
				}
			},
		},

		// --- SQL the lexer must understand ---
		{
			// exit 3: "1_q.sql: line 2, column 23: unterminated quoted string".
			name: "unterminated quote", code: exitInvalidFiles,
			files: map[string]string{"1_q.sql": "CREATE TABLE q (s text);\nINSERT INTO q VALUES ('it;\n"},
			want:  []string{"invalid migration file: 1_q.sql: line 2, column 23: unterminated quoted string"},
		},
		{
			// exit 3: "1_dq.sql: line 1, column 4: unterminated dollar-quoted string $body$".
			name: "unterminated dollar quote", code: exitInvalidFiles,
			files: map[string]string{"1_dq.sql": "DO $body$ BEGIN RAISE NOTICE 'x'; END $$;\n"},
			want:  []string{"invalid migration file: 1_dq.sql: line 1, column 4: unterminated dollar-quoted string $body$"},
		},
		{
			// exit 3: "1_bc.sql: line 2, column 1: unterminated /* comment" (comments nest).
			name: "unterminated block comment", code: exitInvalidFiles,
			files: map[string]string{"1_bc.sql": "SELECT 1;\n/* outer /* inner */ still a comment\nSELECT 2;\n"},
			want:  []string{"invalid migration file: 1_bc.sql: line 2, column 1: unterminated /* comment"},
		},
		{
			// exit 3: "1_qi.sql: line 1, column 14: unterminated quoted identifier".
			name: "unterminated quoted identifier", code: exitInvalidFiles,
			files: map[string]string{"1_qi.sql": "CREATE TABLE \"users (id int);\n"},
			want:  []string{"invalid migration file: 1_qi.sql: line 1, column 14: unterminated quoted identifier"},
		},
		{
			// exit 3: "1_tx.sql: line 1: BEGIN: pgmig runs each migration in a transaction of its own ...".
			name: "BEGIN ... COMMIT around a transactional file", code: exitOK,
			files: map[string]string{"1_tx.sql": "BEGIN;\nCREATE TABLE a (id int);\nCOMMIT;\n"},
			setup: func(e *badEnv) { e.applied = []badRec{{"1_tx.sql", "tx"}} },
			check: func(e *badEnv, p *badProblems, _, _ string) { badWantRelation(e, p, "public.a") },
		},
		{
			// exit 3: "1_tx.sql: line 2: COMMIT: ...".
			name: "COMMIT in a transactional file", code: exitInvalidFiles,
			files: map[string]string{"1_tx.sql": "CREATE TABLE a (id int);\ncommit;\nCREATE TABLE b (id int);\n"},
			want:  []string{"invalid migration file: 1_tx.sql: line 2: COMMIT: pgmig runs each migration in a transaction of its own"},
		},
		{
			// exit 3: "1_tx.sql: line 2: ROLLBACK: ...".
			name: "ROLLBACK in a transactional file", code: exitInvalidFiles,
			files: map[string]string{"1_tx.sql": "CREATE TABLE a (id int);\nROLLBACK WORK;\n"},
			want:  []string{"invalid migration file: 1_tx.sql: line 2: ROLLBACK: pgmig runs each migration in a transaction of its own"},
		},
		{
			// exit 3: "1_tx.sql: line 3: END: ...".
			name: "END in a transactional file", code: exitInvalidFiles,
			files: map[string]string{"1_tx.sql": "CREATE TABLE a (id int);\n\nEND;\n"},
			want:  []string{"invalid migration file: 1_tx.sql: line 3: END: pgmig runs each migration in a transaction of its own"},
		},
		{
			// exit 3: "1_tx.sql: line 1: START TRANSACTION: ...".
			name: "START TRANSACTION in a transactional file", code: exitInvalidFiles,
			files: map[string]string{"1_tx.sql": "START TRANSACTION ISOLATION LEVEL SERIALIZABLE;\nCREATE TABLE a (id int);\n"},
			want:  []string{"invalid migration file: 1_tx.sql: line 1: START TRANSACTION: pgmig runs each migration in a transaction of its own"},
		},
		{
			// exit 0: savepoints, BEGIN ATOMIC bodies and the words in strings are not transaction control.
			name: "savepoints and BEGIN ATOMIC", code: exitOK,
			// BEGIN ATOMIC bodies exist from PostgreSQL 14 on; before, the
			// function is written with a string body.
			files: map[string]string{"1_ok.sql": "CREATE TABLE a (id int);\nSAVEPOINT s;\nINSERT INTO a VALUES (1);\nROLLBACK TO SAVEPOINT s;\nRELEASE s;\n" +
				"CREATE FUNCTION one() RETURNS int LANGUAGE sql " + beginAtomic(t) + ";\n" +
				"DO $$ BEGIN PERFORM 'COMMIT; ROLLBACK;'; END $$;\n"},
			setup: func(e *badEnv) { e.applied = []badRec{{"1_ok.sql", "ok"}} },
			check: func(e *badEnv, p *badProblems, _, _ string) {
				badWantCount(e, p, "SELECT count(*) FROM a", 0)
				badWantCount(e, p, "SELECT one()", 1)
			},
		},
		{
			// exit 3: "1_idx.sql: line 2: CREATE INDEX CONCURRENTLY cannot run inside a transaction block; add ... disable-transaction".
			name: "CREATE INDEX CONCURRENTLY in a transactional file", code: exitInvalidFiles,
			files: map[string]string{"1_idx.sql": "CREATE TABLE a (id int);\nCREATE INDEX CONCURRENTLY a_id ON a (id);\n"},
			want:  []string{"invalid migration file: 1_idx.sql: line 2: CREATE INDEX CONCURRENTLY cannot run inside a transaction block", "-- pgmig disable-transaction"},
		},
		{
			// exit 3: "1_vac.sql: line 1: VACUUM cannot run inside a transaction block".
			name: "VACUUM in a transactional file", code: exitInvalidFiles,
			files: map[string]string{"1_vac.sql": "VACUUM ANALYZE;\n"},
			want:  []string{"invalid migration file: 1_vac.sql: line 1: VACUUM cannot run inside a transaction block"},
		},
		{
			// exit 3: a postgres-migrations header sharing a line is reported, not ignored.
			name: "misplaced header", code: exitInvalidFiles,
			files: map[string]string{"1_h.sql": "SELECT 1; -- postgres-migrations disable-transaction\n"},
			want:  []string{`invalid migration file: 1_h.sql: line 1: header "SELECT 1; -- postgres-migrations disable-transaction" must stand alone on a comment line`},
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
			setup: func(e *badEnv) {
				c := migratortest.StartCluster(e.t, migratortest.ClusterOptions{})
				e.db = c.Server(e.t).NewDatabase(e.t)
				e.exec("SET password_encryption = 'scram-sha-256'; CREATE ROLE app LOGIN PASSWORD 'the-right-one'; GRANT CREATE ON SCHEMA public TO app")
				hba := "local all all trust\nhost all postgres 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n"
				if err := os.WriteFile(filepath.Join(c.DataDir(), "pg_hba.conf"), []byte(hba), 0o600); err != nil {
					e.t.Fatal(err)
				}
				if err := c.Stop("fast"); err != nil {
					e.t.Fatal(err)
				}
				if err := c.Start(); err != nil {
					e.t.Fatal(err)
				}
				e.url = fmt.Sprintf("postgres://app:%s@127.0.0.1:%d/%s?sslmode=disable", secret, c.Port(), e.db.Name)
				e.write("1_a.sql", "CREATE TABLE a (id int);")
			},
			want: []string{"pgmig: error: cannot connect to the database:", `password authentication failed for user "app"`,
				"hint: check the user name and password"},
			check: func(e *badEnv, p *badProblems, stdout, stderr string) {
				if strings.Contains(stdout+stderr, secret) {
					p.addf("the password was printed")
				}
				// The same run with the right password succeeds: the failure was the password.
				right := strings.Replace(e.url, secret, "the-right-one", 1)
				if code, _, stderr := pgmig(e.t, "--url", right, "apply", e.dir); code != exitOK {
					p.addf("with the right password: exit %d\n%s", code, stderr)
				}
			},
		},
		{
			// exit 7: "cannot connect to the database: ... connection refused (connecting to app@127.0.0.1:1/app ...)".
			name: "refused port", code: exitConnect, noDB: true,
			files: map[string]string{"1_a.sql": "CREATE TABLE a (id int);"},
			setup: func(e *badEnv) { e.url = "host=127.0.0.1 port=1 user=app dbname=app sslmode=disable" },
			want:  []string{"pgmig: error: cannot connect to the database:", "connection refused", "app@127.0.0.1:1/app"},
		},
		{
			// exit 7: `database "pgmig_missing_…" does not exist: create it with 'pgmig createdb' or pass --create-db`.
			name: "database missing", code: exitConnect,
			files: map[string]string{"1_a.sql": "CREATE TABLE a (id int);"},
			setup: func(e *badEnv) { e.url = e.db.DSNFor("pgmig_missing_" + badRandomHex(e.t)) },
			want: []string{"pgmig: error: cannot connect to the database:", "pgmig_missing_",
				"does not exist: create it with 'pgmig createdb' or pass --create-db to apply"},
			check: func(e *badEnv, p *badProblems, _, stderr string) {
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
			setup: func(e *badEnv) {
				role := "pgmig_nocreate_" + badRandomHex(e.t)
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
			setup: func(e *badEnv) {
				e.exec("CREATE TABLE migrations (version bigint PRIMARY KEY, dirty boolean NOT NULL)")
			},
			want: []string{"pgmig: error: tracking table public.migrations: exists but is not a migrations table of pgmig or postgres-migrations",
				"no column id", "choose another table with --table"},
		},
		{
			// exit 9: "tracking table public.migrations: exists but is not a table".
			name: "tracking table is a view", code: exitTable,
			files: map[string]string{"1_a.sql": "CREATE TABLE a (id int);"},
			setup: func(e *badEnv) {
				e.exec("CREATE VIEW migrations AS SELECT 1 AS id, 'x'::varchar AS name, 'h'::varchar AS hash, now()::timestamp AS executed_at")
			},
			want: []string{"pgmig: error: tracking table public.migrations: exists but is not a table"},
		},
		{
			// exit 0: another tool's migrations table outside search_path is not pgmig's: pgmig creates public.migrations.
			name: "another tool's migrations table in another schema", code: exitOK,
			files: map[string]string{"1_a.sql": "CREATE TABLE a (id int);"},
			setup: func(e *badEnv) {
				e.exec("CREATE SCHEMA other; CREATE TABLE other.migrations (version bigint PRIMARY KEY, dirty boolean NOT NULL); INSERT INTO other.migrations VALUES (7, false)")
				e.applied = []badRec{{"1_a.sql", "a"}}
			},
			check: func(e *badEnv, p *badProblems, _, _ string) {
				badWantCount(e, p, "SELECT count(*) FROM other.migrations WHERE version = 7 AND NOT dirty", 1)
				badWantCount(e, p, "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'other' AND table_name = 'migrations'", 2)
			},
		},
		{
			// exit 0: a migration that changes search_path: later rows still go to public.migrations.
			name: "migration changes search_path", code: exitOK,
			files: map[string]string{
				"1_schema.sql": "CREATE SCHEMA app;\nSET search_path TO app;\n",
				"2_table.sql":  "CREATE TABLE t (id int);\n",
			},
			setup: func(e *badEnv) { e.applied = []badRec{{"1_schema.sql", "schema"}, {"2_table.sql", "table"}} },
			check: func(e *badEnv, p *badProblems, _, _ string) {
				// Migration 2 starts from the session's defaults, not from migration 1's search path.
				badWantRelation(e, p, "public.t")
				badWantCount(e, p, "SELECT count(*) FROM pg_class WHERE relname = 't' AND relnamespace = 'app'::regnamespace", 0)
				badWantCount(e, p, "SELECT count(*) FROM pg_class WHERE relname = 'migrations' AND relnamespace = 'app'::regnamespace", 0)
				if code, stdout, stderr := pgmig(e.t, "--url", e.url, "apply", e.dir); code != exitOK || !strings.Contains(stdout, "up to date: 2 migrations applied") {
					p.addf("rerun: exit %d %q\n%s", code, stdout, stderr)
				}
			},
		},
		{
			// exit 0: --table with quotes, spaces and semicolons names one table, quoted wherever pgmig splices it.
			name: "--table with quotes, spaces and semicolons", code: exitOK,
			files: map[string]string{"1_a.sql": "CREATE TABLE a (id int);"},
			setup: func(e *badEnv) {
				e.exec(`CREATE SCHEMA "My Sch""ema; DROP SCHEMA public"`)
				e.flags = []string{"--table", `"My Sch""ema; DROP SCHEMA public"."mig ""rations""; --"`}
				e.track = `"My Sch""ema; DROP SCHEMA public"."mig ""rations""; --"`
				e.applied = []badRec{{"1_a.sql", "a"}}
			},
			check: func(e *badEnv, p *badProblems, _, _ string) {
				badWantRelation(e, p, "public.a")
				badWantCount(e, p, "SELECT count(*) FROM pg_class WHERE relname = 'migrations'", 0)
			},
		},
		{
			// exit 2: `invalid table name "\"mig": unterminated quoted identifier` is a bad flag.
			name: "--table unparsable", code: exitUsage,
			files: map[string]string{"1_a.sql": "CREATE TABLE a (id int);"},
			setup: func(e *badEnv) { e.flags = []string{"--table", `"mig`} },
			want:  []string{`invalid table name "\"mig": unterminated quoted identifier`},
		},

		// --- integrity and targets ---
		{
			// exit 4: "1_a.sql (id 1): changed since it was applied"; pending 2_b.sql is not applied.
			name: "hash mismatch", code: exitIntegrity,
			files: map[string]string{"1_a.sql": "CREATE TABLE a (id int);"},
			setup: func(e *badEnv) {
				e.apply()
				e.write("1_a.sql", "CREATE TABLE a (id bigint);")
				e.write("2_b.sql", "CREATE TABLE b (id int);")
			},
			want: []string{"pgmig: error: integrity check failed: 1 applied migration", "nothing was applied",
				"\n  1_a.sql (id 1): changed since it was applied: ", "stored hash " + badSHA1("1_a.sql", []byte("CREATE TABLE a (id int);")),
				"file hash " + badSHA1("1_a.sql", []byte("CREATE TABLE a (id bigint);"))},
		},
		{
			// exit 4: "id 2 (b): applied at ... but its file is missing from the folder".
			name: "missing applied file", code: exitIntegrity,
			files: map[string]string{"1_a.sql": "CREATE TABLE a (id int);", "2_b.sql": "CREATE TABLE b (id int);"},
			setup: func(e *badEnv) {
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
			setup: func(e *badEnv) {
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
			setup: func(e *badEnv) { e.flags = []string{"--to", "5"} },
			want:  []string{"pgmig: error: target 5: there is no migration with that id (the highest is 2)"},
		},
		{
			// exit 2: "--to must be a migration id (1 or more)".
			name: "--to negative", code: exitUsage,
			files: map[string]string{"1_a.sql": "CREATE TABLE a (id int);"},
			setup: func(e *badEnv) { e.flags = []string{"--to=-1"} },
			want:  []string{"pgmig: apply: --to must be a migration id (1 or more)", "run 'pgmig --help' for usage"},
		},

		// --- flags and settings ---
		{
			// exit 2: `--lock-wait: time: invalid duration "soon"`, then the usage hint.
			name: "invalid --lock-wait", code: exitUsage,
			files: map[string]string{"1_a.sql": "CREATE TABLE a (id int);"},
			setup: func(e *badEnv) { e.flags = []string{"--lock-wait", "soon"} },
			want:  []string{"--lock-wait", `"soon"`, "run 'pgmig --help' for usage"},
		},
		{
			// exit 2: "--lock-wait must not be negative, got -5s" is a bad flag.
			name: "negative --lock-wait", code: exitUsage,
			files: map[string]string{"1_a.sql": "CREATE TABLE a (id int);"},
			setup: func(e *badEnv) { e.flags = []string{"--lock-wait=-5s"} },
			want:  []string{"pgmig: apply: --lock-wait must not be negative, got -5s", "run 'pgmig --help' for usage"},
		},
		{
			// exit 2: "invalid connection settings (from --url): ..."; the password is not echoed.
			name: "invalid URL", code: exitUsage, noDB: true,
			files: map[string]string{"1_a.sql": "CREATE TABLE a (id int);"},
			setup: func(e *badEnv) { e.url = "postgres://app:" + secret + "@127.0.0.1:notaport/app" },
			want:  []string{"pgmig: error: invalid connection settings (from --url):"},
			check: func(e *badEnv, p *badProblems, stdout, stderr string) {
				if strings.Contains(stdout+stderr, secret) {
					p.addf("the password was printed")
				}
			},
		},
	}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := &badEnv{t: t, dir: t.TempDir(), track: "public.migrations", timeout: 2 * time.Minute}
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
				e.before = badSnapshot(t, e.db.DB, e.track)
			}
			args := append([]string{"--url", e.url, "apply"}, e.flags...)
			args = append(args, e.dir)

			var p badProblems
			start := time.Now()
			code, stdout, stderr, hung := badRun(args, e.timeout, e.unblock)
			took := time.Since(start)
			if e.timed || took > 5*time.Second {
				t.Logf("apply took %s", took.Round(time.Millisecond))
			}
			if hung {
				p.addf("apply did not return within %s", e.timeout)
			}
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
					badCheckApplied(e, &p)
				} else {
					badCheckNothingApplied(e, &p)
				}
			}
			if tc.check != nil && !hung {
				tc.check(e, &p, stdout, stderr)
			}
			switch {
			case len(p) > 0 && tc.bug != "":
				t.Skipf("pgmig bug: %s\n%s", tc.bug, strings.Join(p, "\n"))
			case len(p) > 0:
				t.Errorf("%s\nstdout:\n%s\nstderr:\n%s", strings.Join(p, "\n"), badShorten(stdout), badShorten(stderr))
			case tc.bug != "":
				t.Errorf("marked as a pgmig bug (%s) but behaves as it should now: remove the mark", tc.bug)
			}
		})
	}
	t.Logf("%d cases", len(cases))
}

// badRun runs the command line in-process. When it has not returned after
// timeout it calls unblock (if any) every 100ms until it returns, for at most
// a minute more; hung reports that it ran past timeout.
func badRun(args []string, timeout time.Duration, unblock func()) (code int, stdout, stderr string, hung bool) {
	type result struct {
		code           int
		stdout, stderr string
	}
	done := make(chan result, 1)
	go func() {
		var out, errOut bytes.Buffer
		c := run(args, &out, &errOut)
		done <- result{c, out.String(), errOut.String()}
	}()
	select {
	case r := <-done:
		return r.code, r.stdout, r.stderr, false
	case <-time.After(timeout):
	}
	giveUp := time.After(time.Minute)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if unblock != nil {
			unblock()
		}
		select {
		case r := <-done:
			return r.code, r.stdout, r.stderr, true
		case <-giveUp:
			return -1, "", "(apply still running; abandoned)", true
		case <-tick.C:
		}
	}
}

// badState is what a case may change in its database.
type badState struct {
	objects  []string // schemas, relations and routines outside the system schemas, the tracking table aside
	tracking []string // rows of the tracking table as "id|name|hash"; nil when it does not exist
}

func badSnapshot(t *testing.T, db *sql.DB, track string) badState {
	t.Helper()
	var s badState
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
	var exists bool
	if err := db.QueryRow("SELECT to_regclass($1) IS NOT NULL", track).Scan(&exists); err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	if !exists {
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

const badRow0 = "0|create-migrations-table|e18db593bcde2aca2a408c4d1100f6abba2195df"

// badCheckNothingApplied compares the database with its state before the run:
// the same objects, and the same tracking rows, or only row 0 in a tracking
// table that pgmig created.
func badCheckNothingApplied(e *badEnv, p *badProblems) {
	after := badSnapshot(e.t, e.db.DB, e.track)
	if !slices.Equal(after.objects, e.before.objects) {
		p.addf("objects changed:\nbefore %v\nafter  %v", e.before.objects, after.objects)
	}
	switch {
	case e.before.tracking == nil && after.tracking == nil:
	case e.before.tracking == nil && slices.Equal(after.tracking, []string{badRow0}):
	case e.before.tracking != nil && slices.Equal(after.tracking, e.before.tracking):
	default:
		p.addf("tracking rows changed:\nbefore %q\nafter  %q", e.before.tracking, after.tracking)
	}
}

// badCheckApplied checks the tracking table after a successful run: row 0 and
// one row per expected migration, each with the hash of its file's bytes.
func badCheckApplied(e *badEnv, p *badProblems) {
	after := badSnapshot(e.t, e.db.DB, e.track)
	want := []string{badRow0}
	for i, r := range e.applied {
		content, err := os.ReadFile(filepath.Join(e.dir, r.file))
		if err != nil {
			e.t.Fatal(err)
		}
		want = append(want, fmt.Sprintf("%d|%s|%s", i+1, r.name, badSHA1(r.file, content)))
	}
	if !slices.Equal(after.tracking, want) {
		if len(want) > 20 {
			p.addf("tracking table has %d rows, want %d (first difference at row %d)", len(after.tracking), len(want), badFirstDiff(after.tracking, want))
		} else {
			p.addf("tracking rows:\n got  %q\n want %q", after.tracking, want)
		}
	}
}

func badFirstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// badWantHash checks that the stored hash of file is the SHA-1 of its name
// followed by raw.
func badWantHash(file string, raw []byte) func(e *badEnv, p *badProblems, stdout, stderr string) {
	return func(e *badEnv, p *badProblems, _, _ string) {
		var stored string
		if err := e.db.DB.QueryRow("SELECT hash FROM migrations WHERE id = 1").Scan(&stored); err != nil {
			p.addf("reading the hash of %s: %v", file, err)
			return
		}
		if want := badSHA1(file, raw); stored != want {
			p.addf("stored hash of %s is %s, want sha1(name + raw bytes) = %s", file, stored, want)
		}
	}
}

func badWantCount(e *badEnv, p *badProblems, query string, want int) {
	var n int
	if err := e.db.DB.QueryRow(query).Scan(&n); err != nil || n != want {
		p.addf("%s = %d (%v), want %d", query, n, err, want)
	}
}

func badWantRelation(e *badEnv, p *badProblems, name string) {
	var ok bool
	if err := e.db.DB.QueryRow("SELECT to_regclass($1) IS NOT NULL", name).Scan(&ok); err != nil || !ok {
		p.addf("relation %s does not exist (%v)", name, err)
	}
}

func badSHA1(name string, content []byte) string {
	h := sha1.New()
	h.Write([]byte(name))
	h.Write(content)
	return hex.EncodeToString(h.Sum(nil))
}

func badSymlink(e *badEnv, target, name string) {
	e.t.Helper()
	if err := os.Symlink(target, filepath.Join(e.dir, name)); err != nil {
		e.t.Fatal(err)
	}
}

func badRandomHex(t *testing.T) string {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// badWriteBigFile writes a migration of stmts INSERT statements of rows rows
// each, every row carrying a text of width bytes, and logs its size.
func badWriteBigFile(e *badEnv, name string, stmts, rows, width int) {
	e.t.Helper()
	f, err := os.Create(filepath.Join(e.dir, name))
	if err != nil {
		e.t.Fatal(err)
	}
	filler := strings.Repeat("x", width-8)
	var b strings.Builder
	n := 0
	for s := 0; s < stmts; s++ {
		b.Reset()
		b.WriteString("INSERT INTO big (n, filler) VALUES\n")
		for r := 0; r < rows; r++ {
			n++
			sep := ",\n"
			if r == rows-1 {
				sep = ";\n"
			}
			fmt.Fprintf(&b, "(%d, '%08d%s')%s", n, n, filler, sep)
		}
		if _, err := f.WriteString(b.String()); err != nil {
			e.t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		e.t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(e.dir, name))
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Logf("%s: %.1f MB, %d statements, %d rows", name, float64(info.Size())/1e6, stmts, n)
}

func badLastLine(s string) string {
	s = strings.TrimRight(s, "\n")
	return s[strings.LastIndexByte(s, '\n')+1:]
}

// shorten keeps long output readable in failure messages.
func badShorten(s string) string {
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
