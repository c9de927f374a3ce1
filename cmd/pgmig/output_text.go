package main

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pgmig/pgmig/migrator"
)

// Human output: aligned tables and one-line summaries on stdout.

// aligned collects rows separated by tabs and writes them aligned, without
// trailing blanks.
type aligned struct {
	out io.Writer
	buf bytes.Buffer
	tw  *tabwriter.Writer
}

// newAligned returns an aligned table that writes to w on Flush.
func newAligned(w io.Writer) *aligned {
	a := &aligned{out: w}
	a.tw = tabwriter.NewWriter(&a.buf, 0, 0, 2, ' ', 0)
	return a
}

func (a *aligned) Write(p []byte) (int, error) { return a.tw.Write(p) }

func (a *aligned) Flush() {
	a.tw.Flush()
	for line := range strings.Lines(a.buf.String()) {
		io.WriteString(a.out, strings.TrimRight(line, " \n")+"\n")
	}
}

// roundedDuration formats a duration for people: 850µs, 12ms, 1.4s, 2m3s.
func roundedDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return ""
	case d < time.Millisecond:
		return strconv.FormatInt(d.Microseconds(), 10) + "µs"
	case d < time.Second:
		return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
	case d < time.Minute:
		return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + "s"
	default:
		return d.Round(time.Second).String()
	}
}

// row joins table cells with tabs. Every row of a table has the same
// number of cells, so that tabwriter aligns each column; aligned.Flush
// trims the blanks that empty trailing cells leave.
func row(cells ...string) string { return strings.Join(cells, "\t") }

// plural returns "1 migration" or "n migrations".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// headerNotes says in words which headers a file carries.
func headerNotes(disableTx, disableHash bool) string {
	var f []string
	if disableTx {
		f = append(f, "no transaction")
	}
	if disableHash {
		f = append(f, "hash check disabled")
	}
	return strings.Join(f, ", ")
}

func printApplied(w io.Writer, res *migrator.ApplyResult, err error) {
	if len(res.Applied) > 0 {
		tw := newAligned(w)
		for _, m := range res.Applied {
			fmt.Fprintln(tw, row("applied", m.File, roundedDuration(m.Duration), headerNotes(m.DisableTransaction, false)))
		}
		tw.Flush()
	}
	if err != nil {
		return
	}
	switch {
	case len(res.Applied) == 0:
		fmt.Fprintf(w, "up to date: %s applied, nothing to do\n", plural(res.AlreadyApplied, "migration"))
	case res.SingleTransaction:
		fmt.Fprintf(w, "%d applied in one transaction in %s, %d already applied\n", len(res.Applied), roundedDuration(res.Duration), res.AlreadyApplied)
	default:
		fmt.Fprintf(w, "%d applied in %s, %d already applied\n", len(res.Applied), roundedDuration(res.Duration), res.AlreadyApplied)
	}
	if res.Remaining > 0 {
		fmt.Fprintf(w, "%s still pending after the --to target\n", plural(res.Remaining, "migration"))
	}
}

func printStatus(w io.Writer, res *migrator.StatusResult, verbose bool) {
	tw := newAligned(w)
	header := "ID\tNAME\tSTATE\tAPPLIED AT\tDURATION\tNOTE"
	if verbose {
		header += "\tSTORED HASH\tFILE HASH"
	}
	fmt.Fprintln(tw, header)
	for _, s := range res.Migrations {
		at := ""
		if !s.AppliedAt.IsZero() {
			at = s.AppliedAt.Format("2006-01-02 15:04:05")
		}
		note := headerNotes(s.DisableTransaction, s.DisableHashCheck)
		switch {
		case s.State == migrator.StateHashCheckDisabled:
			note = "file changed; allowed by disable-hash-check"
		case s.Reason != "":
			note = s.Reason
		}
		cells := []string{strconv.Itoa(s.ID), s.Name, string(s.State), at, roundedDuration(s.Duration), note}
		if verbose {
			cells = append(cells, s.StoredHash, s.CurrentHash)
		}
		fmt.Fprintln(tw, row(cells...))
	}
	tw.Flush()
	var counts []string
	for _, st := range []migrator.State{migrator.StateApplied, migrator.StatePending, migrator.StateChanged, migrator.StateMissing, migrator.StateHashCheckDisabled} {
		if n := res.Count(st); n > 0 {
			counts = append(counts, fmt.Sprintf("%d %s", n, st))
		}
	}
	if len(counts) == 0 {
		counts = append(counts, "no migrations")
	}
	where := "table " + res.Table
	if !res.TableExists {
		where += " does not exist yet"
	}
	fmt.Fprintf(w, "%s (%s)\n", strings.Join(counts, ", "), where)
}

func printPlan(w io.Writer, res *migrator.PlanResult) {
	if res.CreateTable {
		fmt.Fprintf(w, "would create the tracking table %s\n", res.Table)
	}
	for _, h := range res.LockHolders {
		fmt.Fprintf(w, "the migration lock is held now by %s: apply would wait\n", h)
	}
	for _, m := range res.HashCheckSkipped {
		fmt.Fprintf(w, "%s changed since it was applied; its hash check is disabled\n", m.File)
	}
	if len(res.Pending) == 0 {
		fmt.Fprintf(w, "nothing to apply: %s applied\n", plural(res.AlreadyApplied, "migration"))
	} else {
		fmt.Fprintf(w, "would apply %s (%d already applied):\n", plural(len(res.Pending), "migration"), res.AlreadyApplied)
	}
	tw := newAligned(w)
	for _, m := range res.Pending {
		fmt.Fprintln(tw, row("  "+strconv.Itoa(m.ID), m.File, headerNotes(m.DisableTransaction, m.DisableHashCheck)))
	}
	tw.Flush()
	if res.Remaining > 0 {
		fmt.Fprintf(w, "%s would stay pending after the --to target\n", plural(res.Remaining, "migration"))
	}
}
