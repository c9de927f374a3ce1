package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/migratortest"
)

// gitRepo is a real git repository made for a test, with the migrations
// folder db/migrations.
type gitRepo struct {
	t         *testing.T
	root, dir string
}

// newGitRepo makes a repository on branch main whose first commit holds
// files in db/migrations.
func newGitRepo(t *testing.T, files ...string) *gitRepo {
	t.Helper()
	r := &gitRepo{t: t, root: t.TempDir()}
	r.dir = filepath.Join(r.root, "db", "migrations")
	if err := os.MkdirAll(r.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	r.git("init", "--quiet", "--initial-branch=main")
	r.commit("first migrations", files...)
	return r
}

// git runs git in the repository with an identity of its own: the tests
// need no git configuration of the machine.
func (r *gitRepo) git(args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=pgmig test", "-c", "user.email=test@pgmig.invalid",
		"-c", "commit.gpgsign=false", "-c", "core.hooksPath=/dev/null"}, args...)...)
	cmd.Dir = r.root
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null")
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// commit writes files into the migrations folder and commits them.
func (r *gitRepo) commit(msg string, files ...string) {
	r.t.Helper()
	for _, f := range files {
		writeFile(r.t, r.dir, f, "-- "+f+"\nSELECT 1;\n")
	}
	r.git("add", "--all")
	r.git("commit", "--quiet", "--allow-empty", "-m", msg)
}

// files lists the migrations folder.
func (r *gitRepo) files() []string { return listDir(r.t, r.dir) }

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// merged makes the situation renumber is for: branch feature adds
// branchFiles, main meanwhile adds mainFiles, and feature merges main.
func merged(t *testing.T, base, branchFiles, mainFiles []string) *gitRepo {
	t.Helper()
	r := newGitRepo(t, base...)
	r.git("checkout", "--quiet", "-b", "feature")
	r.commit("branch migrations", branchFiles...)
	r.git("checkout", "--quiet", "main")
	r.commit("main migrations", mainFiles...)
	r.git("checkout", "--quiet", "feature")
	r.git("merge", "--quiet", "--no-edit", "main")
	return r
}

const hashNote = "renaming changes its hash: only migrations that no database has applied may be renamed"

