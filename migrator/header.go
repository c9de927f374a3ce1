package migrator

import (
	"strings"
)

// Header flags a migration file can carry, each on a comment line of its own.
type headers struct {
	disableTransaction bool
	disableHashCheck   bool
	// misplaced holds postgres-migrations headers found somewhere other
	// than on a line of their own.
	misplaced []string
}

var headerPrefixes = []string{"pgmig ", "postgres-migrations ", ""}

// parseHeaders finds the disable-transaction and disable-hash-check headers.
// Accepted forms, each alone on a line (surrounding blanks allowed):
//
//	-- pgmig disable-transaction
//	-- postgres-migrations disable-transaction
//	-- disable-transaction
//
// and the same three for disable-hash-check. postgres-migrations honours its
// form anywhere in the file; where such a header shares a line with other
// text it is reported as misplaced rather than silently ignored.
func parseHeaders(src string) headers {
	var h headers
	for line := range strings.Lines(src) {
		t := strings.TrimSpace(line)
		if words, ok := strings.CutPrefix(t, "--"); ok {
			words = strings.TrimSpace(words)
			matched := false
			for _, p := range headerPrefixes {
				switch words {
				case p + "disable-transaction":
					h.disableTransaction, matched = true, true
				case p + "disable-hash-check":
					h.disableHashCheck, matched = true, true
				}
			}
			if matched {
				continue
			}
		}
		if i := strings.Index(t, "-- postgres-migrations disable-"); i >= 0 {
			h.misplaced = append(h.misplaced, t)
		}
	}
	return h
}
