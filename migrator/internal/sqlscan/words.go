package sqlscan

// Words returns the first n unquoted identifier or keyword tokens of s,
// upper-cased (ASCII letters only), skipping comments and every other kind
// of token (literals, quoted identifiers, operators, punctuation). With
// n < 0 it returns all of them. For "create unique index concurrently "i"
// on t (a)" and n = 4 it returns CREATE, UNIQUE, INDEX, CONCURRENTLY.
func Words(s Statement, n int) []string {
	var out []string
	l := lexer{src: s.Text}
	for n < 0 || len(out) < n {
		t, err := l.next()
		if err != nil || t.kind == tokEOF {
			break
		}
		if t.kind == tokWord {
			out = append(out, upperASCII(s.Text[t.start:t.end]))
		}
	}
	return out
}

// firstTokens returns up to n leading tokens of text (comments skipped).
func firstTokens(text string, n int) []token {
	var out []token
	l := lexer{src: text}
	for len(out) < n {
		t, err := l.next()
		if err != nil || t.kind == tokEOF {
			break
		}
		out = append(out, t)
	}
	return out
}
