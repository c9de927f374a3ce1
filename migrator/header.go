package migrator

import (
	"fmt"
	"strings"
	"time"
	"unicode"
)

// knownHeaders are the header names a migration file can carry, each on a
// comment line of its own as '-- pgmig NAME', '-- postgres-migrations NAME'
// or '-- NAME'; the timeout headers take a duration and only the pgmig form:
// '-- pgmig lock-timeout 2s'.
var knownHeaders = []string{"disable-transaction", "disable-hash-check", "lock-timeout", "statement-timeout"}

// valuedHeaders are the headers that take a value (a duration).
var valuedHeaders = map[string]bool{"lock-timeout": true, "statement-timeout": true}

// lintIgnore is the header that lists lint rules to leave out, as
// '-- pgmig lint-ignore RULE[, RULE]': pgmig accepts it anywhere in a file
// and leaves its rule list to the linter, which reads it.
const lintIgnore = "lint-ignore"

// headerTools are the words that introduce a header: pgmig's own and
// postgres-migrations'.
var headerTools = []string{"pgmig", "postgres-migrations"}

// headers are the header flags found in a migration file, and the lines
// that look like headers but are not.
type headers struct {
	disableTransaction bool
	disableHashCheck   bool
	// lockTimeout and statementTimeout are the values of the timeout
	// headers, noTimeout when the file has none.
	lockTimeout, statementTimeout time.Duration
	// problems are lines that look like headers but are not valid ones:
	// unknown names (typos) and postgres-migrations headers that share a
	// line with other text.
	problems []string
}

// parseHeaders finds the disable-transaction and disable-hash-check headers.
// Accepted forms, each alone on a line (surrounding blanks allowed):
//
//	-- pgmig disable-transaction
//	-- postgres-migrations disable-transaction
//	-- disable-transaction
//
// and the same three for disable-hash-check. A comment line that starts
// like a header ('-- pgmig …', '-- postgres-migrations …', or a lone word
// beginning with "disable") but names no known header is a problem, with the
// nearest known header: a typo must not silently run a file inside a
// transaction. postgres-migrations honours its form anywhere in the file;
// where such a header shares a line with other text it is a problem too.
func parseHeaders(src string) headers {
	h := headers{lockTimeout: noTimeout, statementTimeout: noTimeout}
	n := 0
	for line := range strings.Lines(src) {
		n++
		t := strings.TrimSpace(line)
		if words, ok := strings.CutPrefix(t, "--"); ok {
			words = strings.TrimSpace(words)
			if name, ok := headerName(words); ok {
				switch name {
				case "disable-transaction":
					h.disableTransaction = true
				case "disable-hash-check":
					h.disableHashCheck = true
				}
				continue
			}
			if isLintIgnore(words) {
				continue
			}
			if name, value, ok := valuedHeader(words); ok {
				d, err := parseTimeout(value)
				if err != nil {
					h.problems = append(h.problems, fmt.Sprintf("line %d: header %q: %v", n, t, err))
					continue
				}
				if name == "lock-timeout" {
					h.lockTimeout = d
				} else {
					h.statementTimeout = d
				}
				continue
			}
			if f, n := fields(words); n == 2 && f[0] == "pgmig" && f[1] == lintIgnore {
				h.problems = append(h.problems, fmt.Sprintf("line %d: %q names no rule: list the rules it suppresses, as in '-- pgmig %s drop-column'",
					n, t, lintIgnore))
				continue
			}
			if looksLikeHeader(words) {
				h.problems = append(h.problems, fmt.Sprintf("line %d: unknown header %q; did you mean '-- pgmig %s'? (known headers: %s, %s RULE)",
					n, t, nearestHeader(words), strings.Join(knownHeaders, ", "), lintIgnore))
				continue
			}
		}
		if strings.Contains(t, "-- postgres-migrations disable-") {
			h.problems = append(h.problems, fmt.Sprintf("line %d: header %q must stand alone on a comment line, as in '-- pgmig disable-transaction'", n, t))
		}
	}
	return h
}

