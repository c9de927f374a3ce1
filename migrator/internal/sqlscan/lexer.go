package sqlscan

import "strings"

// tokKind classifies a token.
type tokKind int

const (
	tokEOF    tokKind = iota
	tokWord           // unquoted identifier or keyword
	tokNumber         // numeric literal (with any trailing junk the server would reject)
	tokString         // any string literal, including dollar-quoted ones
	tokQIdent         // quoted identifier
	tokParam          // $1
	tokSemi           // ;
	tokOther          // any other single character: operators, punctuation
)

// token is one lexical token: src[start:end].
type token struct {
	kind       tokKind
	start, end int
}

// lexer produces the tokens of a source text, skipping whitespace and
// comments.
type lexer struct {
	src string
	pos int
	// metas, when not nil, collects the psql meta-commands skipped.
	metas *[]span
}

// span is src[start:end].
type span struct{ start, end int }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// isIdentStart reports whether c may start an identifier (or a dollar-quote
// tag). Like the server, every byte of a multi-byte character counts as a letter.
func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c >= 0x80
}

// isIdentCont reports whether c may continue an identifier.
func isIdentCont(c byte) bool { return isIdentStart(c) || isDigit(c) || c == '$' }

// isTagCont reports whether c may continue a dollar-quote tag.
func isTagCont(c byte) bool { return isIdentStart(c) || isDigit(c) }

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// at returns src[i], or 0 past the end.
func (l *lexer) at(i int) byte {
	if i < len(l.src) {
		return l.src[i]
	}
	return 0
}

// next returns the next token, or a *ScanError with only Offset and What set.
func (l *lexer) next() (token, *ScanError) {
	src := l.src
	for {
		for l.pos < len(src) && isSpace(src[l.pos]) {
			l.pos++
		}
		if l.pos >= len(src) {
			return token{kind: tokEOF, start: l.pos, end: l.pos}, nil
		}
		if src[l.pos] == '-' && l.at(l.pos+1) == '-' {
			l.pos = lineCommentEnd(src, l.pos)
			continue
		}
		if src[l.pos] == '\\' {
			// A psql meta-command (\connect, \restrict, ...) runs to the end
			// of its line. PostgreSQL has no operator with a backslash, so
			// outside quotes and comments one can only start such a command.
			end := lineCommentEnd(src, l.pos)
			if l.metas != nil {
				*l.metas = append(*l.metas, span{l.pos, end})
			}
			l.pos = end
			continue
		}
		if src[l.pos] == '/' && l.at(l.pos+1) == '*' {
			end, err := blockCommentEnd(src, l.pos)
			if err != nil {
				return token{}, err
			}
			l.pos = end
			continue
		}
		break
	}
	start := l.pos
	kind, end, err := l.scanToken(start)
	if err != nil {
		return token{}, err
	}
	l.pos = end
	return token{kind: kind, start: start, end: end}, nil
}

// scanToken scans the token that starts at i (not whitespace or a comment).
func (l *lexer) scanToken(i int) (tokKind, int, *ScanError) {
	src := l.src
	c := src[i]
	switch {
	case c == '\'':
		return l.str(i, i, false, "unterminated quoted string")
	case c == '"':
		return l.qident(i, i)
	case c == '$':
		return l.dollar(i)
	case c == ';':
		return tokSemi, i + 1, nil
	case isIdentStart(c):
		return l.word(i)
	case isDigit(c) || c == '.' && isDigit(l.at(i+1)):
		return tokNumber, l.number(i), nil
	}
	return tokOther, i + 1, nil
}

// word scans an identifier, or a string or quoted identifier with a letter
// prefix (E'…', B'…', X'…', N'…', U&'…', U&"…").
func (l *lexer) word(i int) (tokKind, int, *ScanError) {
	src := l.src
	switch c, n := src[i]|0x20, l.at(i+1); {
	case n == '\'' && c == 'e':
		return l.str(i, i+1, true, "unterminated quoted string")
	case n == '\'' && c == 'b':
		return l.str(i, i+1, false, "unterminated bit string literal")
	case n == '\'' && c == 'x':
		return l.str(i, i+1, false, "unterminated hexadecimal string literal")
	case n == '\'' && c == 'n':
		return l.str(i, i+1, false, "unterminated quoted string")
	case n == '&' && c == 'u' && l.at(i+2) == '\'':
		return l.str(i, i+2, false, "unterminated quoted string")
	case n == '&' && c == 'u' && l.at(i+2) == '"':
		return l.qident(i, i+2)
	}
	j := i + 1
	for j < len(src) && isIdentCont(src[j]) {
		j++
	}
	return tokWord, j, nil
}

