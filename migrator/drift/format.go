package drift

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
)

// The text of a schema.sql file is a header of comment lines, then one
// block per object in Schema order, blocks separated by an empty line. A
// block starts with a marker line, "-- pgmig <kind>: <name>", followed by
// the definition. A table's block is a CREATE TABLE statement with one
// column per line ("    <name> <definition>,") and the table's clauses
// after the closing parenthesis. Definition lines that start with a
// backslash or with the marker prefix get a backslash in front; in column
// lines, and in marker names, backslashes and newlines are written as \\
// and \n. The text describes the schema for review; it is not a script
// that recreates it (objects are sorted by kind, not by dependency).
const (
	markerPrefix = "-- pgmig "
	fileHeader   = "-- The schema that the migrations build, as pgmig inspects it from the\n" +
		"-- system catalogs: one object after another, sorted by kind and name.\n" +
		"-- Generated: do not edit; regenerate it when the migrations change.\n"
)

// lineEscaper and lineUnescaper write and read column lines and names.
var (
	lineEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
)

// unescapeLine reverses lineEscaper.
func unescapeLine(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			switch s[i+1] {
			case 'n':
				b.WriteByte('\n')
				i++
				continue
			case '\\':
				b.WriteByte('\\')
				i++
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// WriteSQL writes the schema as the text of a schema.sql file. The text
// depends only on the objects: written twice, or from two databases with
// equal schemas, it is byte for byte the same, and ParseSQL reads it back
// into an equal Schema.
func (s *Schema) WriteSQL(w io.Writer) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(fileHeader)
	for i := range s.Objects {
		o := &s.Objects[i]
		bw.WriteString("\n" + markerPrefix + string(o.Kind) + ": " + lineEscaper.Replace(o.Name) + "\n")
		if text := render(o); text != "" {
			bw.WriteString(text + "\n")
		}
	}
	return bw.Flush()
}

// render returns the block text of an object, without its marker.
func render(o *Object) string {
	if o.Kind != KindTable && o.Kind != KindForeignTable {
		return escapeBlock(o.Definition)
	}
	var b strings.Builder
	b.WriteString("CREATE ")
	if o.Kind == KindForeignTable {
		b.WriteString("FOREIGN ")
	}
	b.WriteString("TABLE " + o.Name + " (\n")
	for i, c := range o.Columns {
		b.WriteString("    " + lineEscaper.Replace(c.Name+" "+c.Definition))
		if i < len(o.Columns)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString(")")
	if o.Definition != "" {
		b.WriteString(" " + lineEscaper.Replace(o.Definition))
	}
	b.WriteString(";")
	return b.String()
}

// escapeBlock puts a backslash before the lines of a definition that
// start with one or look like a marker.
func escapeBlock(def string) string {
	if !strings.Contains(def, `\`) && !strings.Contains(def, markerPrefix) {
		return def
	}
	lines := strings.Split(def, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, `\`) || strings.HasPrefix(l, markerPrefix) {
			lines[i] = `\` + l
		}
	}
	return strings.Join(lines, "\n")
}

// ParseError reports text that is not a schema.sql file as WriteSQL
// writes it.
type ParseError struct {
	Line    int // 1-based
	Problem string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("schema file line %d: %s", e.Line, e.Problem)
}

// ParseSQL reads the text of a schema.sql file written by WriteSQL back
// into a Schema. It returns a *ParseError for text it cannot read: no
// header (an empty or foreign file), an unknown kind, a table block of
// another shape, a name listed twice.
func ParseSQL(text []byte) (*Schema, error) {
	if !bytes.HasPrefix(text, []byte(fileHeader)) {
		// An empty or foreign file would read as a schema without objects.
		return nil, &ParseError{Line: 1, Problem: "not a schema file written by pgmig: it does not start with its header"}
	}
	s := &Schema{}
	seen := map[key]bool{}
	lines := strings.Split(string(bytes.TrimRight(text, "\n")), "\n")
	var cur *Object
	var block []string
	start := 0
	flush := func() error {
		if cur == nil {
			return nil
		}
		for len(block) > 0 && block[len(block)-1] == "" {
			block = block[:len(block)-1]
		}
		if err := parseBlock(cur, block, start); err != nil {
			return err
		}
		s.Objects = append(s.Objects, *cur)
		return nil
	}
	for i, line := range lines {
		if !strings.HasPrefix(line, markerPrefix) {
			if cur != nil {
				block = append(block, line)
			}
			continue
		}
		if err := flush(); err != nil {
			return nil, err
		}
		kind, name, ok := strings.Cut(strings.TrimPrefix(line, markerPrefix), ": ")
		if !ok {
			return nil, &ParseError{Line: i + 1, Problem: "marker without a name"}
		}
		if _, known := kindOrder[Kind(kind)]; !known {
			return nil, &ParseError{Line: i + 1, Problem: fmt.Sprintf("unknown kind of object %q", kind)}
		}
		k := key{Kind(kind), unescapeLine(name)}
		if seen[k] {
			return nil, &ParseError{Line: i + 1, Problem: fmt.Sprintf("%s %s listed twice", kind, k.name)}
		}
		seen[k] = true
		cur, block, start = &Object{Kind: k.kind, Name: k.name}, nil, i+2
	}
	if err := flush(); err != nil {
		return nil, err
	}
	s.sort()
	return s, nil
}

// parseBlock reads the definition of o from the lines of its block, the
// first of which is line start of the file.
func parseBlock(o *Object, block []string, start int) error {
	if o.Kind != KindTable && o.Kind != KindForeignTable {
		for i, l := range block {
			if strings.HasPrefix(l, `\`) {
				block[i] = l[1:]
			}
		}
		// An escaped empty line (a lone backslash, which WriteSQL never writes)
		// must not leave an empty last line, which would not read back.
		o.Definition = strings.TrimRight(strings.Join(block, "\n"), "\n")
		return nil
	}
	head := "CREATE TABLE " + o.Name + " ("
	if o.Kind == KindForeignTable {
		head = "CREATE FOREIGN TABLE " + o.Name + " ("
	}
	if len(block) < 2 || block[0] != head {
		return &ParseError{Line: start, Problem: fmt.Sprintf("want %q", head)}
	}
	last := block[len(block)-1]
	if !strings.HasPrefix(last, ")") || !strings.HasSuffix(last, ";") {
		return &ParseError{Line: start + len(block) - 1, Problem: `want ")" and the table's clauses, ending with ";"`}
	}
	o.Definition = unescapeLine(strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(last, ")"), ";")))
	cols := block[1 : len(block)-1]
	for i, l := range cols {
		line := start + 1 + i
		if !strings.HasPrefix(l, "    ") {
			return &ParseError{Line: line, Problem: "want a column, indented by four spaces"}
		}
		l = strings.TrimPrefix(l, "    ")
		if i < len(cols)-1 {
			if !strings.HasSuffix(l, ",") {
				return &ParseError{Line: line, Problem: `want "," after a column that is not the last`}
			}
			l = strings.TrimSuffix(l, ",")
		}
		l = unescapeLine(l)
		name, def, ok := splitColumn(l)
		if !ok {
			return &ParseError{Line: line, Problem: "want a column name and its definition"}
		}
		o.Columns = append(o.Columns, Column{Name: name, Definition: def})
	}
	return nil
}

// splitColumn splits a column line into the (possibly quoted) name and
// the definition.
func splitColumn(l string) (name, def string, ok bool) {
	if strings.HasPrefix(l, `"`) {
		for i := 1; i < len(l); i++ {
			if l[i] != '"' {
				continue
			}
			if i+1 < len(l) && l[i+1] == '"' {
				i++
				continue
			}
			if i+1 < len(l) && l[i+1] == ' ' {
				return l[:i+1], l[i+2:], true
			}
			return "", "", false
		}
		return "", "", false
	}
	name, def, ok = strings.Cut(l, " ")
	return name, def, ok && name != "" && def != ""
}
