// Package hashcheck computes and compares the integrity hashes that pgmig and
// postgres-migrations store for every applied migration.
//
// The hash is the lowercase hex SHA-1 of the file's base name followed by its
// raw bytes, with no separator and no normalisation. The package is pure: bytes
// in, verdicts out. It opens no files, talks to no database and logs nothing.
package hashcheck

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"hash"
	"strings"
	"sync"
)

// Sum returns the hash of a migration file: lowercase hex SHA-1 of name
// followed by content.
func Sum(name string, content []byte) string {
	s := summers.Get().(*summer)
	defer summers.Put(s)
	s.h.Reset()
	s.name = append(s.name[:0], name...)
	s.h.Write(s.name)
	s.h.Write(content)
	var sum [sha1.Size]byte
	var out [2 * sha1.Size]byte
	hex.Encode(out[:], s.h.Sum(sum[:0]))
	return string(out[:])
}

// summer is a SHA-1 state and a buffer for the name, reused across calls:
// a folder of a thousand small files otherwise allocates mostly hashers.
type summer struct {
	h    hash.Hash
	name []byte
}

var summers = sync.Pool{New: func() any { return &summer{h: sha1.New()} }}

// Verdict is the outcome of comparing a file with the hash stored when it was
// applied.
type Verdict int

const (
	// Match means the file is byte for byte what was applied.
	Match Verdict = iota
	// Changed means the file's content or name differs from what was applied.
	Changed
	// LineEndingsOnly means the file differs from what was applied only in
	// its line endings (CRLF against LF).
	LineEndingsOnly
	// ByteOrderMarkOnly means the file differs from what was applied only by
	// a UTF-8 byte-order mark added or removed.
	ByteOrderMarkOnly
	// LineEndingsAndByteOrderMark means the file differs only in line
	// endings and a byte-order mark.
	LineEndingsAndByteOrderMark
)

// String describes the verdict in words fit for an error message.
func (v Verdict) String() string {
	switch v {
	case Match:
		return "unchanged"
	case LineEndingsOnly:
		return "differs only in line endings (CRLF/LF)"
	case ByteOrderMarkOnly:
		return "differs only by a UTF-8 byte-order mark"
	case LineEndingsAndByteOrderMark:
		return "differs only in line endings (CRLF/LF) and a UTF-8 byte-order mark"
	default:
		return "content changed"
	}
}

var bom = []byte{0xEF, 0xBB, 0xBF}

// Normalize returns a stored hash the way pgmig compares it: without
// surrounding blanks (a character(n) column pads it with spaces) and in
// lower case (some tools store upper-case hex).
func Normalize(stored string) string {
	return strings.ToLower(strings.TrimSpace(stored))
}

// Equal reports whether a stored hash, normalised as by [Normalize], is
// sum (a lowercase hash from [Sum]). It does not allocate: it runs once per
// applied migration.
func Equal(stored, sum string) bool {
	stored = strings.TrimSpace(stored)
	if len(stored) != len(sum) {
		return false
	}
	for i := 0; i < len(stored); i++ {
		c := stored[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != sum[i] {
			return false
		}
	}
	return true
}

// Check compares a file with the hash stored when it was applied. When the
// hashes differ it tries the usual accidental rewrites (line endings converted
// by an editor or git, a byte-order mark added or dropped) so that the caller
// can say why the file no longer matches.
func Check(name string, content []byte, stored string) Verdict {
	stored = Normalize(stored)
	if Sum(name, content) == stored {
		return Match
	}
	withoutBOM, hadBOM := bytes.CutPrefix(content, bom)
	bomVariants := [][]byte{content}
	if hadBOM {
		bomVariants = append(bomVariants, withoutBOM)
	} else {
		bomVariants = append(bomVariants, append(append([]byte{}, bom...), content...))
	}
	for i, b := range bomVariants {
		lf := toLF(b)
		for j, v := range [][]byte{b, lf, toCRLF(lf)} {
			if i == 0 && j == 0 {
				continue
			}
			if (j > 0 && bytes.Equal(v, b)) || Sum(name, v) != stored {
				continue
			}
			switch {
			case i == 0:
				return LineEndingsOnly
			case j == 0:
				return ByteOrderMarkOnly
			default:
				return LineEndingsAndByteOrderMark
			}
		}
	}
	return Changed
}

func toLF(b []byte) []byte {
	return bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
}

func toCRLF(lf []byte) []byte {
	return bytes.ReplaceAll(lf, []byte("\n"), []byte("\r\n"))
}
