// Package drift tells whether a database's schema is what its migrations
// build: Inspect reads a schema from the system catalogs into a Schema
// (a fixed number of queries in one read-only transaction, whatever the
// number of objects), Compare lists the differences between two schemas
// object by object, WriteSQL and ParseSQL turn a Schema into the text of
// a schema.sql file and back, and Check is the start-up gate of an
// application: the migrations applied and intact, and the schema what the
// committed schema.sql says.
//
// Definitions are compared in the server's own normalised form
// (pg_get_constraintdef, pg_get_indexdef, pg_get_viewdef,
// pg_get_functiondef, pg_get_triggerdef, format_type, pg_get_expr),
// printed with every name outside pg_catalog schema-qualified, and
// normalised where PostgreSQL 12 to 18 print the same object differently,
// so that two databases built from the same migrations compare equal
// across major versions.
package drift

import (
	"sort"
)

// Kind is the type of a schema object, as reported in differences.
type Kind string

// The kinds of objects inspected, in the order schema.sql lists them.
const (
	KindExtension        Kind = "extension"
	KindSchema           Kind = "schema"
	KindType             Kind = "type"
	KindDomain           Kind = "domain"
	KindSequence         Kind = "sequence"
	KindTable            Kind = "table"
	KindForeignTable     Kind = "foreign table"
	KindColumn           Kind = "column" // inside a table; reported on its own
	KindConstraint       Kind = "constraint"
	KindIndex            Kind = "index"
	KindStatistics       Kind = "statistics"
	KindView             Kind = "view"
	KindMaterializedView Kind = "materialized view"
	KindFunction         Kind = "function"
	KindProcedure        Kind = "procedure"
	KindAggregate        Kind = "aggregate"
	KindTrigger          Kind = "trigger"
	KindRule             Kind = "rule"
	KindRowSecurity      Kind = "row security"
	KindPolicy           Kind = "policy"
	KindComment          Kind = "comment"
	KindOwner            Kind = "owner"
	KindGrant            Kind = "grant"
	// KindColumnOrder is the order of a table's columns; a difference in
	// it is information only (Difference.Info).
	KindColumnOrder Kind = "column order"
)

// kindOrder is the position of each kind in a Schema and in schema.sql.
var kindOrder = map[Kind]int{}

// kinds lists the kinds of objects that are stored in a Schema, in order.
var kinds = []Kind{
	KindExtension, KindSchema, KindType, KindDomain, KindSequence, KindTable, KindForeignTable,
	KindConstraint, KindIndex, KindStatistics, KindView, KindMaterializedView, KindFunction,
	KindProcedure, KindAggregate, KindTrigger, KindRule, KindRowSecurity, KindPolicy, KindComment,
	KindOwner, KindGrant,
}

func init() {
	for i, k := range kinds {
		kindOrder[k] = i
	}
}

// Object is one schema object: its kind, its name (schema-qualified and
// quoted as PostgreSQL quotes identifiers; "name on table" for
// constraints, triggers and policies; "kind name" for comments, owners and
// grants) and its definition in canonical form. Tables also have columns.
type Object struct {
	Kind       Kind
	Name       string
	Definition string
	// Columns are a table's columns in position order.
	Columns []Column
}

// Column is a column of a table: its quoted name and its definition (type,
// collation, default or generation expression, identity, NOT NULL).
type Column struct {
	Name       string
	Definition string
}

// Schema is what Inspect read from a database, or ParseSQL from a
// schema.sql file: its objects sorted by kind, then name.
type Schema struct {
	Objects []Object
}

// sort puts the objects in kind, then name order.
func (s *Schema) sort() {
	sort.SliceStable(s.Objects, func(i, j int) bool {
		a, b := s.Objects[i], s.Objects[j]
		if a.Kind != b.Kind {
			return kindOrder[a.Kind] < kindOrder[b.Kind]
		}
		return a.Name < b.Name
	})
}

// Len returns the number of objects, columns not counted.
func (s *Schema) Len() int { return len(s.Objects) }

// Count returns the number of objects of kind k.
func (s *Schema) Count(k Kind) int {
	n := 0
	for _, o := range s.Objects {
		if o.Kind == k {
			n++
		}
	}
	return n
}

// key identifies an object in a Schema.
type key struct {
	kind Kind
	name string
}

// index maps the objects of s by kind and name.
func (s *Schema) index() map[key]*Object {
	m := make(map[key]*Object, len(s.Objects))
	for i := range s.Objects {
		o := &s.Objects[i]
		m[key{o.Kind, o.Name}] = o
	}
	return m
}
