package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/pgmig/pgmig/migrator/drift"
)

// sideWidth is the widest a column of the side-by-side output gets;
// longer lines wrap.
const sideWidth = 60

// diffMarks start the line of each difference.
var diffMarks = map[drift.DiffKind]string{drift.Missing: "-", drift.Extra: "+", drift.Changed: "~", drift.Reordered: "i"}

// printDifferences prints each difference with what one side has beside
// what the other has, under the column titles left and right.
func printDifferences(w io.Writer, diffs []drift.Difference, left, right string) {
	for _, d := range diffs {
		fmt.Fprintf(w, "%s %s %s %s\n", diffMarks[d.Kind], d.Kind, d.ObjectType, d.Name)
		if d.Info() {
			fmt.Fprintf(w, "    %s: %s\n    %s: %s\n\n", left, d.Expected, right, d.Actual)
			continue
		}
		l, r := d.Expected, d.Actual
		if d.Kind == drift.Extra {
			l = "(none)"
		}
		if d.Kind == drift.Missing {
			r = "(none)"
		}
		sideBySide(w, left, right, l, r)
		fmt.Fprintln(w)
	}
}

// sideBySide prints l and r in two columns, wrapping long lines.
func sideBySide(w io.Writer, leftTitle, rightTitle, l, r string) {
	ll, rl := wrapLines(l), wrapLines(r)
	width := len(leftTitle)
	for _, s := range ll {
		width = max(width, len([]rune(s)))
	}
	fmt.Fprintf(w, "    %-*s | %s\n", width, leftTitle, rightTitle)
	fmt.Fprintf(w, "    %s-+-%s\n", strings.Repeat("-", width), strings.Repeat("-", len(rightTitle)))
	for i := 0; i < max(len(ll), len(rl)); i++ {
		var a, b string
		if i < len(ll) {
			a = ll[i]
		}
		if i < len(rl) {
			b = rl[i]
		}
		fmt.Fprintf(w, "    %-*s | %s\n", width, a, b)
	}
}

// wrapLines splits s into lines of at most sideWidth runes.
func wrapLines(s string) []string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		r := []rune(line)
		for len(r) > sideWidth {
			cut := sideWidth
			if i := strings.LastIndexByte(string(r[:sideWidth]), ' '); i > sideWidth/2 {
				cut = len([]rune(string(r[:sideWidth])[:i])) + 1
			}
			out = append(out, strings.TrimRight(string(r[:cut]), " "))
			r = r[cut:]
		}
		out = append(out, string(r))
	}
	return out
}

// briefDrift is a *drift.Error whose message is only its first line, for
// the human output that has listed the differences on stdout already.
type briefDrift struct{ err *drift.Error }

func (e *briefDrift) Error() string {
	first, _, _ := strings.Cut(e.err.Error(), "\n")
	return first
}

func (e *briefDrift) Unwrap() error { return e.err }
