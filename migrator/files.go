package migrator

import (
	"bytes"
	"fmt"
	"io/fs"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/pgmig/pgmig/hashcheck"
	"github.com/pgmig/pgmig/migrator/internal/sqlscan"
)

// Migration describes one migration file as pgmig read it.
type Migration struct {
	ID                 int    // integer id from the file name
	Name               string // value of the tracking table's name column
	File               string // base name of the file
	Hash               string // lowercase hex SHA-1 of File followed by the content
	Size               int64  // content length in bytes
	DisableTransaction bool   // file runs statement by statement, outside a transaction
	DisableHashCheck   bool   // file may change after it was applied
	// LockTimeout and StatementTimeout are the file's timeout headers
	// ('-- pgmig lock-timeout 2s'), -1 when it has none: then the
	// Migrator's options apply. 0 means no timeout.
	LockTimeout, StatementTimeout time.Duration

	warnings []string // advice for when the file is about to run
	// problems are rules about how the file would run that it breaks
	// (transaction control, statements that cannot run in a transaction,
	// unknown headers, psql meta-commands). They stop it from running, but
	// never stop a run where the file is already applied: then only its
	// hash counts.
	problems []string
	// blanks are byte ranges of the file that pgmig replaces with spaces
	// when it runs the file: a BEGIN ... COMMIT wrapper around the whole
	// file, and psql's \restrict and \unrestrict lines. The hash covers
	// the file as it is.
	blanks []blank
}

// blank is a byte range of a migration file, see Migration.blanks.
type blank struct{ off, len int }

// loadMigrations reads every migration file at the top level of fsys,
// checks each one and the numbering as a whole, and returns the migrations
// in id order. All problems are reported together in a *FileError. With
// strict, every file is also held to the rules of a file still to run.
//
// What can make a file unusable (reading it, UTF-8, NUL bytes) and what a
// run needs first (hash, headers) is checked before it returns. The
// statement checks (splitting, transaction control, psql meta-commands),
// which only concern files still to run, go on in the background unless
// strict: they fill in problems, warnings and blanks of the returned
// migrations, and checks.wait says when they have.
func loadMigrations(fsys fs.FS, strict bool) ([]Migration, *fileChecks, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, nil, &FolderError{Err: unwrapPathError(err)}
	}
	var (
		files    []loaded // migration files whose name parses, in folder order
		problems []FileProblem
	)
	report := func(file, format string, args ...any) {
		problems = append(problems, FileProblem{File: file, Problem: fmt.Sprintf(format, args...)})
	}
	files = make([]loaded, 0, len(entries))
	for _, e := range entries {
		file := e.Name()
		if strings.HasPrefix(file, ".") || e.IsDir() {
			continue
		}
		if isJSMigration(file) {
			report(file, "JavaScript migrations are not supported: pgmig runs .sql files only; "+
				"write the SQL that the file generates into a .sql file with the same number")
			continue
		}
		if !isMigrationFile(file) {
			continue
		}
		if e.Type()&fs.ModeType != 0 { // not a regular file: follow links, refuse pipes and devices
			info, err := fs.Stat(fsys, file)
			if err != nil {
				report(file, "cannot follow symbolic link: %v", unwrapPathError(err))
				continue
			}
			if info.IsDir() {
				continue
			}
			if !info.Mode().IsRegular() {
				report(file, "not a regular file (%s); migrations must be regular files", info.Mode().Type())
				continue
			}
		}
		pn, err := parseFileName(file)
		if err != nil {
			report(file, "%v", err)
			continue
		}
		files = append(files, loaded{m: Migration{ID: pn.ID, Name: pn.Name, File: file}})
	}
	readAll(fsys, files)
	// Every parsed name, for the numbering check; the valid files.
	numbered := make([]numberedFile, 0, len(files))
	valid := files[:0] // filtered in place: f is a copy, and valid never passes it
	for _, f := range files {
		numbered = append(numbered, numberedFile{ID: f.m.ID, Name: f.m.Name, File: f.m.File})
		if f.problem != "" {
			report(f.m.File, "%s", f.problem)
			continue
		}
		valid = append(valid, f)
	}
	numbering := checkNumbering(numbered)
	if !strict && len(problems)+len(numbering) > 0 {
		return nil, nil, fileError(append(problems, numbering...))
	}
	slices.SortFunc(valid, func(a, b loaded) int { return a.m.ID - b.m.ID })
	migs := make([]Migration, len(valid))
	for i, f := range valid {
		migs[i] = f.m
	}
	checks := checkStatements(migs, valid)
	if strict {
		checks.wait()
		for _, m := range migs {
			for _, p := range m.problems {
				problems = append(problems, FileProblem{File: m.File, Problem: p, RunRule: true})
			}
		}
		if len(problems)+len(numbering) > 0 {
			return nil, nil, fileError(append(problems, numbering...))
		}
	}
	return migs, checks, nil
}

