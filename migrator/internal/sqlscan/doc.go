// Package sqlscan splits PostgreSQL source text into top-level statements
// the way psql does, without parsing SQL.
//
// The lexer follows the lexical rules of the PostgreSQL server (scan.l) and
// of psql (psqlscan.l) with standard_conforming_strings on:
//
//   - '…' strings, where a doubled quote stands for one quote; E'…'
//     strings that also honour backslash escapes; B'…', X'…', N'…' and
//     U&'…' strings with the plain rules; and the SQL quote continuation of
//     a string across whitespace holding a newline ('a'<newline>'b' is one
//     literal, keeping the E'…' rules);
//   - "…" and U&"…" quoted identifiers with "" escapes;
//   - $tag$…$tag$ dollar quoting (a $ inside an identifier, such as a$b$,
//     belongs to the identifier, and $1 is a parameter);
//   - -- line comments and nesting /* */ block comments.
//
// As in psql, a ';' ends a statement only outside parentheses, and, in a
// statement that starts with CREATE [OR REPLACE] FUNCTION|PROCEDURE, only
// outside a BEGIN … END block (a SQL-standard BEGIN ATOMIC body; CASE … END
// inside it is counted too).
package sqlscan
