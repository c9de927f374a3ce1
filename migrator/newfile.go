package migrator

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// defaultIDWidth is the zero-padded width of ids in a folder without
// migrations: 0001_name.sql.
const defaultIDWidth = 4

// NewFile creates the next migration file in dir and returns its path.
//
// The folder must pass the checks pgmig applies before it migrates: when it
// does not, the *FileError saying why is returned unchanged and nothing is
// created. The new id is one above the highest; it is zero-padded to the
// width the folder's padded ids use (4 digits in an empty folder, no padding
// when no id has leading zeros) and never truncated. The separator between
// id and name is the one the folder uses ('_' or '-', default '_').
//
// name is made file-safe: surrounding blanks are trimmed, every run of
// characters other than letters, digits, '-', '_' and '.' (path separators
// included) becomes one '-', leading and trailing '-', '_' and '.' are
// dropped, and so is a trailing ".sql". Case is kept. The result must not be
// empty, must fit the tracking table (100 characters) and must not be the
// name of an existing migration.
//
// The file is created exclusively (an existing file is never overwritten)
// and holds a short comment. Should the folder turn out broken once the file
// exists (another migration with the same id created at the same time), the
// new file is removed again and the error wraps the *FileError.
func NewFile(dir string, name string) (string, error) {
	info, err := os.Stat(dir)
	switch {
	case err != nil:
		return "", fmt.Errorf("migrations folder %s: %w", dir, err)
	case !info.IsDir():
		return "", fmt.Errorf("migrations folder %s is a file, not a folder", dir)
	}
	safe, err := safeName(name)
	if err != nil {
		return "", err
	}
	migs, _, err := loadMigrations(os.DirFS(dir), false)
	if err != nil {
		return "", err
	}
	for _, m := range migs {
		if m.Name == safe {
			return "", fmt.Errorf("name %q is already used by %s; migration names must be unique", safe, m.File)
		}
	}
	id := len(migs) + 1 // ids are 1..len(migs): loadMigrations checked it
	if id > maxID {
		return "", fmt.Errorf("id %d is too large (at most %d)", id, maxID)
	}
	width, sep := folderStyle(migs)
	file := fmt.Sprintf("%0*d%c%s.sql", width, id, sep, safe)
	path := filepath.Join(dir, file)

	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return "", fmt.Errorf("creating migration file: %w", err)
	}
	_, werr := f.WriteString(newFileContent(file))
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(path)
		return "", fmt.Errorf("writing migration file %s: %w", path, werr)
	}
	if _, _, err := loadMigrations(os.DirFS(dir), false); err != nil {
		os.Remove(path)
		return "", fmt.Errorf("%s was removed again: the folder changed while it was created: %w", path, err)
	}
	return path, nil
}

// newFileContent is the text of a new migration file: comments only, and
// no header line, so that the file is a transactional migration.
func newFileContent(file string) string {
	return "-- " + file + "\n" +
		"-- Write the migration here. It runs in a transaction of its own.\n" +
		"-- For CREATE INDEX CONCURRENTLY and the like, add the line '-- pgmig disable-transaction'.\n"
}

// folderStyle returns the id width and the separator the next file of a
// valid folder should use. The width is the largest digit count among ids
// written with leading zeros; 0 (no padding) when no id has any, and
// defaultIDWidth when there are no migrations. The separator is the one of
// the highest id that has one, else '_'.
func folderStyle(migs []Migration) (width int, sep byte) {
	if len(migs) == 0 {
		return defaultIDWidth, '_'
	}
	for _, m := range migs {
		digits := leadingDigits(m.File)
		if digits > len(strconv.Itoa(m.ID)) && digits > width {
			width = digits
		}
	}
	sep = '_'
	for i := len(migs) - 1; i >= 0; i-- {
		f := migs[i].File
		if d := leadingDigits(f); d < len(f) && (f[d] == '_' || f[d] == '-') {
			sep = f[d]
			break
		}
	}
	return width, sep
}

func leadingDigits(s string) int {
	n := 0
	for n < len(s) && isDigit(s[n]) {
		n++
	}
	return n
}

// safeName turns what the user typed into the name part of a file name.
func safeName(name string) (string, error) {
	var b strings.Builder
	dash := false
	for _, r := range strings.TrimSpace(name) {
		if r == '-' || r == '_' || r == '.' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) {
			if r == '-' {
				if dash {
					continue
				}
				dash = true
			} else {
				dash = false
			}
			b.WriteRune(r)
			continue
		}
		if !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	const trim = "-_."
	s := strings.TrimRight(b.String(), trim)
	for len(s) >= 4 && strings.EqualFold(s[len(s)-4:], ".sql") {
		s = strings.TrimRight(s[:len(s)-4], trim)
	}
	s = strings.TrimLeft(s, trim)
	switch {
	case s == "":
		return "", fmt.Errorf("name %q has no usable characters; use letters, digits, '-', '_' or '.'", name)
	case utf8.RuneCountInString(s) > maxNameLength:
		return "", fmt.Errorf("name %q is %d characters long; the tracking table holds at most %d",
			shorten(s), utf8.RuneCountInString(s), maxNameLength)
	}
	return s, nil
}
