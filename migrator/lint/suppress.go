package lint

import (
	"fmt"
	"sort"
	"strings"
)

// applyIgnores drops the findings that a '-- pgmig lint-ignore' comment
// suppresses and reports the comments that suppressed nothing.
func (f *fileLinter) applyIgnores() {
	defer f.sortFindings()
	comments := parseIgnores(f.src)
	if len(comments) == 0 {
		return
	}
	firstLine := int(^uint(0) >> 1)
	if len(f.stmts) > 0 {
		firstLine = f.stmts[0].Line
	}
	used := make([]map[string]bool, len(comments))
	for i := range used {
		used[i] = map[string]bool{}
	}
	var keep []Finding
	var keepStmt []int
	for i, fd := range f.findings {
		si := f.stmtOf[i]
		suppressed := false
		for ci, c := range comments {
			fileWide := c.Target == 0 && c.Line < firstLine
			onStmt := si >= 0 && c.Target != 0 && c.Target == f.stmts[si].Line
			if (fileWide || onStmt) && contains(c.Rules, fd.Rule) {
				used[ci][fd.Rule] = true
				suppressed = true
			}
		}
		if !suppressed {
			keep = append(keep, fd)
			keepStmt = append(keepStmt, si)
		}
	}
	f.findings, f.stmtOf = keep, keepStmt
	for ci, c := range comments {
		off := lineOffset(f.src, c.Line)
		if len(c.Rules) == 0 {
			f.addAt(-1, off, RuleUnusedIgnore, relName{}, NoLock, false, false, "lint-ignore names no rule", "")
		}
		for _, id := range c.Rules {
			if used[ci][id] {
				continue
			}
			var msg string
			switch _, known := ruleByID(id); {
			case !known:
				msg = fmt.Sprintf("lint-ignore names %q, which is no lint rule", id)
			case c.Target == 0 && c.Line >= firstLine:
				msg = fmt.Sprintf("lint-ignore %s applies to no statement: put it on the line right before the statement, or at the top of the file followed by a blank line for the whole file", id)
			case c.Target == 0:
				msg = fmt.Sprintf("lint-ignore %s: no statement of the file has a %s finding", id, id)
			default:
				msg = fmt.Sprintf("lint-ignore %s: the statement on line %d has no %s finding", id, c.Target, id)
			}
			f.addAt(-1, off+strings.Index(f.src[off:], "--"), RuleUnusedIgnore, relName{}, NoLock, false, false, msg, "")
		}
	}
}

// lineOffset returns the byte offset where 1-based line n of src starts.
func lineOffset(src string, n int) int {
	off := 0
	for i := 1; i < n; i++ {
		j := strings.IndexByte(src[off:], '\n')
		if j < 0 {
			return len(src)
		}
		off += j + 1
	}
	return off
}

// sortFindings orders the file's findings by position.
func (f *fileLinter) sortFindings() {
	idx := make([]int, len(f.findings))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		fa, fb := f.findings[idx[a]], f.findings[idx[b]]
		return fa.Line < fb.Line || fa.Line == fb.Line && fa.Column < fb.Column
	})
	out := make([]Finding, len(idx))
	so := make([]int, len(idx))
	for i, j := range idx {
		out[i], so[i] = f.findings[j], f.stmtOf[j]
	}
	f.findings, f.stmtOf = out, so
}
