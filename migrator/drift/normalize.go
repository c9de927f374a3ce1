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

// topFrom matches the one FROM item of a query over a single table, view
// or WITH query, with or without an alias, at the end of a line or of the
// query; group 2 is the alias, else group 1 ends with the name.
var topFrom = regexp.MustCompile(`(?m)\bFROM ((?:(?:"(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)\.)?("(?:[^"]|"")+"|[a-z_][a-z0-9_$]*))(?: ("(?:[^"]|"")+"|[a-z_][a-z0-9_$]*))?;?$`)

// setOperation matches what makes a query read more than one FROM list.
var setOperation = regexp.MustCompile(`\b(UNION|INTERSECT|EXCEPT|JOIN)\b`)

// normalizeViewDef returns a view's query as compared. PostgreSQL 16 and
// later print the columns of a query that reads one table, view or WITH
// query without qualifying them (SELECT id FROM app.orders), 15 and
// earlier qualify them with the table's name or alias (SELECT orders.id
// FROM app.orders); subqueries are printed qualified by both. In such a
// query the qualification of the top level is dropped.
func normalizeViewDef(s string) string {
	s = strings.TrimSpace(s)
	masked := maskNested(s)
	if strings.Count(masked, "FROM ") != 1 || setOperation.MatchString(masked) {
		return s
	}
	m := topFrom.FindStringSubmatch(masked)
	if m == nil {
		return s
	}
	qualifier := m[2]
	if m[3] != "" {
		qualifier = m[3]
	}
	return stripQualifier(s, masked, qualifier+".")
}

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

// stripQualifier removes prefix (a relation name or alias and a dot) where
// it qualifies a column at the top level of the query (where masked, from
// maskNested, is not blank): not after another name and a dot
// (schema.name stays).
func stripQualifier(s, masked, prefix string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if masked[i] == s[i] && strings.HasPrefix(s[i:], prefix) && masked[i:i+len(prefix)] == prefix &&
			(i == 0 || !isIdentChar(s[i-1]) && s[i-1] != '.' && s[i-1] != '"') {
			i += len(prefix) - 1
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// isIdentChar reports whether c can be part of an unquoted identifier.
func isIdentChar(c byte) bool {
	return c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}