// fileError sorts problems by file into a *FileError.
func fileError(problems []FileProblem) error {
	slices.SortStableFunc(problems, func(a, b FileProblem) int { return strings.Compare(a.File, b.File) })
	return &FileError{Problems: problems}
}

// loaded is one migration file as read and checked.
type loaded struct {
	m       Migration
	content []byte // for the statement checks
	problem string // "" when the file is valid
}

// fileChecks are the statement checks of a folder's migrations, running in
// the background (see loadMigrations).
type fileChecks struct{ done chan struct{} }

// wait returns once the checks have filled in every migration.
func (c *fileChecks) wait() {
	if c != nil {
		<-c.done
	}
}

// readAll reads the files and checks what can make them unusable, on as
// many goroutines as there are CPUs: a folder of thousands of small files
// costs mostly system calls.
func readAll(fsys fs.FS, files []loaded) {
	parallel(len(files), func(i int) {
		f := &files[i]
		content, err := fs.ReadFile(fsys, f.m.File)
		if err != nil {
			f.problem = fmt.Sprintf("cannot read file: %v", unwrapPathError(err))
			return
		}
		f.m.Size = int64(len(content))
		f.content = content
		f.problem = checkContent(&f.m, content)
	})
}

// checkStatements starts the statement checks of migs (whose contents are
// those of files, index for index) on as many goroutines as there are
// CPUs, and returns at once.
func checkStatements(migs []Migration, files []loaded) *fileChecks {
	c := &fileChecks{done: make(chan struct{})}
	go func() {
		defer close(c.done)
		parallel(len(migs), func(i int) {
			m := &migs[i]
			// A view, not a copy: content is never modified, and nothing
			// built from it outlives the call except strings formatted anew.
			m.checkStatements(unsafe.String(unsafe.SliceData(files[i].content), len(files[i].content)))
		})
	}()
	return c
}

// parallel calls f for 0..n-1 on up to GOMAXPROCS (at most 8) goroutines
// and returns when every call has.
func parallel(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), 8, n)
	next := make(chan int, n)
	for i := range n {
		next <- i
	}
	close(next)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f(i)
			}
		}()
	}
	wg.Wait()
}

// checkContent validates the bytes of a migration file and fills in the
// hash and the header flags. It returns what makes the file unusable
// whatever its state ("" when nothing): such a file cannot be hashed as
// postgres-migrations did, or not sent to PostgreSQL at all.
func checkContent(m *Migration, content []byte) string {
	if !utf8.Valid(content) {
		line, col := invalidUTF8At(content)
		return fmt.Sprintf("not valid UTF-8 (first invalid byte at line %d, column %d); save the file as UTF-8", line, col)
	}
	if i := bytes.IndexByte(content, 0); i >= 0 {
		line, col := sqlscan.LineCol(string(content), i)
		return fmt.Sprintf("contains a NUL byte at line %d, column %d; PostgreSQL cannot run text with NUL bytes", line, col)
	}
	m.Hash = hashcheck.Sum(m.File, content)
	h := parseHeaders(unsafe.String(unsafe.SliceData(content), len(content)))
	m.DisableTransaction, m.DisableHashCheck = h.disableTransaction, h.disableHashCheck
	m.LockTimeout, m.StatementTimeout = h.lockTimeout, h.statementTimeout
	m.problems = append(m.problems, h.problems...)
	return ""
}

