package drift

import (
	"regexp"
	"strings"
)

// Where PostgreSQL 12 to 18 print the same object differently, the
// definitions are normalised to one form here, each rule tested by the
// cross-version tests (TestCrossVersion*).

// normalizeExpr returns an expression or constraint definition as
// compared: as PostgreSQL printed it, trimmed.
func normalizeExpr(s string) string {
	return strings.TrimSpace(s)
}

// procedureInArg matches the IN mode that PostgreSQL 14 and later print
// before each input argument of a procedure (13 and earlier print none).
var procedureInArg = regexp.MustCompile(`([(,] ?)IN `)

// normalizeProcedureArgs drops the IN modes of a procedure's argument list.
func normalizeProcedureArgs(s string) string {
	return procedureInArg.ReplaceAllString(s, "$1")
}

// normalizeFunctionDef returns a function's CREATE statement as compared;
// for a procedure, its first line without IN modes.
func normalizeFunctionDef(kind Kind, s string) string {
	s = strings.TrimSpace(s)
	if kind != KindProcedure {
		return s
	}
	head, rest, _ := strings.Cut(s, "\n")
	if rest == "" {
		return normalizeProcedureArgs(head)
	}
	return normalizeProcedureArgs(head) + "\n" + rest
}

// normalizeViewDef returns a view's query as compared. PostgreSQL 16 and
// later print the columns of a query whose top level reads a single FROM
// item (a table, view, WITH query, function, VALUES list or subquery)
// without qualifying them (SELECT id FROM app.orders), 15 and earlier
// qualify them with the item's name or alias (SELECT orders.id FROM
// app.orders); subqueries (in FROM, WITH or expressions) are printed
// qualified by both. In such a query the qualification of the top level is
// dropped.
func normalizeViewDef(s string) string {
	s = strings.TrimSpace(s)
	masked := maskNested(s)
	top := topLevel(masked)
	var froms []int
	for _, w := range words(masked, top) {
		switch w.text {
		case "UNION", "INTERSECT", "EXCEPT":
			return s // set operations: each arm is printed qualified
		case "FROM":
			if !strings.HasSuffix(strings.TrimRight(masked[:w.start], " \n"), "ROWS") {
				froms = append(froms, w.end)
			}
		}
	}
	if len(froms) != 1 {
		return s
	}
	itemEnd := len(s)
	for _, w := range words(masked[froms[0]:], top[froms[0]:]) {
		if w.text == "JOIN" {
			return s
		}
		if clauseEnd[w.text] {
			itemEnd = froms[0] + w.start
			break
		}
	}
	item := s[froms[0]:itemEnd]
	for i := froms[0]; i < itemEnd; i++ {
		if top[i] && masked[i] == ',' {
			return s // more than one FROM item
		}
	}
	name := refName(item, masked[froms[0]:itemEnd])
	if name == "" {
		return s
	}
	return stripQualifier(s, masked, name+".", froms[0], itemEnd)
}

// clauseEnd holds the keywords that end a FROM clause at the top level.
var clauseEnd = map[string]bool{"WHERE": true, "GROUP": true, "HAVING": true, "WINDOW": true,
	"ORDER": true, "LIMIT": true, "OFFSET": true, "FETCH": true, "FOR": true}

// word is an unquoted word at the top level of a query: its text and
// where it starts and ends.
type word struct {
	text       string
	start, end int
}

// words returns the upper-case words of masked (PostgreSQL prints
// keywords in upper case, names in lower case or quoted) that are at the
// top level (where top is true).
func words(masked string, top []bool) []word {
	var out []word
	for i := 0; i < len(masked); {
		if !top[i] || !(masked[i] >= 'A' && masked[i] <= 'Z') || i > 0 && (isIdentChar(masked[i-1]) || masked[i-1] == '"' || masked[i-1] == '.') {
			i++
			continue
		}
		j := i
		for j < len(masked) && isIdentChar(masked[j]) {
			j++
		}
		if strings.ToUpper(masked[i:j]) == masked[i:j] {
			out = append(out, word{masked[i:j], i, j})
		}
		i = j
	}
	return out
}

