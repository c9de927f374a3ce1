package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pgmig/pgmig/migrator"
)

// renumberCmd is 'pgmig renumber'.
type renumberCmd struct {
	Dir    string `arg:"" help:"Folder holding the migration files (top level only)." type:"path"`
	Base   string `help:"Git ref the branch was merged with; the files that exist there stay (default: the upstream of the current branch, else main)." placeholder:"REF"`
	DryRun bool   `help:"Print the renames, rename nothing."`
	Table  string `help:"Tracking table as [schema.]name of the database that is checked (default: migrations, found through the search path)." placeholder:"TABLE"`
	NoDB   bool   `name:"no-db" help:"Consult no database, even when connection settings are given."`
}

func (c *renumberCmd) Help() string {
	return `After a merge, two files may share an id (0012_add-tags.sql from main,
0012_add-index.sql from the branch), or the branch's files may sit below
main's newest. renumber moves the files that must move to the end, in their
order, keeping their name part, separator and zero padding, and prints each
rename. Tracked files are renamed with git mv, so history follows them.

Which files move:
  - in a git repository, the files the current branch added: those that
    exist neither at the merge base of HEAD and --base nor on --base itself;
  - outside git, with a database: of the files that share an id, those not
    applied there (when none of them is applied, pgmig refuses to guess).
Outside git and without a database, renumber refuses.

A database is consulted when --url is given or PGMIG_DATABASE_URL,
DATABASE_URL, PGHOST, PGHOSTADDR, PGPORT, PGDATABASE or PGSERVICE is set
(not with --no-db); it is only read. When a file that would be renamed is
applied there, renumber renames nothing and names the file (exit 14).

A migration's hash covers its file name: renaming changes it, so only
migrations that no database has applied may be renamed. The folder must
validate once renumbered (pgmig validate); if it would not (a gap or a
duplicate the merge did not cause), nothing is renamed (exit 3).

Examples:
  pgmig renumber --dry-run ./migrations
  pgmig renumber ./migrations
  pgmig renumber --base origin/main --url postgres://localhost/app_dev ./migrations`
}

// dbEnv are the variables that make renumber consult a database: those
// that name one, as --url does.
var dbEnv = []string{"PGMIG_DATABASE_URL", "DATABASE_URL", "PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGSERVICE"}

// wantsDB reports whether connection settings were given explicitly.
func (c *renumberCmd) wantsDB(a *app) bool {
	if c.NoDB {
		return false
	}
	return a.globals.URL != "" || slices.ContainsFunc(dbEnv, func(k string) bool { return os.Getenv(k) != "" })
}

// appliedError is a renumbering refused because files that would be
// renamed are applied in the database.
type appliedError struct {
	files    []string
	database string
}

func (e *appliedError) Error() string {
	verb := "is"
	if len(e.files) > 1 {
		verb = "are"
	}
	return fmt.Sprintf("%s %s applied in %s: renaming changes a migration's hash and would leave the database with a "+
		"migration whose file is missing; only migrations never applied may be renamed; nothing was renamed",
		strings.Join(e.files, ", "), verb, e.database)
}