// checkStatements fills in the rules the file src of m breaks, its
// warnings and the ranges to blank out: psql meta-commands, and in a
// transactional file transaction control and statements that cannot run in
// a transaction.
func (m *Migration) checkStatements(src string) {
	stmts, metas, err := sqlscan.SplitScript(src)
	if err != nil {
		m.problems = append(m.problems, err.Error())
		return
	}
	for _, mc := range metas {
		if problem := metaCommandProblem(mc); problem != "" {
			m.problems = append(m.problems, problem)
		} else {
			m.blanks = append(m.blanks, blank{mc.Offset, len(mc.Text)})
		}
	}
	if !m.DisableTransaction {
		m.checkTransactional(stmts)
	}
}

// metaCommandProblem says what to do about a psql meta-command in a
// migration file, or returns "" for the two that pgmig skips: pg_dump writes
// \restrict KEY and \unrestrict KEY around its output to guard psql
// sessions, and they mean nothing to a client that sends the file as SQL.
func metaCommandProblem(mc sqlscan.MetaCommand) string {
	what := "remove the line, or write what it does in SQL"
	switch mc.Name {
	case "restrict", "unrestrict":
		return ""
	case "connect", "c":
		what = "remove the line: pgmig runs every migration on the database it is connected to"
	case ".":
		what = "COPY ... FROM stdin data can only be sent by psql; load the rows with INSERT statements or COPY from a server file"
	case "set", "i", "include", "ir", "include_relative":
		what = "pgmig does not expand psql variables or include files; write the SQL into the file itself"
	}
	return fmt.Sprintf("line %d: %q is a psql meta-command, not SQL, and PostgreSQL cannot run it; %s", mc.Line, mc.Text, what)
}

// checkTransactional checks a file that runs inside a transaction: no
// transaction control except one BEGIN ... COMMIT around the whole file,
// and no statement that PostgreSQL refuses in a transaction block.
func (m *Migration) checkTransactional(stmts []sqlscan.Statement) {
	var control []int // statements that are transaction control
	for i, s := range stmts {
		if _, ok := sqlscan.TransactionControl(s); ok {
			control = append(control, i)
			continue
		}
		words := sqlscan.Words(s, statementWords)
		if what := notInTransaction(words); what != "" {
			m.problems = append(m.problems, fmt.Sprintf("line %d: %s cannot run inside a transaction block; "+
				"add a line '-- pgmig disable-transaction' to run the file statement by statement, outside a transaction", s.Line, what))
		}
		if addsEnumValue(words) {
			m.warnings = append(m.warnings, fmt.Sprintf("line %d: ALTER TYPE ... ADD VALUE in a transaction: the new value cannot be used "+
				"in the same migration, and PostgreSQL before 12 refuses it; consider '-- pgmig disable-transaction' or a migration of its own", s.Line))
		}
	}
	if last := len(stmts) - 1; len(control) == 2 && control[0] == 0 && control[1] == last {
		begin, commit := stmts[0], stmts[last]
		switch {
		case !plainBegin(sqlscan.Words(begin, statementWords)):
			m.problems = append(m.problems, fmt.Sprintf("line %d: %q sets transaction modes, which pgmig would not honour: "+
				"it runs the file in a transaction of its own; replace the line with 'SET TRANSACTION ...' and the same modes, "+
				"or remove it and the final COMMIT", begin.Line, begin.Text))
		case !plainCommit(sqlscan.Words(commit, statementWords)):
			m.problems = append(m.problems, fmt.Sprintf("line %d: %q: a file wrapped in BEGIN ... COMMIT must end with a plain COMMIT", commit.Line, commit.Text))
		default:
			m.blanks = append(m.blanks, blank{begin.Offset, len(begin.Text)}, blank{commit.Offset, len(commit.Text)})
			m.warnings = append(m.warnings, fmt.Sprintf("lines %d and %d: the file wraps its statements in %s ... %s; pgmig runs them "+
				"in a transaction of its own together with the bookkeeping row, and skips the wrapper", begin.Line, commit.Line,
				strings.ToUpper(sqlscan.Words(begin, 1)[0]), strings.ToUpper(sqlscan.Words(commit, 1)[0])))
		}
		return
	}
	for _, i := range control {
		s := stmts[i]
		form, _ := sqlscan.TransactionControl(s)
		m.problems = append(m.problems, fmt.Sprintf("line %d: %s: pgmig runs each migration in a transaction of its own and refuses "+
			"transaction control in it (one BEGIN at the start and one COMMIT at the end of the file are accepted); "+
			"remove it, or add a line '-- pgmig disable-transaction' to run the file statement by statement", s.Line, form))
	}
}

