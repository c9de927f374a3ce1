package sqlscan

// bom is the UTF-8 byte order mark, skipped at the start of a source.
const bom = "\uFEFF"

// bomLen returns the length of the byte order mark src starts with, or 0.
func bomLen(src string) int {
	if len(src) >= len(bom) && src[:len(bom)] == bom {
		return len(bom)
	}
	return 0
}

// LineCol converts a byte offset in src into a 1-based line and a 1-based
// column counted in runes (for valid UTF-8; any byte that is not a UTF-8
// continuation byte starts a new column). Line breaks are \n, \r\n and a
// lone \r. A leading byte order mark takes no column. Offsets outside src are
// clamped to it.
func LineCol(src string, offset int) (line, col int) {
	offset = max(0, min(offset, len(src)))
	start := bomLen(src)
	if offset <= start {
		return 1, 1
	}
	p := position{line: 1, col: 1, off: start}
	p.advance(src, offset)
	return p.line, p.col
}

// position tracks the line and column of an offset while moving forward.
type position struct {
	line, col, off int
}

// advance moves p forward to offset to (to >= p.off) in src.
func (p *position) advance(src string, to int) {
	for i := p.off; i < to; i++ {
		switch c := src[i]; {
		case c == '\n':
			if i > 0 && src[i-1] == '\r' {
				continue // second half of \r\n, already counted
			}
			p.line++
			p.col = 1
		case c == '\r':
			p.line++
			p.col = 1
		case c&0xC0 != 0x80:
			p.col++
		}
	}
	p.off = to
}