func (c *renumberCmd) Run(ctx context.Context, a *app) error {
	if err := checkFolder(c.Dir); err != nil {
		return err
	}
	entries, err := os.ReadDir(c.Dir)
	if err != nil {
		return &folderError{msg: fmt.Sprintf("migrations folder %s: %v", c.Dir, unwrapPath(err))}
	}
	var files []string
	for _, e := range entries {
		if !e.IsDir() {
			files = append(files, e.Name())
		}
	}
	g, err := openGitBranch(c.Dir, c.Base)
	if errors.Is(err, errNotGit) {
		g, err = nil, nil
		if c.Base != "" {
			return &usageError{msg: fmt.Sprintf("--base %s: %s is not in a git repository", c.Base, c.Dir)}
		}
	}
	if err != nil {
		return err
	}
	var db *appliedRows
	if c.wantsDB(a) {
		if db, err = c.readApplied(ctx, a); err != nil {
			return err
		}
	}

	var moves func(string) bool
	switch {
	case g != nil:
		moves = func(f string) bool { return !g.onBase[f] }
		var added []string
		for _, f := range files {
			if _, _, err := migrator.ParseFileName(f); err == nil && moves(f) {
				added = append(added, f)
			}
		}
		fmt.Fprintf(a.stdout, "files this branch added since the merge base with %s (%s): %s\n", g.base, g.short(), listOrNone(added))
	case db != nil:
		if moves, err = db.colliding(files); err != nil {
			return err
		}
	default:
		return &usageError{msg: fmt.Sprintf("%s is not in a git repository and no database was given: pgmig cannot tell which files to move; "+
			"run renumber inside the git repository (the files the branch added move; --base REF), or give the database "+
			"whose tracking table says which files are applied (--url, PGMIG_DATABASE_URL or DATABASE_URL)", c.Dir)}
	}

	renames, err := migrator.PlanRenumber(files, moves)
	if err != nil {
		return fmt.Errorf("renumbering cannot fix this folder, nothing was renamed: %w", err)
	}
	if db != nil {
		var applied []string
		for _, r := range renames {
			if db.isApplied(r.From) {
				applied = append(applied, r.From)
			}
		}
		if len(applied) > 0 {
			return withHint(&appliedError{files: applied, database: db.describe},
				"if it is a development database, recreate it ('pgmig reset') and renumber again; "+
					"else rename the files that are not applied by hand, or pass --base REF if the branch was compared with the wrong one")
		}
	}
	if len(renames) == 0 {
		if _, err := migrator.Validate(os.DirFS(c.Dir)); err != nil {
			return fmt.Errorf("nothing to renumber, but the folder is invalid: %w", err)
		}
		fmt.Fprintln(a.stdout, "nothing to renumber: the files are in order")
		return nil
	}
	if _, err := migrator.Validate(newRenamedFS(os.DirFS(c.Dir), renames)); err != nil {
		return fmt.Errorf("the folder would be invalid even once renumbered, nothing was renamed: %w", err)
	}
	if err := checkFree(files, renames); err != nil {
		return err
	}
	if db != nil {
		fmt.Fprintf(a.stdout, "checked %s: none of the files to rename is applied there\n", db.describe)
	}
	if c.DryRun {
		for _, r := range renames {
			fmt.Fprintf(a.stdout, "would rename  %s -> %s\n", r.From, r.To)
		}
		fmt.Fprintf(a.stdout, "%s would be renamed; nothing was renamed (dry run)\n", plural(len(renames), "file"))
	} else {
		if err := renameAll(a, c.Dir, g, renames); err != nil {
			return err
		}
		if _, err := migrator.Validate(os.DirFS(c.Dir)); err != nil {
			return fmt.Errorf("the files were renamed, but the folder does not validate: %w", err)
		}
		fmt.Fprintf(a.stdout, "%s renamed; the folder validates\n", plural(len(renames), "file"))
	}
	fmt.Fprintln(a.stdout, "note: a migration's hash covers its file name, so renaming changes its hash: only migrations that no "+
		"database has applied may be renamed (a database that applied one under its old name would report it missing)")
	return nil
}

func listOrNone(files []string) string {
	if len(files) == 0 {
		return "none"
	}
	return strings.Join(files, ", ")
}

// checkFree makes sure no new name is taken, in any case: no rename may
// overwrite a file, not even on a case-insensitive file system.
func checkFree(files []string, renames []migrator.Rename) error {
	for _, r := range renames {
		for _, f := range files {
			if strings.EqualFold(f, r.To) {
				return &folderError{msg: fmt.Sprintf("cannot rename %s to %s: %s exists; nothing was renamed", r.From, r.To, f)}
			}
		}
	}
	return nil
}

// renameAll renames the files in order, each with git mv when git tracks
// it. On an error it renames back what it renamed; the error says what is
// left renamed should that fail too.
func renameAll(a *app, dir string, g *gitBranch, renames []migrator.Rename) error {
	var done []migrator.Rename
	for _, r := range renames {
		how, err := renameFile(dir, g, r.From, r.To)
		if err == nil {
			fmt.Fprintf(a.stdout, "renamed  %s -> %s%s\n", r.From, r.To, how)
			done = append(done, r)
			continue
		}
		var left []string
		for i := len(done) - 1; i >= 0; i-- {
			d := done[i]
			if _, uerr := renameFile(dir, g, d.To, d.From); uerr != nil {
				left = append(left, fmt.Sprintf("%s (now %s: %v)", d.From, d.To, uerr))
			} else {
				fmt.Fprintf(a.stdout, "renamed back  %s -> %s\n", d.To, d.From)
			}
		}
		if len(left) > 0 {
			return fmt.Errorf("renaming %s to %s: %w; could not rename back: %s", r.From, r.To, err, strings.Join(left, "; "))
		}
		return fmt.Errorf("renaming %s to %s: %w; the folder is as it was", r.From, r.To, err)
	}
	return nil
}

