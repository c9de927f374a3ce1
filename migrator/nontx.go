package migrator

import "slices"

// statementWords is how many leading words of a statement the checks below
// look at.
const statementWords = 8

// notInTransaction names the statement whose first words are w when
// PostgreSQL refuses to run it inside a transaction block (CREATE INDEX
// CONCURRENTLY, VACUUM, ...), so that a transactional migration holding it
// can be refused before anything runs. It returns "" for every other one.
func notInTransaction(w []string) string {
	at := func(i int) string {
		if i < len(w) {
			return w[i]
		}
		return ""
	}
	switch at(0) {
	case "VACUUM":
		return "VACUUM"
	case "CREATE":
		switch {
		case at(1) == "INDEX" && at(2) == "CONCURRENTLY",
			at(1) == "UNIQUE" && at(2) == "INDEX" && at(3) == "CONCURRENTLY":
			return "CREATE INDEX CONCURRENTLY"
		case at(1) == "DATABASE", at(1) == "TABLESPACE":
			return "CREATE " + at(1)
		}
	case "DROP":
		switch {
		case at(1) == "INDEX" && at(2) == "CONCURRENTLY":
			return "DROP INDEX CONCURRENTLY"
		case at(1) == "DATABASE", at(1) == "TABLESPACE":
			return "DROP " + at(1)
		}
	case "REINDEX":
		switch {
		case slices.Contains(w[:min(len(w), 6)], "CONCURRENTLY"):
			return "REINDEX CONCURRENTLY"
		case slices.Contains(w[:min(len(w), 6)], "DATABASE"), slices.Contains(w[:min(len(w), 6)], "SYSTEM"):
			return "REINDEX DATABASE/SYSTEM"
		}
	case "ALTER":
		if at(1) == "SYSTEM" {
			return "ALTER SYSTEM"
		}
	}
	return ""
}

// addsEnumValue reports ALTER TYPE ... ADD VALUE (w: the first words),
// which PostgreSQL 12 and later accept in a transaction, but whose new value
// that transaction cannot use yet.
func addsEnumValue(w []string) bool {
	if len(w) < 4 || w[0] != "ALTER" || w[1] != "TYPE" {
		return false
	}
	for i := 2; i+1 < len(w); i++ {
		if w[i] == "ADD" && w[i+1] == "VALUE" {
			return true
		}
	}
	return false
}
