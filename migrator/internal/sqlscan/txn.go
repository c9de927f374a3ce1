package sqlscan

import "strings"

// TransactionControl reports whether s is a transaction control statement
// that a migration file must not contain when pgmig runs the file inside a
// transaction, and its form: "BEGIN", "START TRANSACTION", "COMMIT",
// "COMMIT PREPARED", "END", "ABORT", "ROLLBACK", "ROLLBACK PREPARED" or
// "PREPARE TRANSACTION". SAVEPOINT, RELEASE [SAVEPOINT] and
// ROLLBACK [WORK|TRANSACTION] TO [SAVEPOINT] work inside a transaction and
// are not reported. A statement that starts with BEGIN always counts: a
// PL/pgSQL block lives inside a string, and a BEGIN ATOMIC body belongs to a
// CREATE statement, so neither starts a top-level statement.
func TransactionControl(s Statement) (form string, ok bool) {
	var buf [3]token
	toks := firstTokens(s.Text, buf[:])
	word := func(i int) string {
		if i < len(toks) && toks[i].kind == tokWord {
			return txnWord(s.Text[toks[i].start:toks[i].end])
		}
		return ""
	}
	switch w := word(0); w {
	case "BEGIN", "END", "ABORT":
		return w, true
	case "START":
		if word(1) == "TRANSACTION" {
			return "START TRANSACTION", true
		}
	case "COMMIT":
		if word(1) == "PREPARED" {
			return "COMMIT PREPARED", true
		}
		return "COMMIT", true
	case "ROLLBACK":
		next := word(1)
		if next == "WORK" || next == "TRANSACTION" {
			next = word(2)
		}
		switch next {
		case "TO":
			return "", false
		case "PREPARED":
			return "ROLLBACK PREPARED", true
		}
		return "ROLLBACK", true
	case "PREPARE":
		// PREPARE TRANSACTION 'id', unlike PREPARE transaction AS … (a
		// prepared statement that happens to be named "transaction").
		if word(1) == "TRANSACTION" && word(2) != "AS" &&
			!(len(toks) > 2 && s.Text[toks[2].start:toks[2].end] == "(") {
			return "PREPARE TRANSACTION", true
		}
	}
	return "", false
}

// txnWords are the words TransactionControl looks for.
var txnWords = []string{"ABORT", "AS", "BEGIN", "COMMIT", "END", "PREPARE", "PREPARED", "ROLLBACK", "START", "TO", "TRANSACTION", "WORK"}

// txnWord returns w upper-cased when it is one of txnWords, else "?":
// without allocating, since every statement of every file goes through it.
func txnWord(w string) string {
	for _, kw := range txnWords {
		if len(w) == len(kw) && strings.EqualFold(w, kw) {
			return kw
		}
	}
	return "?"
}
