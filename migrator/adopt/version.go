package adopt

import "strings"

// Versions as the other tools store them: goose, golang-migrate and tern
// keep integers, dbmate text (usually a timestamp), Flyway dotted text
// ("1", "1.1", "2.0.3"). They are compared part by part: a version splits
// at '.' and '_', numeric parts compare by value (leading zeros do not
// count, however long the number), other parts as text, and missing parts
// count as 0, so "1.0" is "1" and "0003" is "3", as in Flyway.

// versionParts splits a version into its normalised parts: numeric parts
// without leading zeros, trailing zero parts dropped ("1.0" and "1" give
// the same parts).
func versionParts(v string) []string {
	parts := strings.FieldsFunc(strings.TrimSpace(v), func(r rune) bool { return r == '.' || r == '_' })
	for i, p := range parts {
		if isDigits(p) {
			p = strings.TrimLeft(p, "0")
			if p == "" {
				p = "0"
			}
			parts[i] = p
		}
	}
	for len(parts) > 1 && parts[len(parts)-1] == "0" {
		parts = parts[:len(parts)-1]
	}
	return parts
}

// versionKey is a version's normalised form: two versions are the same
// when their keys are equal.
func versionKey(v string) string { return strings.Join(versionParts(v), ".") }

// compareVersions orders two versions: -1, 0 or 1.
func compareVersions(a, b string) int {
	pa, pb := versionParts(a), versionParts(b)
	for i := 0; i < max(len(pa), len(pb)); i++ {
		x, y := "0", "0"
		if i < len(pa) {
			x = pa[i]
		}
		if i < len(pb) {
			y = pb[i]
		}
		if c := comparePart(x, y); c != 0 {
			return c
		}
	}
	return 0
}

// comparePart orders two normalised parts: numbers by value (a longer
// number is larger), numbers before text, text as text.
func comparePart(x, y string) int {
	dx, dy := isDigits(x), isDigits(y)
	switch {
	case dx && dy:
		if len(x) != len(y) {
			if len(x) < len(y) {
				return -1
			}
			return 1
		}
		return strings.Compare(x, y)
	case dx:
		return -1
	case dy:
		return 1
	}
	return strings.Compare(x, y)
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
