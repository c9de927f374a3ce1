package migrator

import (
	"fmt"
	"strconv"
	"strings"
)

// maxNameLength is the width of the name column of the tracking table.
const maxNameLength = 100

// maxID is the largest id the integer id column can hold.
const maxID = 1<<31 - 1

// parsedName is what a migration file name says about the migration.
type parsedName struct {
	ID   int
	Name string // value of the name column
}

// isMigrationFile reports whether a file name is a migration: it ends in
// .sql, in any case.
func isMigrationFile(file string) bool {
	return len(file) > 4 && strings.EqualFold(file[len(file)-4:], ".sql")
}

// isJSMigration reports whether a name looks like a postgres-migrations
// JavaScript migration (digits, then anything, ending in .js).
func isJSMigration(file string) bool {
	if len(file) < 4 || !strings.EqualFold(file[len(file)-3:], ".js") {
		return false
	}
	return file[0] >= '0' && file[0] <= '9'
}

// parseFileName derives id and name from a migration file name:
// digits (the id), an optional single '-' or '_', the name part, ".sql".
// An empty name part stores the whole file name, as postgres-migrations does.
func parseFileName(file string) (parsedName, error) {
	if !isMigrationFile(file) {
		return parsedName{}, fmt.Errorf("not a .sql file")
	}
	stem := file[:len(file)-4]
	if strings.HasPrefix(stem, "-") && len(stem) > 1 && isDigit(stem[1]) {
		return parsedName{}, fmt.Errorf("negative id: migration ids start at 1")
	}
	digits := 0
	for digits < len(stem) && isDigit(stem[digits]) {
		digits++
	}
	if digits == 0 {
		return parsedName{}, fmt.Errorf("name must begin with an integer id, as in 0001_create-users.sql")
	}
	id, err := strconv.ParseUint(stem[:digits], 10, 64)
	if err != nil || id > maxID {
		return parsedName{}, fmt.Errorf("id %s is too large (at most %d)", stem[:digits], maxID)
	}
	rest := stem[digits:]
	if rest != "" && (rest[0] == '-' || rest[0] == '_') {
		rest = rest[1:]
	}
	name := rest
	if name == "" {
		name = file
	}
	if n := len([]rune(name)); n > maxNameLength {
		return parsedName{}, fmt.Errorf("name %q is %d characters long; the tracking table holds at most %d", shorten(name), n, maxNameLength)
	}
	return parsedName{ID: int(id), Name: name}, nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func shorten(s string) string {
	r := []rune(s)
	if len(r) <= 40 {
		return s
	}
	return string(r[:37]) + "..."
}