// headerName returns the header that the words of a comment line (the text
// after "--", trimmed) name exactly.
func headerName(words string) (string, bool) {
	rest := words
	for _, tool := range headerTools {
		if r, ok := strings.CutPrefix(words, tool); ok && r != "" && r[0] == ' ' {
			rest = strings.TrimSpace(r)
			break
		}
	}
	for _, name := range knownHeaders {
		if rest == name {
			return name, true
		}
	}
	return "", false
}

// fields splits the words of a comment line as strings.Fields does, without
// allocating: the first three fields, and how many there are (up to 4,
// which means more than three).
func fields(words string) (f [3]string, n int) {
	for n < 4 {
		words = strings.TrimLeftFunc(words, unicode.IsSpace)
		if words == "" {
			break
		}
		end := strings.IndexFunc(words, unicode.IsSpace)
		if end < 0 {
			end = len(words)
		}
		if n < 3 {
			f[n] = words[:end]
		}
		n++
		words = words[end:]
	}
	return f, n
}

// valuedHeader returns the header and its value when the words of a
// comment line are 'pgmig NAME VALUE' for a header that takes a value.
func valuedHeader(words string) (name, value string, ok bool) {
	f, n := fields(words)
	if n != 3 || f[0] != "pgmig" || !valuedHeaders[f[1]] {
		return "", "", false
	}
	return f[1], f[2], true
}

// isLintIgnore reports whether the words of a comment line are
// 'pgmig lint-ignore' followed by at least one more word.
func isLintIgnore(words string) bool {
	f, n := fields(words)
	return n >= 3 && f[0] == "pgmig" && f[1] == lintIgnore
}

// noTimeout marks a timeout that a file does not set.
const noTimeout time.Duration = -1

// parseTimeout reads the value of a timeout header: a Go duration such as
// 500ms, 2s, 10m or 1h30m, or 0 for no timeout. PostgreSQL counts timeouts
// in whole milliseconds, so a value must be 0 or at least 1ms.
func parseTimeout(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	switch {
	case err != nil:
		return 0, fmt.Errorf("%q is not a duration (write it as 500ms, 2s, 10m or 1h30m)", v)
	case d < 0:
		return 0, fmt.Errorf("the duration %s is negative", v)
	case d > 0 && d < time.Millisecond:
		return 0, fmt.Errorf("the duration %s is below PostgreSQL's resolution of 1ms", v)
	case d > maxTimeout:
		return 0, fmt.Errorf("the duration %s is above PostgreSQL's limit of %s", v, maxTimeout)
	}
	return d, nil
}

// maxTimeout is the longest timeout PostgreSQL takes: INT_MAX milliseconds.
const maxTimeout = 2147483647 * time.Millisecond

// looksLikeHeader reports whether the words of a comment line start like a
// header: the word pgmig or postgres-migrations (any case, followed by a
// blank, a colon or nothing), or a lone word that begins with "disable".
func looksLikeHeader(words string) bool {
	lower := strings.ToLower(words)
	for _, tool := range headerTools {
		if rest, ok := strings.CutPrefix(lower, tool); ok {
			if rest == "" || rest[0] == ' ' || rest[0] == '\t' || rest[0] == ':' {
				return true
			}
		}
	}
	return !strings.ContainsAny(words, " \t") && strings.HasPrefix(lower, "disable")
}

// nearestHeader returns the known header closest to the words of a comment
// line, by edit distance on the last word, with '_' read as '-'.
func nearestHeader(words string) string {
	fields := strings.Fields(strings.ToLower(strings.ReplaceAll(words, "_", "-")))
	last := ""
	if len(fields) > 0 {
		last = strings.TrimLeft(fields[len(fields)-1], ":")
	}
	best, bestDist := knownHeaders[0], -1
	for _, name := range knownHeaders {
		if d := editDistance(last, name); bestDist < 0 || d < bestDist {
			best, bestDist = name, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
