package lint

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	pgparser "github.com/pganalyze/pg_query_go/v6/parser"

	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/internal/sqlscan"
	pg "github.com/pgmig/pgmig/migrator/lint/internal/pgtree"
)

// fileLinter lints one migration file.
type fileLinter struct {
	o   *options
	sch *schema
	mig migrator.Migration
	src string

	tx      bool // the statements run in one transaction (the migration's, or BEGIN ... COMMIT)
	timeout bool // the session's lock timeout is set
	// localTimeout is what a SET LOCAL lock_timeout set for the current
	// transaction, nil when none did: it ends with the transaction.
	localTimeout    *bool
	timeoutReported bool
	held            []heldLock // ACCESS EXCLUSIVE locks on existing relations held in the transaction

	statements int
	findings   []Finding
	stmtOf     []int // for each finding, the index of its statement
	stmts      []sqlscan.Statement
	cur        *stmt
}

// stmt is the statement being linted.
type stmt struct {
	index int
	scan  sqlscan.Statement
	node  *pg.Node
	// shift turns a location of the parse tree into an offset in the
	// statement's text: 0 when the statement was parsed alone, minus its
	// offset when the whole file was.
	shift int
	// pg18 is what the statement holds of PostgreSQL 18's syntax, which
	// the parser (PostgreSQL 17) does not know: nil for none.
	pg18  *pg18
	locks []relLock
	// long is 1 + the index in findings of the first finding that makes
	// the statement last as long as its relation is big; 0 for none.
	long int
	// validates is set for VALIDATE CONSTRAINT on an existing table: a
	// scan under a weak lock, long all the same.
	validates bool
}

// relLock is a table lock a statement takes on a pre-existing relation.
type relLock struct {
	rel  relName
	mode Lock
}

// heldLock is an ACCESS EXCLUSIVE lock that a brief statement took.
type heldLock struct {
	stmt     int
	rel      relName
	reported bool
}

func newFileLinter(o *options, sch *schema, m migrator.Migration, src string) *fileLinter {
	f := &fileLinter{o: o, sch: sch, mig: m, src: src, tx: !m.DisableTransaction}
	sch.path = nil // each migration starts from the connection's settings
	switch {
	case m.LockTimeout >= 0:
		f.timeout = m.LockTimeout > 0
	default:
		f.timeout = o.lockTimeout > 0
	}
	return f
}

// run lints every statement of the file, then applies its suppressions.
func (f *fileLinter) run() {
	stmts, _, err := sqlscan.SplitScript(f.src)
	var se *sqlscan.ScanError
	if errors.As(err, &se) {
		f.addAt(-1, se.Offset, RuleParseError, relName{}, NoLock, false, false, se.What, "")
		return
	}
	f.stmts = stmts
	whole := parseWhole(f.src, stmts)
	for i, s := range stmts {
		f.statements++
		var (
			st   = &stmt{index: i, scan: s}
			perr error
		)
		if whole != nil {
			st.node, st.shift = whole[i], -s.Offset
		} else {
			st.node, st.pg18, perr = parseStatement(s.Text)
		}
		f.cur = st
		if perr != nil {
			f.parseError(st, perr)
			continue
		}
		if f.olderServer(st) {
			continue
		}
		f.statement(st)
		f.afterStatement(st)
	}
	f.applyIgnores()
}

// parseWhole parses the whole file in one call to the parser, which is
// much cheaper than a call per statement, and returns the statement
// trees in the order of stmts. It returns nil when the parser rejects the
// file or cuts it into other statements than pgmig's splitter: then each
// statement is parsed alone.
func parseWhole(src string, stmts []sqlscan.Statement) []*pg.Node {
	res, err := pg.Parse(src)
	if err != nil || len(res.Stmts) != len(stmts) {
		return nil
	}
	nodes := make([]*pg.Node, len(stmts))
	for i, rs := range res.Stmts {
		start, end := int(rs.StmtLocation), int(rs.StmtLocation+rs.StmtLen)
		if rs.StmtLen == 0 {
			end = len(src)
		}
		if off := stmts[i].Offset; off < start || off >= end {
			return nil
		}
		nodes[i] = rs.Stmt
	}
	return nodes
}

