package lint

import (
	"strings"
)

// ignoreComment is one '-- pgmig lint-ignore RULE[, RULE]' line of a file.
type ignoreComment struct {
	Line  int      // 1-based line of the comment
	Rules []string // the rule ids it names, in order, without duplicates
	// Target is the line of the first statement line after the block of
	// comment lines that holds the comment: the comment applies to the
	// statement that starts there. 0 when a blank line or the end of the
	// file follows the block: then, before the first statement, the
	// comment is a file header; elsewhere it applies to nothing.
	Target int
}

// parseIgnores finds the lint-ignore comments of src. A comment line is
// a line whose first non-blank characters are "--"; the form is
// '-- pgmig lint-ignore' followed by rule ids separated by commas or
// blanks, and optionally by "--" and a reason, which is not read. A
// line with the form but no rule id is returned with no rules.
func parseIgnores(src string) []ignoreComment {
	var (
		out     []ignoreComment
		pending []int // indexes into out waiting for the end of their block
		n       int
	)
	for line := range strings.Lines(src) {
		n++
		t := strings.TrimSpace(line)
		words, isComment := strings.CutPrefix(t, "--")
		if !isComment {
			for _, i := range pending {
				if t != "" {
					out[i].Target = n
				}
			}
			pending = pending[:0]
			continue
		}
		if ids, ok := ignoreRules(words); ok {
			out = append(out, ignoreComment{Line: n, Rules: ids})
			pending = append(pending, len(out)-1)
		}
	}
	return out
}

// ignoreRules returns the rule ids of the words after "--" when they are
// 'pgmig lint-ignore ...'.
func ignoreRules(words string) ([]string, bool) {
	f := strings.Fields(words)
	if len(f) < 2 || f[0] != "pgmig" || f[1] != "lint-ignore" {
		return nil, false
	}
	var ids []string
	for _, w := range f[2:] {
		if strings.HasPrefix(w, "--") {
			break // the rest is the reviewer's reason
		}
		for id := range strings.SplitSeq(w, ",") {
			if id != "" && !contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	return ids, true
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
