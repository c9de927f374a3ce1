package sqlscan

import "strings"

// Statement is one top-level SQL statement of a source text.
type Statement struct {
	// Text runs from the statement's first token (leading whitespace and
	// comments skipped) to the end of its last token: it has no terminating
	// ';', no trailing whitespace and no trailing comments; comments between
	// its tokens are kept.
	Text    string
	Offset  int    // byte offset of Text in the source
	Line    int    // 1-based line of Offset
	Column  int    // 1-based column, in runes, of Offset
	Keyword string // first keyword, upper-case ("CREATE"); "" if the statement starts with another token
}

// MetaCommand is a psql meta-command (a line such as \connect db or
// \restrict KEY) at the top level of a source text. PostgreSQL does not
// know them: only psql does.
type MetaCommand struct {
	Text   string // from the backslash to the end of the line
	Name   string // the command without its backslash: "connect", "restrict"
	Offset int    // byte offset of the backslash in the source
	Line   int    // 1-based line
	Column int    // 1-based column, in runes
}

// Split splits src into top-level statements, in order. Statements that
// hold no token (only whitespace, comments or ';') are dropped; the last
// statement need not end with ';'. A leading UTF-8 byte order mark is
// skipped, and so are psql meta-commands (see [SplitScript]). For an
// unterminated quoted string, quoted identifier, dollar-quoted string or
// block comment, Split returns nil and a *ScanError naming where the
// construct started.
func Split(src string) ([]Statement, error) {
	stmts, _, err := split(src, false)
	return stmts, err
}

// SplitScript is [Split] that also returns the psql meta-commands of src,
// in order. A meta-command runs from a backslash outside quotes and
// comments to the end of its line and belongs to no statement.
func SplitScript(src string) ([]Statement, []MetaCommand, error) {
	return split(src, true)
}

func split(src string, withMeta bool) ([]Statement, []MetaCommand, error) {
	l := lexer{src: src, pos: bomLen(src)}
	var spans []span
	if withMeta {
		l.metas = &spans
	}
	pos := position{line: 1, col: 1, off: l.pos}
	var out []Statement
	var metas []MetaCommand
	// flushMetas turns the spans collected up to offset upTo into commands;
	// pos only moves forward, so they are taken in source order.
	flushMetas := func(upTo int) {
		for len(spans) > 0 && spans[0].start < upTo {
			sp := spans[0]
			spans = spans[1:]
			pos.advance(src, sp.start)
			text := src[sp.start:sp.end]
			name := text[1:]
			if i := strings.IndexAny(name, " \t\f\v"); i >= 0 {
				name = name[:i]
			}
			metas = append(metas, MetaCommand{Text: text, Name: name, Offset: sp.start, Line: pos.line, Column: pos.col})
		}
	}
	var st splitState
	st.reset()
	for {
		t, err := l.next()
		if err != nil {
			err.Line, err.Column = LineCol(src, err.Offset)
			return nil, nil, err
		}
		if t.kind == tokEOF || t.kind == tokSemi && st.parens == 0 && st.begins == 0 {
			if st.start >= 0 {
				flushMetas(st.start)
				pos.advance(src, st.start)
				out = append(out, Statement{
					Text:    src[st.start:st.end],
					Offset:  st.start,
					Line:    pos.line,
					Column:  pos.col,
					Keyword: st.keyword,
				})
			}
			flushMetas(t.end + 1)
			if t.kind == tokEOF {
				flushMetas(len(src) + 1)
				return out, metas, nil
			}
			st.reset()
			continue
		}
		st.add(src, t)
	}
}

// splitState is what Split knows about the statement being scanned. It
// mirrors psql: parentheses and, in CREATE [OR REPLACE] FUNCTION|PROCEDURE
// statements, BEGIN/CASE … END blocks keep ';' from ending the statement.
type splitState struct {
	start, end int    // extent of the tokens so far; start < 0 if none
	keyword    string // upper-cased first token if it is a word
	parens     int    // open parentheses
	begins     int    // open BEGIN and CASE blocks
	words      int    // number of words seen
	lead       [4]byte
}

func (st *splitState) reset() { *st = splitState{start: -1} }

// add accounts for token t of the current statement.
func (st *splitState) add(src string, t token) {
	text := src[t.start:t.end]
	if st.start < 0 {
		st.start = t.start
		if t.kind == tokWord {
			st.keyword = upperASCII(text)
		}
	}
	st.end = t.end
	switch t.kind {
	case tokOther:
		switch text {
		case "(":
			st.parens++
		case ")":
			if st.parens > 0 {
				st.parens--
			}
		}
	case tokWord:
		st.word(text)
	}
}

// word tracks the words of the statement the way psql does: it remembers
// the initials of leading CREATE, OR, REPLACE, FUNCTION and PROCEDURE words,
// and in a routine definition counts BEGIN and CASE (inside BEGIN) against END.
func (st *splitState) word(w string) {
	if st.words < len(st.lead) {
		for _, kw := range [...]string{"create", "function", "procedure", "or", "replace"} {
			if equalFoldASCII(w, kw) {
				st.lead[st.words] = kw[0]
			}
		}
	}
	st.words++
	l := st.lead
	routine := l[0] == 'c' && (l[1] == 'f' || l[1] == 'p' ||
		l[1] == 'o' && l[2] == 'r' && (l[3] == 'f' || l[3] == 'p'))
	if !routine || st.parens != 0 {
		return
	}
	switch {
	case equalFoldASCII(w, "begin"):
		st.begins++
	case equalFoldASCII(w, "case"):
		if st.begins > 0 {
			st.begins++
		}
	case equalFoldASCII(w, "end"):
		if st.begins > 0 {
			st.begins--
		}
	}
}

// upperASCII upper-cases the ASCII letters of s, as PostgreSQL does for keywords.
func upperASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'a' && c <= 'z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'a' && b[j] <= 'z' {
					b[j] -= 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// equalFoldASCII reports whether s equals the lower-case ASCII word kw,
// ignoring ASCII case only.
func equalFoldASCII(s, kw string) bool {
	if len(s) != len(kw) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != kw[i] {
			return false
		}
	}
	return true
}