func TestRenumberTwoFilesWithOneID(t *testing.T) {
	r := merged(t, []string{"0001_a.sql", "0002_b.sql"}, []string{"0003_add-index.sql"}, []string{"0003_add-tags.sql"})
	code, stdout, stderr := pgmig(t, "renumber", r.dir)
	if code != exitOK || !strings.Contains(stdout, "renamed  0003_add-index.sql -> 0004_add-index.sql  (git mv)") ||
		!strings.Contains(stdout, "files this branch added since the merge base with main (") || !strings.Contains(stdout, hashNote) {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	if got, want := r.files(), []string{"0001_a.sql", "0002_b.sql", "0003_add-tags.sql", "0004_add-index.sql"}; !slices.Equal(got, want) {
		t.Errorf("files %v, want %v", got, want)
	}
	if st := r.git("status", "--porcelain"); !strings.Contains(st, "R  db/migrations/0003_add-index.sql -> db/migrations/0004_add-index.sql") {
		t.Errorf("git mv not used: git status says\n%s", st)
	}
	if _, err := migrator.Validate(os.DirFS(r.dir)); err != nil {
		t.Error(err)
	}
	// Once renumbered, there is nothing left to do.
	if code, stdout, stderr := pgmig(t, "renumber", r.dir); code != exitOK || !strings.Contains(stdout, "nothing to renumber") {
		t.Fatalf("second run: exit %d\n%s%s", code, stdout, stderr)
	}
}

func TestRenumberBranchFilesBelowMainsNewest(t *testing.T) {
	r := merged(t, []string{"1_a.sql", "2_b.sql"}, []string{"3_x.sql", "4_y.sql"}, []string{"3_c.sql", "4_d.sql", "5_e.sql"})
	writeFile(t, r.dir, "5_z.sql", "SELECT 5;\n") // added on the branch, not even committed
	code, stdout, stderr := pgmig(t, "renumber", r.dir)
	want := "renamed  3_x.sql -> 6_x.sql  (git mv)\nrenamed  4_y.sql -> 7_y.sql  (git mv)\nrenamed  5_z.sql -> 8_z.sql\n3 files renamed; the folder validates\n"
	if code != exitOK || !strings.Contains(stdout, want) {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	if got, want := r.files(), []string{"1_a.sql", "2_b.sql", "3_c.sql", "4_d.sql", "5_e.sql", "6_x.sql", "7_y.sql", "8_z.sql"}; !slices.Equal(got, want) {
		t.Errorf("files %v, want %v", got, want)
	}
}

func TestRenumberDryRun(t *testing.T) {
	r := merged(t, []string{"0001_a.sql"}, []string{"0002_add-index.sql"}, []string{"0002_add-tags.sql"})
	before := r.files()
	code, stdout, stderr := pgmig(t, "renumber", "--dry-run", r.dir)
	if code != exitOK || !strings.Contains(stdout, "would rename  0002_add-index.sql -> 0003_add-index.sql") ||
		!strings.Contains(stdout, "1 file would be renamed; nothing was renamed (dry run)") || !strings.Contains(stdout, hashNote) {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	if got := r.files(); !slices.Equal(got, before) {
		t.Errorf("dry run renamed: %v, was %v", got, before)
	}
	if st := r.git("status", "--porcelain"); st != "" {
		t.Errorf("dry run changed the work tree:\n%s", st)
	}
}

func TestRenumberBaseFlag(t *testing.T) {
	r := merged(t, []string{"1_a.sql"}, []string{"2_x.sql"}, []string{"2_c.sql"})
	r.git("branch", "trunk", "main")
	code, stdout, stderr := pgmig(t, "renumber", "--base", "trunk", "--dry-run", r.dir)
	if code != exitOK || !strings.Contains(stdout, "merge base with trunk") || !strings.Contains(stdout, "2_x.sql -> 3_x.sql") {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	code, _, stderr = pgmig(t, "renumber", "--base", "nosuchbranch", r.dir)
	if code != exitUsage || !strings.Contains(stderr, `git knows no commit "nosuchbranch"`) {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
}

func TestRenumberRefusesAppliedFile(t *testing.T) {
	d := migratortest.NewDatabase(t)
	r := newGitRepo(t, "0001_a.sql", "0002_b.sql")
	r.git("checkout", "--quiet", "-b", "feature")
	r.commit("branch migration", "0003_add-index.sql")
	// The developer applied the branch's migration to this database.
	if _, err := mustMigrator(t, d, r.dir).Apply(context.Background()); err != nil {
		t.Fatal(err)
	}
	r.git("checkout", "--quiet", "main")
	r.commit("main migration", "0003_add-tags.sql")
	r.git("checkout", "--quiet", "feature")
	r.git("merge", "--quiet", "--no-edit", "main")
	before := r.files()

	code, stdout, stderr := pgmig(t, "--url", d.DSN, "renumber", r.dir)
	if code != exitRenumber || !strings.Contains(stderr, "0003_add-index.sql is applied in database ") ||
		!strings.Contains(stderr, "only migrations never applied may be renamed; nothing was renamed") {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	if got := r.files(); !slices.Equal(got, before) {
		t.Errorf("renamed though refused: %v, was %v", got, before)
	}
	if errorKind(&appliedError{}) != "applied-would-move" {
		t.Errorf("kind %q", errorKind(&appliedError{}))
	}
}

func TestRenumberChecksDatabaseInGit(t *testing.T) {
	d := migratortest.NewDatabase(t)
	r := merged(t, []string{"1_a.sql"}, []string{"2_x.sql"}, []string{"2_c.sql"})
	// The database applied main's files, not the branch's.
	if _, err := mustMigrator(t, d, writeMigrations(t, map[string]string{"1_a.sql": "-- 1_a.sql\nSELECT 1;\n", "2_c.sql": "-- 2_c.sql\nSELECT 1;\n"})).
		Apply(context.Background()); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := pgmig(t, "--url", d.DSN, "renumber", r.dir)
	if code != exitOK || !strings.Contains(stdout, "none of the files to rename is applied there") || !strings.Contains(stdout, "2_x.sql -> 3_x.sql") {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
}

func TestRenumberOutsideGitWithDatabase(t *testing.T) {
	d := migratortest.NewDatabase(t)
	dir := writeMigrations(t, map[string]string{"1_a.sql": "SELECT 1;\n", "2_b.sql": "SELECT 2;\n"})
	if _, err := mustMigrator(t, d, dir).Apply(context.Background()); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "2_c.sql", "SELECT 3;\n") // collides, never applied
	writeFile(t, dir, "3_d.sql", "SELECT 4;\n") // pending, collides with nothing: stays
	code, stdout, stderr := pgmig(t, "--url", d.DSN, "renumber", dir)
	if code != exitOK || !strings.Contains(stdout, "renamed  2_c.sql -> 4_c.sql\n") || !strings.Contains(stdout, hashNote) {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	if got, want := listDir(t, dir), []string{"1_a.sql", "2_b.sql", "3_d.sql", "4_c.sql"}; !slices.Equal(got, want) {
		t.Errorf("files %v, want %v", got, want)
	}

	// Two files with one id, neither applied: nothing says which one stays.
	writeFile(t, dir, "5_e.sql", "SELECT 5;\n")
	writeFile(t, dir, "5_f.sql", "SELECT 6;\n")
	code, stdout, stderr = pgmig(t, "--url", d.DSN, "renumber", dir)
	if code != exitUsage || !strings.Contains(stderr, "5_e.sql and 5_f.sql share an id and none is applied in database ") {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
}

func TestRenumberOutsideGitWithoutDatabase(t *testing.T) {
	dir := writeMigrations(t, map[string]string{"1_a.sql": "SELECT 1;\n", "2_b.sql": "SELECT 2;\n", "2_c.sql": "SELECT 3;\n"})
	code, stdout, stderr := pgmig(t, "renumber", dir)
	if code != exitUsage || !strings.Contains(stderr, "is not in a git repository and no database was given: pgmig cannot tell which files to move") ||
		!strings.Contains(stderr, "--url") {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	if got := listDir(t, dir); len(got) != 3 {
		t.Errorf("files %v", got)
	}
	// --no-db ignores connection settings, even given.
	code, _, stderr = pgmig(t, "--url", "postgres://nobody@127.0.0.1:1/x", "renumber", "--no-db", dir)
	if code != exitUsage || !strings.Contains(stderr, "no database was given") {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
}

func TestRenumberRefusesWhatItCannotFix(t *testing.T) {
	// A gap on main is not the merge's doing.
	r := merged(t, []string{"1_a.sql", "3_c.sql"}, []string{"4_x.sql"}, []string{"4_d.sql"})
	before := r.files()
	code, stdout, stderr := pgmig(t, "renumber", r.dir)
	if code != exitInvalidFiles || !strings.Contains(stderr, "renumbering cannot fix this folder, nothing was renamed") ||
		!strings.Contains(stderr, "3_c.sql: gap in numbering") {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	// A branch file that would not validate once renamed.
	r2 := merged(t, []string{"1_a.sql"}, []string{"2_x.sql"}, []string{"2_c.sql"})
	writeFile(t, r2.dir, "2_x.sql", "BEGIN;\nSELECT 1;\nCOMMIT;\nCOMMIT;\n")
	code, stdout, stderr = pgmig(t, "renumber", r2.dir)
	if code != exitInvalidFiles || !strings.Contains(stderr, "the folder would be invalid even once renumbered, nothing was renamed") ||
		!strings.Contains(stderr, "3_x.sql: line") {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	if got := r.files(); !slices.Equal(got, before) {
		t.Errorf("renamed though refused: %v", got)
	}
	if got := r2.files(); !slices.Equal(got, []string{"1_a.sql", "2_c.sql", "2_x.sql"}) {
		t.Errorf("renamed though refused: %v", got)
	}
}

func mustMigrator(t *testing.T, d *migratortest.Database, dir string) *migrator.Migrator {
	t.Helper()
	m, err := migrator.New(d.DB, os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	return m
}
