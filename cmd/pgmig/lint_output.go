package main

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/pgmig/pgmig/migrator/lint"
)

// lintOutput prints lint's findings in each of its formats.
type lintOutput struct {
	a   *app
	w   io.Writer
	dir string // the migrations folder as given, "" for file names alone
	// measuredOn is the version of the dev server the migrations were
	// measured on, "" when they were not.
	measuredOn string
}

func newLintOutput(a *app, dir string) *lintOutput {
	return &lintOutput{a: a, w: a.stdout, dir: dir}
}

// path is the path of a migration file as findings show it.
func (o *lintOutput) path(file string) string { return filepath.ToSlash(filepath.Join(o.dir, file)) }

// text prints each finding as compilers do: file:line:column, the line
// with a caret under the column, the lock and the fix; then a summary.
func (o *lintOutput) text(res *lint.Result) {
	for _, f := range res.Findings {
		printFinding(o.w, o.path(f.File), f, "")
		fmt.Fprintln(o.w)
	}
	fmt.Fprintln(o.w, lintSummary(res))
	if o.measuredOn != "" {
		fmt.Fprintf(o.w, "locks, rewrites and scans measured on PostgreSQL %s\n", o.measuredOn)
	}
}

// printFinding prints one finding, each line after the first indented.
func printFinding(w io.Writer, path string, f lint.Finding, indent string) {
	fmt.Fprintf(w, "%s%s:%d:%d: %s: %s: %s\n", indent, path, f.Line, f.Column, f.Severity, f.Rule, f.Message)
	if f.Source != "" {
		fmt.Fprintf(w, "%s    %s\n%s    %s^\n", indent, f.Source, indent, caretPad(f.Source, f.Column))
	}
	if f.Lock != lint.NoLock {
		blocks := "nothing the application does"
		if len(f.Blocks) > 0 {
			blocks = strings.Join(f.Blocks, ", ")
		}
		measured := ""
		if f.Measured {
			measured = " (measured)"
		}
		fmt.Fprintf(w, "%s  lock: %s on %s%s, blocks %s; rewrite: %s; scan: %s%s\n", indent, f.Lock, f.Relation, sizeNote(f), blocks, yesNo(f.Rewrite), yesNo(f.Scan), measured)
	}
	if f.Fix != "" {
		fmt.Fprintf(w, "%s  fix:\n", indent)
		for line := range strings.Lines(f.Fix) {
			fmt.Fprintf(w, "%s    %s\n", indent, strings.TrimRight(line, "\n"))
		}
	}
}

// caretPad is the blank space before a caret under column col of line:
// tabs stay tabs so that the caret lines up.
func caretPad(line string, col int) string {
	var b strings.Builder
	n := 1
	for _, r := range line {
		if n >= col {
			break
		}
		if r == '\t' {
			b.WriteByte('\t')
		} else {
			b.WriteByte(' ')
		}
		n++
	}
	return b.String()
}

// sizeNote is " (12 GB, ~80 M rows)" for a finding whose relation's size
// was read from the target, else "".
func sizeNote(f lint.Finding) string {
	if f.SizeBytes < 0 {
		return ""
	}
	rows := "never analyzed"
	if f.Rows >= 0 {
		rows = "~" + approx(f.Rows) + " rows"
	}
	return fmt.Sprintf(" (%s, %s)", bytesText(f.SizeBytes), rows)
}

// bytesText writes a size as PostgreSQL's pg_size_pretty does.
func bytesText(n int64) string {
	units := []string{"bytes", "kB", "MB", "GB", "TB", "PB"}
	v, i := float64(n), 0
	for v >= 10*1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	return fmt.Sprintf("%.0f %s", v, units[i])
}

// approx writes a row count with a k, M or G suffix.
func approx(n float64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.0f G", n/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.0f M", n/1e6)
	case n >= 1e4:
		return fmt.Sprintf("%.0f k", n/1e3)
	}
	return fmt.Sprintf("%.0f", n)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// lintSummary is the last line of the text output.
