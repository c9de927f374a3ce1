package lint

import (
	"strconv"
	"strings"
)

// quoteIdent quotes an identifier when it would not read back as itself
// unquoted: upper case or other characters, or a keyword that PostgreSQL
// does not accept as a table or column name (order, user, ...).
func quoteIdent(s string) string {
	plain := s != "" && !reservedWords[s]
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

// reservedWords are PostgreSQL's reserved and type-or-function-name
// keywords (kwlist.h): as a table or column name they must be quoted.
// TestQuoteIdentKeywords checks the list against the parser's.
var reservedWords = map[string]bool{}

func init() {
	for w := range strings.FieldsSeq(`all analyse analyze and any array as asc asymmetric authorization binary both
		case cast check collate collation column concurrently constraint create cross current_catalog current_date
		current_role current_schema current_time current_timestamp current_user default deferrable desc distinct do
		else end except false fetch for foreign freeze from full grant group having ilike in initially inner intersect
		into is isnull join lateral leading left like limit localtime localtimestamp natural not notnull null offset on
		only or order outer overlaps placing primary references returning right select session_user similar some
		symmetric system_user table tablesample then to trailing true union unique user using variadic verbose when
		where window with`) {
		reservedWords[w] = true
	}
}
