package lint

import (
	"errors"
	"io/fs"

	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/internal/sqlscan"
)

// Syntax parses every statement of the migrations with PostgreSQL's
// grammar and returns one finding (rule [RuleParseError], a warning) per
// statement the parser rejects, with its position and source line. It
// runs no other rule. The parser is PostgreSQL 17's: a newer server may
// accept what it rejects, so these findings are advice, never a reason
// not to run a file.
//
// Errors: a file that cannot be read is returned as the error of
// fs.ReadFile.
func Syntax(fsys fs.FS, migs []migrator.Migration) ([]Finding, error) {
	var out []Finding
	o := &options{version: NewestVersion}
	for _, m := range migs {
		src, err := fs.ReadFile(fsys, m.File)
		if err != nil {
			return nil, err
		}
		f := newFileLinter(o, &schema{}, m, string(src))
		stmts, _, err := sqlscan.SplitScript(f.src)
		var se *sqlscan.ScanError
		if errors.As(err, &se) {
			continue // validate reports unterminated strings and comments itself
		}
		for i, s := range stmts {
			if _, _, perr := parseStatement(s.Text); perr != nil {
				f.parseError(&stmt{index: i, scan: s}, perr)
			}
		}
		out = append(out, f.findings...)
	}
	return out, nil
}