// plainBegin reports whether the words of a BEGIN or START TRANSACTION
// statement set no transaction modes.
func plainBegin(w []string) bool {
	switch {
	case len(w) == 1:
		return w[0] == "BEGIN"
	case len(w) == 2:
		return w[0] == "BEGIN" && (w[1] == "WORK" || w[1] == "TRANSACTION") || w[0] == "START" && w[1] == "TRANSACTION"
	}
	return false
}

// plainCommit reports whether the words of a statement are COMMIT or END,
// optionally with WORK or TRANSACTION and AND NO CHAIN.
func plainCommit(w []string) bool {
	if len(w) == 0 || w[0] != "COMMIT" && w[0] != "END" {
		return false
	}
	w = w[1:]
	if len(w) > 0 && (w[0] == "WORK" || w[0] == "TRANSACTION") {
		w = w[1:]
	}
	return len(w) == 0 || len(w) == 3 && w[0] == "AND" && w[1] == "NO" && w[2] == "CHAIN"
}

// numberedFile is what the numbering check reads of a file: its parsed
// name.
type numberedFile struct {
	ID         int
	Name, File string
}

// checkNumbering reports duplicate ids, duplicate names, gaps and a first
// id other than 1.
func checkNumbering(migs []numberedFile) []FileProblem {
	slices.SortFunc(migs, func(a, b numberedFile) int {
		if a.ID != b.ID {
			return a.ID - b.ID
		}
		return strings.Compare(a.File, b.File)
	})
	var problems []FileProblem
	byName := make(map[string]string, len(migs))
	for i, m := range migs {
		if other, dup := byName[m.Name]; dup {
			problems = append(problems, FileProblem{File: m.File, Problem: fmt.Sprintf("name %q is also used by %s; names must be unique", m.Name, other)})
		} else {
			byName[m.Name] = m.File
		}
		switch {
		case i == 0 && m.ID != 1:
			problems = append(problems, FileProblem{File: m.File, Problem: fmt.Sprintf("first id is %d; ids must start at 1 and be consecutive", m.ID)})
		case i > 0 && m.ID == migs[i-1].ID:
			problems = append(problems, FileProblem{File: m.File, Problem: fmt.Sprintf("id %d is also used by %s; each id must be used once", m.ID, migs[i-1].File)})
		case i > 0 && m.ID > migs[i-1].ID+1:
			missing := fmt.Sprintf("%d", migs[i-1].ID+1)
			if m.ID-migs[i-1].ID > 2 {
				missing = fmt.Sprintf("%d to %d", migs[i-1].ID+1, m.ID-1)
			}
			problems = append(problems, FileProblem{File: m.File, Problem: fmt.Sprintf("gap in numbering: id %d follows %d (%s missing); ids must be consecutive", m.ID, migs[i-1].ID, missing)})
		}
	}
	return problems
}

func invalidUTF8At(b []byte) (line, col int) {
	line, col = 1, 1
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size <= 1 {
			return line, col
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		b = b[size:]
	}
	return line, col
}

// unwrapPathError drops the path from an *fs.PathError: the file name is
// already part of the problem report.
func unwrapPathError(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}