// number scans a numeric literal at i together with any identifier that
// immediately follows it: since PostgreSQL 15 such "trailing junk" is part of
// the same (invalid) token, so 1e'x' is not an E'…' string.
func (l *lexer) number(i int) int {
	src := l.src
	for i < len(src) && (isDigit(src[i]) || src[i] == '_' || src[i] == '.') {
		i++
	}
	if i < len(src) && isIdentStart(src[i]) {
		for i < len(src) && isIdentCont(src[i]) {
			i++
		}
	}
	return i
}

// str scans a string literal that starts at start (at its prefix, if any)
// and whose opening quote is at q. With escapes, a backslash escapes the next
// byte (E'…' strings). A string continues after a closing quote when only
// whitespace holding a newline (and -- comments) separates it from another quote.
func (l *lexer) str(start, q int, escapes bool, what string) (tokKind, int, *ScanError) {
	src := l.src
	stops := "'"
	if escapes {
		stops = `'\`
	}
	i := q + 1
	for {
		k := strings.IndexAny(src[i:], stops)
		if k < 0 {
			return 0, 0, &ScanError{Offset: start, What: what}
		}
		i += k
		if src[i] == '\\' {
			i += 2
			if i > len(src) {
				return 0, 0, &ScanError{Offset: start, What: what}
			}
			continue
		}
		i++ // past the quote
		if l.at(i) == '\'' {
			i++ // doubled quote
			continue
		}
		next, ok := quoteContinuation(src, i)
		if !ok {
			return tokString, i, nil
		}
		i = next + 1
	}
}

// quoteContinuation reports whether the string literal that ended at i
// continues: whitespace containing a newline, possibly with -- comments, and
// then a quote, whose offset it returns.
func quoteContinuation(src string, i int) (int, bool) {
	newline := false
	for i < len(src) {
		switch c := src[i]; {
		case c == '\n' || c == '\r':
			newline = true
			i++
		case c == ' ' || c == '\t' || c == '\f' || c == '\v':
			i++
		case c == '-' && i+1 < len(src) && src[i+1] == '-':
			i = lineCommentEnd(src, i)
		case c == '\'' && newline:
			return i, true
		default:
			return 0, false
		}
	}
	return 0, false
}

// qident scans a quoted identifier that starts at start and whose opening
// double quote is at q.
func (l *lexer) qident(start, q int) (tokKind, int, *ScanError) {
	src := l.src
	i := q + 1
	for {
		k := strings.IndexByte(src[i:], '"')
		if k < 0 {
			return 0, 0, &ScanError{Offset: start, What: "unterminated quoted identifier"}
		}
		i += k + 1
		if l.at(i) != '"' {
			return tokQIdent, i, nil
		}
		i++
	}
}

// dollar scans a token that starts with '$': a parameter ($1), a
// dollar-quoted string, or a lone '$'.
func (l *lexer) dollar(i int) (tokKind, int, *ScanError) {
	src := l.src
	j := i + 1
	if isDigit(l.at(j)) {
		for j < len(src) && isDigit(src[j]) {
			j++
		}
		if j < len(src) && isIdentStart(src[j]) { // $1abc: junk, one token
			for j < len(src) && isIdentCont(src[j]) {
				j++
			}
		}
		return tokParam, j, nil
	}
	if j < len(src) && isIdentStart(src[j]) {
		for j < len(src) && isTagCont(src[j]) {
			j++
		}
	}
	if l.at(j) != '$' {
		return tokOther, i + 1, nil
	}
	delim := src[i : j+1]
	k := strings.Index(src[j+1:], delim)
	if k < 0 {
		return 0, 0, &ScanError{Offset: i, What: "unterminated dollar-quoted string " + delim}
	}
	return tokString, j + 1 + k + len(delim), nil
}

// lineCommentEnd returns the end of the -- comment at i: the next line break
// or the end of src.
func lineCommentEnd(src string, i int) int {
	k := strings.IndexAny(src[i:], "\n\r")
	if k < 0 {
		return len(src)
	}
	return i + k
}

// blockCommentEnd returns the offset just past the (nesting) /* comment at i.
func blockCommentEnd(src string, i int) (int, *ScanError) {
	depth := 0
	j := i
	for {
		k := strings.IndexAny(src[j:], "/*")
		if k < 0 {
			return 0, &ScanError{Offset: i, What: "unterminated /* comment"}
		}
		j += k
		switch {
		case src[j] == '/' && j+1 < len(src) && src[j+1] == '*':
			depth++
			j += 2
		case src[j] == '*' && j+1 < len(src) && src[j+1] == '/':
			depth--
			j += 2
			if depth == 0 {
				return j, nil
			}
		default:
			j++
		}
	}
}
