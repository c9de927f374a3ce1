// Package pgtree is PostgreSQL's parse tree as lint reads it: the node
// types of pg_query_go v6 (PostgreSQL 17's parser), with the same names,
// fields and getters, decoded from and encoded to the protobuf form that
// pg_query_go's C parser produces and its deparser reads.
//
// pg_query_go's own Go types come with the protobuf runtime, whose
// initialisation (the descriptors of some 270 node types) cost every pgmig
// command about 4 ms before main, lint or not. These types are plain
// structs (tree_gen.go, written by ./gen from pg_query_go's descriptors),
// and the wire format is read and written here, so the binary links no
// protobuf runtime at all.
package pgtree

//go:generate go run ./gen

import (
	"errors"
	"strconv"
	"unicode/utf8"

	"github.com/pganalyze/pg_query_go/v6/parser"
)

// Parse parses SQL text into a parse tree. Its errors are the parser's
// (*parser.Error), or an error about a malformed tree.
func Parse(sql string) (*ParseResult, error) {
	b, err := parser.ParseToProtobuf(sql)
	if err != nil {
		return nil, err
	}
	res := &ParseResult{}
	d := decoder{b: b}
	res.decode(&d)
	if d.err != nil {
		return nil, d.err
	}
	return res, nil
}

// Deparse writes a parse tree back as SQL text, statements separated by
// "; ".
func Deparse(tree *ParseResult) (string, error) {
	return parser.DeparseFromProtobuf(tree.encode(nil))
}

var (
	errMalformed = errors.New("pgtree: malformed parse tree")
	// errUTF8 is the protobuf runtime's word for it.
	errUTF8 = errors.New("string field contains invalid UTF-8")
)

// decoder reads the protobuf wire format.
type decoder struct {
	b   []byte
	err error
}

// message is a node type: it decodes itself from and encodes itself to the
// wire format.
type message interface {
	decode(*decoder)
	encode([]byte) []byte
}

// next reads the next field's key: its number and wire type. False at the
// end of the message or on an error.
func (d *decoder) next() (int32, int, bool) {
	if d.err != nil || len(d.b) == 0 {
		return 0, 0, false
	}
	k := d.varint()
	if d.err != nil {
		return 0, 0, false
	}
	num := k >> 3
	if num == 0 || num > 1<<29-1 {
		d.err = errMalformed
		return 0, 0, false
	}
	return int32(num), int(k & 7), true
}

// varint reads a base-128 varint.
func (d *decoder) varint() uint64 {
	var v uint64
	for i := 0; i < 10; i++ {
		if i >= len(d.b) {
			break
		}
		c := d.b[i]
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			d.b = d.b[i+1:]
			return v
		}
	}
	d.err = errMalformed
	d.b = nil
	return 0
}

// fixed64 reads eight little-endian bytes.
func (d *decoder) fixed64() uint64 {
	if len(d.b) < 8 {
		d.err, d.b = errMalformed, nil
		return 0
	}
	b := d.b
	d.b = d.b[8:]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// bytes reads a length-delimited field's bytes (a view into the input).
func (d *decoder) bytes() []byte {
	n := d.varint()
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.err, d.b = errMalformed, nil
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

// str reads a string field, which must be UTF-8.
func (d *decoder) str() string {
	b := d.bytes()
	if !utf8.Valid(b) {
		d.err = errUTF8
		return ""
	}
	return string(b)
}

// message decodes a length-delimited field into m, with d itself
// narrowed to the field's bytes (a decoder of its own would escape to the
// heap through the interface call: one allocation per node).
func (d *decoder) message(m message) {
	b := d.bytes()
	if d.err != nil {
		return
	}
	rest := d.b
	d.b = b
	m.decode(d)
	if d.err == nil {
		d.b = rest
	}
}

// packed appends the varints of a packed repeated field to list.
func (d *decoder) packed(list []uint64) []uint64 {
	sub := decoder{b: d.bytes()}
	for d.err == nil && sub.err == nil && len(sub.b) > 0 {
		list = append(list, sub.varint())
	}
	if sub.err != nil {
		d.err = sub.err
	}
	return list
}

// skip skips a field of wire type typ that the tree has no place for.
func (d *decoder) skip(typ int) {
	switch typ {
	case 0:
		d.varint()
	case 1:
		d.fixed64()
	case 2:
		d.bytes()
	case 5:
		if len(d.b) < 4 {
			d.err, d.b = errMalformed, nil
			return
		}
		d.b = d.b[4:]
	default: // groups are not used by the parse tree
		d.err, d.b = errMalformed, nil
	}
}

func appendVarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

func appendTag(b []byte, num int32, typ int) []byte {
	return appendVarint(b, uint64(num)<<3|uint64(typ))
}

func appendFixed64(b []byte, v uint64) []byte {
	return append(b, byte(v), byte(v>>8), byte(v>>16), byte(v>>24), byte(v>>32), byte(v>>40), byte(v>>48), byte(v>>56))
}

func appendString(b []byte, num int32, s string) []byte {
	b = appendVarint(appendTag(b, num, 2), uint64(len(s)))
	return append(b, s...)
}

// appendMessage appends field num holding m (an empty message for a nil
// m), encoded in place after a one-byte length that grows, moving the
// message, when it is longer than 127 bytes.
func appendMessage(b []byte, num int32, m message) []byte {
	b = appendTag(b, num, 2)
	at := len(b)
	b = m.encode(append(b, 0))
	n := len(b) - at - 1
	if n < 0x80 {
		b[at] = byte(n)
		return b
	}
	var buf [10]byte
	l := appendVarint(buf[:0], uint64(n))
	b = append(b, l[1:]...)
	copy(b[at+len(l):], b[at+1:at+1+n])
	copy(b[at:], l)
	return b
}

// appendPacked appends a packed repeated field, unless list is empty.
func appendPacked(b []byte, num int32, list []uint64) []byte {
	if len(list) == 0 {
		return b
	}
	var sub []byte
	for _, v := range list {
		sub = appendVarint(sub, v)
	}
	b = appendVarint(appendTag(b, num, 2), uint64(len(sub)))
	return append(b, sub...)
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