// parseStatement parses one statement with PostgreSQL's grammar. When
// the parser rejects it, PostgreSQL 18's forms are read as rewrite18 says,
// and the second result says what it found (nil when nothing).
func parseStatement(text string) (*pg.Node, *pg18, error) {
	res, err := pg.Parse(text)
	var p *pg18
	if err != nil {
		if res2, p2 := rewrite18(text); res2 != nil {
			res, p, err = res2, p2, nil
		}
	}
	if err != nil {
		return nil, nil, err
	}
	if len(res.Stmts) == 0 {
		return nil, nil, errors.New("no statement")
	}
	return res.Stmts[0].Stmt, p, nil
}

// parseError reports a statement the parser rejects.
func (f *fileLinter) parseError(st *stmt, err error) {
	off := 0
	msg := err.Error()
	var pe *pgparser.Error
	if errors.As(err, &pe) {
		msg = pe.Message
		off = charsToBytes(st.scan.Text, pe.Cursorpos-1)
	}
	f.add(st, int32(off), RuleParseError, relName{}, NoLock, false, false,
		fmt.Sprintf("PostgreSQL 17's parser rejects the statement (a newer server may accept it): %s", msg), "")
}

// charsToBytes converts a count of characters from the start of s into
// a byte offset.
func charsToBytes(s string, chars int) int {
	off := 0
	for i := 0; i < chars && off < len(s); i++ {
		_, n := utf8.DecodeRuneInString(s[off:])
		off += n
	}
	return off
}

// add records a finding of the current statement at byte offset loc of
// its text (negative: the statement's start).
func (f *fileLinter) add(st *stmt, loc int32, rule string, rel relName, lock Lock, rewrite, scan bool, msg, fix string) {
	off := st.scan.Offset
	if l := st.offset(loc); loc >= 0 && l > 0 && l < len(st.scan.Text) {
		off += l
	}
	f.addAt(st.index, off, rule, rel, lock, rewrite, scan, msg, fix)
	if st.long == 0 && (rewrite || scan || longRules[rule]) {
		st.long = len(f.findings)
	}
}

// longRules are the rules whose statements run for as long as the
// relation is big, besides those that rewrite or scan it.
var longRules = map[string]bool{RuleCreateIndex: true, RuleReindex: true, RuleAddConstraintIndex: true,
	RuleRefreshMatview: true, RuleUpdateWholeTable: true, RuleDeleteWholeTable: true}

func (f *fileLinter) addAt(stmtIndex, off int, rule string, rel relName, lock Lock, rewrite, scan bool, msg, fix string) {
	r, _ := ruleByID(rule)
	line, col := sqlscan.LineCol(f.src, off)
	fd := Finding{SizeBytes: -1, Rows: -1, File: f.mig.File, Statement: stmtIndex + 1, Line: line, Column: col, Rule: rule, Severity: r.Severity, Message: msg,
		Lock: lock, Blocks: lock.Blocks(), Rewrite: rewrite, Scan: scan, Fix: fix, Source: lineAt(f.src, off)}
	if rel.name != "" {
		fd.Relation = rel.String()
	}
	f.findings = append(f.findings, fd)
	f.stmtOf = append(f.stmtOf, stmtIndex)
}

// lineAt returns the line of src that holds byte offset off.
func lineAt(src string, off int) string {
	off = max(0, min(off, len(src)))
	start := strings.LastIndexAny(src[:off], "\r\n") + 1
	end := strings.IndexAny(src[off:], "\r\n")
	if end < 0 {
		return src[start:]
	}
	return src[start : off+end]
}

// lock records that the current statement takes mode on rel, when rel is
// a pre-existing relation.
func (f *fileLinter) lock(st *stmt, rel relName, mode Lock) {
	if rel.name == "" || f.sch.isNew(rel) {
		return
	}
	st.locks = append(st.locks, relLock{rel: rel, mode: mode})
}

// strongest returns the strongest lock the statement takes on a
// pre-existing relation.
func (st *stmt) strongest() (relLock, bool) {
	var best relLock
	for _, l := range st.locks {
		if l.mode > best.mode {
			best = l
		}
	}
	return best, best.mode != NoLock
}
