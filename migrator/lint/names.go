package lint

import (
	"strconv"
	"strings"
)

// quoteIdent quotes an identifier when it would not read back as itself
// unquoted.
func quoteIdent(s string) string {
	plain := s != ""
	for i, r := range s {
		if !(r >= 'a' && r <= 'z' || r == '_' || i > 0 && (r >= '0' && r <= '9' || r == '$')) {
			plain = false
			break
		}
	}
	if plain {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

func itoa(i int) string { return strconv.Itoa(i) }