// renameFile renames from to to in dir without overwriting anything: with
// git mv when git tracks the file, so that its history follows.
func renameFile(dir string, g *gitBranch, from, to string) (how string, err error) {
	if g != nil && g.tracked[from] {
		if _, err := git(dir, "mv", "--", from, to); err != nil { // git mv refuses to overwrite
			return "", err
		}
		g.tracked[to], g.tracked[from] = true, false
		return "  (git mv)", nil
	}
	src, dst := filepath.Join(dir, from), filepath.Join(dir, to)
	if _, err := os.Lstat(dst); err == nil {
		return "", fmt.Errorf("%s exists", to)
	}
	return "", os.Rename(src, dst)
}

// appliedRows are the rows of a database's tracking table.
type appliedRows struct {
	describe string                  // database and table, for messages
	rows     map[int]map[string]bool // id -> names applied under it
}

// readApplied reads the tracking table of the database of the connection
// settings. It reads it through a Migrator of an empty folder: every row
// then comes back as a migration whose file is missing.
func (c *renumberCmd) readApplied(ctx context.Context, a *app) (*appliedRows, error) {
	settings, err := resolveSettings(a.globals.URL, a.red)
	if err != nil {
		return nil, err
	}
	db, err := settings.openDB("")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	opts := []migrator.Option{migrator.WithLogger(librarySlog(a.log))}
	if c.Table != "" {
		opts = append(opts, migrator.WithTable(c.Table))
	}
	m, err := migrator.New(db, emptyFS{}, opts...)
	if err != nil {
		return nil, err
	}
	res, err := m.Status(ctx)
	if err != nil {
		return nil, explain(settings, err)
	}
	r := &appliedRows{describe: fmt.Sprintf("database %s (table %s)", settings.describe(""), res.Table), rows: map[int]map[string]bool{}}
	for _, s := range res.Migrations {
		if r.rows[s.ID] == nil {
			r.rows[s.ID] = map[string]bool{}
		}
		r.rows[s.ID][s.Name] = true
	}
	return r, nil
}

// isApplied reports whether the database applied the file: a row with its
// id and name.
func (r *appliedRows) isApplied(file string) bool {
	id, name, err := migrator.ParseFileName(file)
	return err == nil && r.rows[id][name]
}

// colliding decides, without git, which files move: of the files that
// share an id, those not applied. It refuses when none of them is applied:
// then nothing tells which one came first.
func (r *appliedRows) colliding(files []string) (func(string) bool, error) {
	byID := map[int][]string{}
	for _, f := range files {
		if id, _, err := migrator.ParseFileName(f); err == nil && !strings.HasPrefix(f, ".") {
			byID[id] = append(byID[id], f)
		}
	}
	move := map[string]bool{}
	var unknown []string
	for _, group := range byID {
		if len(group) < 2 {
			continue
		}
		applied := slices.ContainsFunc(group, r.isApplied)
		if !applied {
			slices.Sort(group)
			unknown = append(unknown, strings.Join(group, " and "))
			continue
		}
		for _, f := range group {
			move[f] = !r.isApplied(f)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return nil, &usageError{msg: fmt.Sprintf("%s share an id and none is applied in %s: pgmig cannot tell which one to keep; "+
			"run renumber inside the git repository (--base REF), or rename one by hand; nothing was renamed",
			strings.Join(unknown, "; "), r.describe)}
	}
	return func(f string) bool { return move[f] }, nil
}

// emptyFS is a folder without files.
type emptyFS struct{}

func (emptyFS) Open(name string) (fs.File, error) {
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
}

func (emptyFS) ReadDir(string) ([]fs.DirEntry, error) { return nil, nil }

// renamedFS shows a folder as it will be once renamed, for
// migrator.Validate to check before anything is renamed.
type renamedFS struct {
	base     fs.FS
	from, to map[string]string // new name -> old; old name -> new
}

func newRenamedFS(base fs.FS, renames []migrator.Rename) renamedFS {
	r := renamedFS{base: base, from: map[string]string{}, to: map[string]string{}}
	for _, rn := range renames {
		r.from[rn.To], r.to[rn.From] = rn.From, rn.To
	}
	return r
}

func (r renamedFS) Open(name string) (fs.File, error) {
	if old, ok := r.from[name]; ok {
		return r.base.Open(old)
	}
	if _, gone := r.to[name]; gone {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return r.base.Open(name)
}

func (r renamedFS) ReadDir(name string) ([]fs.DirEntry, error) {
	entries, err := fs.ReadDir(r.base, name)
	if err != nil || name != "." {
		return entries, err
	}
	for i, e := range entries {
		if to, ok := r.to[e.Name()]; ok {
			entries[i] = renamedEntry{e, to}
		}
	}
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return entries, nil
}

// renamedEntry is a directory entry under its new name.
type renamedEntry struct {
	fs.DirEntry
	name string
}

func (e renamedEntry) Name() string { return e.name }
