package sqlscan

import (
	"strings"
	"unsafe"
)

// Words returns the first n unquoted identifier or keyword tokens of s,
// upper-cased (ASCII letters only), skipping comments and every other kind
// of token (literals, quoted identifiers, operators, punctuation). With
// n < 0 it returns all of them. For "create unique index concurrently "i"
// on t (a)" and n = 4 it returns CREATE, UNIQUE, INDEX, CONCURRENTLY.
func Words(s Statement, n int) []string {
	var stack [16]token // the usual n fits: no allocation for the spans
	spans := stack[:0]
	size := 0
	l := lexer{src: s.Text}
	for n < 0 || len(spans) < n {
		t, err := l.next()
		if err != nil || t.kind == tokEOF {
			break
		}
		if t.kind == tokWord {
			spans = append(spans, t)
			size += t.end - t.start
		}
	}
	if len(spans) == 0 {
		return nil
	}
	// One upper-cased copy of all the words, which the results slice.
	buf := make([]byte, 0, size)
	for _, t := range spans {
		for i := t.start; i < t.end; i++ {
			c := s.Text[i]
			if c >= 'a' && c <= 'z' {
				c -= 'a' - 'A'
			}
			buf = append(buf, c)
		}
	}
	text := unsafe.String(unsafe.SliceData(buf), len(buf)) // buf is not written again
	out := make([]string, len(spans))
	off := 0
	for i, t := range spans {
		out[i] = text[off : off+t.end-t.start]
		off += t.end - t.start
	}
	return out
}

// firstTokens returns up to len(buf) leading tokens of text (comments
// skipped), in buf.
func firstTokens(text string, buf []token) []token {
	out := buf[:0]
	l := lexer{src: text}
	for len(out) < len(buf) {
		t, err := l.next()
		if err != nil || t.kind == tokEOF {
			break
		}
		out = append(out, t)
	}
	return out
}

// ConcurrentIndex returns, for CREATE [UNIQUE] INDEX CONCURRENTLY [IF NOT
// EXISTS] name ON [ONLY] table ..., the index name (unquoted and folded as
// PostgreSQL does) and the table as written (a regclass literal's text),
// so that an invalid index the statement left behind can be found. ok is
// false for other statements and for an index without a name.
func ConcurrentIndex(s Statement) (index, table string, ok bool) {
	var buf [20]token
	toks := firstTokens(s.Text, buf[:])
	i := 0
	word := func(w string) bool {
		if i < len(toks) && toks[i].kind == tokWord && equalFoldASCII(s.Text[toks[i].start:toks[i].end], w) {
			i++
			return true
		}
		return false
	}
	if !word("create") {
		return "", "", false
	}
	word("unique")
	if !word("index") || !word("concurrently") {
		return "", "", false
	}
	if word("if") && !(word("not") && word("exists")) {
		return "", "", false
	}
	if i >= len(toks) || toks[i].kind != tokWord && toks[i].kind != tokQIdent || word("on") {
		return "", "", false
	}
	index = identifier(s.Text[toks[i].start:toks[i].end], toks[i].kind)
	i++
	if !word("on") {
		return "", "", false
	}
	word("only")
	name := func() bool { return i < len(toks) && (toks[i].kind == tokWord || toks[i].kind == tokQIdent) }
	if !name() {
		return "", "", false
	}
	start := i
	i++
	for i+1 < len(toks) && toks[i].kind == tokOther && s.Text[toks[i].start:toks[i].end] == "." {
		i++
		if !name() {
			return "", "", false
		}
		i++
	}
	return index, s.Text[toks[start].start:toks[i-1].end], true
}

// identifier returns the name an identifier token stands for: a quoted
// one without its quotes, an unquoted one in lower case.
func identifier(text string, kind tokKind) string {
	if kind == tokQIdent && len(text) >= 2 && text[0] == '"' {
		return strings.ReplaceAll(text[1:len(text)-1], `""`, `"`)
	}
	return strings.ToLower(text)
}