func lintSummary(res *lint.Result) string {
	if len(res.Findings) == 0 {
		return fmt.Sprintf("ok: no findings in %s (PostgreSQL %d)", plural(res.Files, "migration file"), res.Version)
	}
	counts := []string{plural(res.Count(lint.SeverityError), "error"), plural(res.Count(lint.SeverityWarning), "warning")}
	if n := res.Count(lint.SeverityInfo); n > 0 {
		counts = append(counts, plural(n, "note"))
	}
	return fmt.Sprintf("%s in %s (PostgreSQL %d)", strings.Join(counts, ", "), plural(res.Files, "migration file"), res.Version)
}

// jsonFinding is one finding in the JSON documents of lint and plan.
type jsonFinding struct {
	File     string   `json:"file"`
	Line     int      `json:"line"`
	Column   int      `json:"column"`
	Rule     string   `json:"rule"`
	Severity string   `json:"severity"`
	Message  string   `json:"message"`
	Relation string   `json:"relation"`
	Lock     string   `json:"lock"`
	Blocks   []string `json:"blocks"`
	Rewrite  bool     `json:"rewrite"`
	Scan     bool     `json:"scan"`
	Fix      string   `json:"fix"`
	Measured bool     `json:"measured,omitempty"`
	// SizeBytes and Rows: with connection settings, the relation's size
	// and row estimate on the target (rows -1: never analyzed).
	SizeBytes *int64   `json:"size_bytes,omitempty"`
	Rows      *float64 `json:"rows,omitempty"`
}

func fromFinding(path string, f lint.Finding) jsonFinding {
	blocks := f.Blocks
	if blocks == nil {
		blocks = []string{}
	}
	j := jsonFinding{File: path, Line: f.Line, Column: f.Column, Rule: f.Rule, Severity: string(f.Severity), Message: f.Message,
		Relation: f.Relation, Lock: f.Lock.String(), Blocks: blocks, Rewrite: f.Rewrite, Scan: f.Scan, Fix: f.Fix, Measured: f.Measured}
	if f.SizeBytes >= 0 {
		j.SizeBytes, j.Rows = ptr(f.SizeBytes), ptr(f.Rows)
	}
	return j
}

// jsonLintReport is the document of 'pgmig lint --json'.
type jsonLintReport struct {
	Command   string `json:"command"`
	OK        bool   `json:"ok"`
	PGVersion int    `json:"pg_version,omitempty"`
	// MeasuredOn is the version of the dev server of --measure.
	MeasuredOn string         `json:"measured_on,omitempty"`
	Files      int            `json:"files"`
	Counts     map[string]int `json:"counts"`
	Findings   []jsonFinding  `json:"findings"`
	Error      *jsonError     `json:"error,omitempty"`
}

func (o *lintOutput) json(res *lint.Result, err error) {
	r := jsonLintReport{Command: "lint", OK: err == nil, Findings: []jsonFinding{}, Counts: map[string]int{}, Error: toJSONError(err, o.a.red.redact)}
	if res != nil {
		r.PGVersion, r.Files, r.MeasuredOn = res.Version, res.Files, o.measuredOn
		for _, s := range []lint.Severity{lint.SeverityError, lint.SeverityWarning, lint.SeverityInfo} {
			r.Counts[string(s)] = res.Count(s)
		}
		for _, f := range res.Findings {
			r.Findings = append(r.Findings, fromFinding(o.path(f.File), f))
		}
	}
	enc := json.NewEncoder(o.w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	_ = enc.Encode(r)
}

// github prints GitHub Actions workflow commands, one per finding, which
// GitHub shows on the pull request's lines.
func (o *lintOutput) github(res *lint.Result) {
	for _, f := range res.Findings {
		level := map[lint.Severity]string{lint.SeverityError: "error", lint.SeverityWarning: "warning"}[f.Severity]
		if level == "" {
			level = "notice"
		}
		msg := f.Message
		if f.Fix != "" {
			msg += "\nfix:\n" + f.Fix
		}
		fmt.Fprintf(o.w, "::%s file=%s,line=%d,col=%d,title=%s::%s\n", level, ghProperty(o.path(f.File)), f.Line, f.Column,
			ghProperty("pgmig lint: "+f.Rule), ghData(msg))
	}
	fmt.Fprintln(o.a.stderr, lintSummary(res))
}

// ghData escapes the message of a workflow command.
func ghData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// ghProperty escapes a property value of a workflow command.
func ghProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