// topLevel reports for each byte of masked whether it is outside every
// parenthesis and quoted name.
func topLevel(masked string) []bool {
	top := make([]bool, len(masked))
	depth, quoted := 0, false
	for i := 0; i < len(masked); i++ {
		c := masked[i]
		switch {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '(':
			depth++
		case c == ')':
			depth--
		}
		top[i] = depth == 0 && !quoted && c != '"'
	}
	return top
}

// refName returns the name by which 15 and earlier qualify the columns of
// a single FROM item: its alias (the name before a column alias list, or
// the last word), else the relation's name without its schema; "" when it
// cannot tell.
func refName(item, masked string) string {
	if i := strings.Index(masked, " TABLESAMPLE "); i >= 0 {
		item, masked = item[:i], masked[:i]
	}
	item = strings.TrimRight(item, " \n;")
	masked = masked[:len(item)]
	if strings.HasSuffix(masked, ")") {
		// alias(column, ...): drop the column list.
		depth := 0
		for i := len(masked) - 1; i >= 0; i-- {
			switch masked[i] {
			case ')':
				depth++
			case '(':
				depth--
			}
			if depth == 0 {
				item, masked = item[:i], masked[:i]
				break
			}
		}
		if !lastName.MatchString(item) || !strings.HasSuffix(strings.TrimRight(item[:len(item)-len(lastName.FindString(item))], "."), " ") {
			return "" // a function call without an alias
		}
	}
	m := lastName.FindString(item)
	if m == "" || strings.ToUpper(m) == m && m[0] != '"' {
		return ""
	}
	return m
}

// lastName matches the name at the end of a FROM item.
var lastName = regexp.MustCompile(`("(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)$`)

// maskNested returns s with string literals, quoted identifiers kept, and
// the text of every parenthesised subquery (a parenthesis followed by
// SELECT, WITH or VALUES) replaced by spaces, so that what remains is the
// top level of the query.
func maskNested(s string) string {
	b := []byte(s)
	var stack []bool // per open parenthesis: does it hold a subquery
	nested := 0      // open subquery parentheses
	inString := false
	for i := 0; i < len(b); i++ {
		c := s[i]
		switch {
		case inString:
			if c == '\'' {
				inString = false
			}
			b[i] = ' '
			continue
		case c == '\'':
			inString = true
			b[i] = ' '
			continue
		case c == '(':
			rest := strings.TrimLeft(s[i+1:], " \n")
			sub := strings.HasPrefix(rest, "SELECT") || strings.HasPrefix(rest, "WITH") || strings.HasPrefix(rest, "VALUES")
			stack = append(stack, sub)
			if sub {
				nested++
				if nested == 1 {
					continue // the parenthesis itself stays
				}
			}
		case c == ')' && len(stack) > 0:
			if stack[len(stack)-1] {
				nested--
			}
			stack = stack[:len(stack)-1]
		}
		if nested > 0 {
			b[i] = ' '
		}
	}
	return string(b)
}

// stripQualifier removes prefix (a FROM item's name or alias and a dot)
// where it qualifies a column at the top level of the query (where
// masked, from maskNested, is not blank) outside the FROM item itself
// (from to end): not after another name and a dot (schema.name stays), a
// cast (::), or before a function's name or a whole row (alias.*).
func stripQualifier(s, masked, prefix string, from, end int) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if (i < from || i >= end) && masked[i] == s[i] && strings.HasPrefix(s[i:], prefix) && masked[i:i+len(prefix)] == prefix &&
			(i == 0 || !isIdentChar(s[i-1]) && s[i-1] != '.' && s[i-1] != '"' && s[i-1] != ':') && isColumn(s[i+len(prefix):]) {
			i += len(prefix) - 1
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// isColumn reports whether rest, the text after a qualifier, starts with
// a column name (not a function call or *).
func isColumn(rest string) bool {
	n := len(firstName.FindString(rest))
	return n > 0 && (n == len(rest) || rest[n] != '(')
}

// firstName matches the name at the start of a text.
var firstName = regexp.MustCompile(`^("(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)`)

// isIdentChar reports whether c can be part of an unquoted identifier.
func isIdentChar(c byte) bool {
	return c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}
