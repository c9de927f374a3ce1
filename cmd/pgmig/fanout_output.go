package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/pgmig/pgmig/migrator/fleet"
)

// fleetError is a run over many targets in which some failed or did not
// start. It wraps the most severe failure, so that exitCode (and the JSON
// error.kind) give the run that failure's code.
type fleetError struct {
	worst error
	msg   string
}

func (e *fleetError) Error() string { return e.msg }

// Unwrap returns the most severe failure.
func (e *fleetError) Unwrap() error { return e.worst }

// severity ranks exit codes of failed targets, most severe first: what
// needs a person (files and database disagree, a migration failed, a
// table or server that pgmig will not touch) before what a rerun may
// finish on its own (connections, lock waits, pending migrations). A
// drifted schema and a lint error need a person too.
var severity = []int{
	exitInterrupted, exitIntegrity, exitSQL, exitDrift, exitLint, exitTable, exitTableElsewhere, exitReadOnly,
	exitPooler, exitUsage, exitFailure, exitConnect, exitLockTimeout, exitPending,
}

// moreSevere reports whether exit code a is more severe than b.
func moreSevere(a, b int) bool {
	ia, ib := slices.Index(severity, a), slices.Index(severity, b)
	if ia < 0 {
		ia = len(severity)
	}
	if ib < 0 {
		ib = len(severity)
	}
	return ia < ib
}

// fleetFailure is nil when every target succeeded, else a *fleetError
// naming the targets to run again.
func fleetFailure(results []fleet.Result[fleetRow], ctx context.Context) error {
	failed := fleet.Failed(results)
	if len(failed) == 0 {
		return nil
	}
	var worst error
	started := 0
	for _, r := range failed {
		if errors.Is(r.Err, fleet.ErrSkipped) {
			continue
		}
		started++
		if worst == nil || moreSevere(exitCode(r.Err), exitCode(worst)) {
			worst = r.Err
		}
	}
	if ctx.Err() != nil {
		worst = ctx.Err()
	}
	if worst == nil {
		worst = failed[0].Err
	}
	msg := fmt.Sprintf("%d of %d targets failed", started, len(results))
	if skipped := len(failed) - started; skipped > 0 {
		msg += fmt.Sprintf(", %d not started", skipped)
	}
	return &fleetError{worst: worst, msg: msg + "; run again for: " + strings.Join(rerun(results), " ")}
}

// rerun names the targets that failed or did not start.
func rerun(results []fleet.Result[fleetRow]) []string {
	var names []string
	for _, r := range fleet.Failed(results) {
		names = append(names, r.Target.Name)
	}
	return names
}

// resultText is the result column of a target.
func resultText(r fleet.Result[fleetRow], redact func(string) string) string {
	switch {
	case r.Err == nil && r.Value.note != "":
		return "ok, " + r.Value.note
	case r.Err == nil:
		return "ok"
	case errors.Is(r.Err, fleet.ErrSkipped):
		return r.Err.Error()
	}
	msg, _, _ := strings.Cut(redact(r.Err.Error()), "\n")
	return "failed (" + errorKind(r.Err) + "): " + msg
}

// printFleet prints the summary table: one row per target, then the
// counts and the targets to run again.
func printFleet(w io.Writer, command string, results []fleet.Result[fleetRow], redact func(string) string) {
	switch command {
	case "lint", "apply":
		printFleetFindings(w, results, command == "apply", redact)
	case "drift":
		printFleetDifferences(w, results, redact)
	}
	t := newAligned(w)
	head, cells := fleetColumns(command)
	fmt.Fprintln(t, row(slices.Concat([]string{"TARGET"}, head, []string{"DURATION", "RESULT"})...))
	ok := 0
	for _, r := range results {
		if r.Err == nil {
			ok++
		}
		if errors.Is(r.Err, fleet.ErrSkipped) {
			fmt.Fprintln(t, row(slices.Concat([]string{r.Target.Name}, make([]string, len(head)+1), []string{resultText(r, redact)})...))
			continue
		}
		fmt.Fprintln(t, row(slices.Concat([]string{r.Target.Name}, cells(r.Value), []string{roundedDuration(r.Duration), resultText(r, redact)})...))
	}
	t.Flush()
	fmt.Fprintf(w, "%d targets: %d ok", len(results), ok)
	if n := len(results) - ok; n > 0 {
		fmt.Fprintf(w, ", %d failed or not started\nrun again for: %s", n, strings.Join(rerun(results), " "))
	}
	fmt.Fprintln(w)
}

// fleetColumns are the titles of a command's columns between the target
// and the duration, and the cells of a target's row under them.
func fleetColumns(command string) ([]string, func(fleetRow) []string) {
	n := func(vs ...int) []string {
		out := make([]string, len(vs))
		for i, v := range vs {
			out[i] = fmt.Sprint(v)
		}
		return out
	}
	switch command {
	case "apply":
		return []string{"APPLIED", "ALREADY APPLIED"}, func(r fleetRow) []string { return n(r.applied, r.alreadyApplied) }
	case "plan":
		return []string{"TO APPLY", "ALREADY APPLIED"}, func(r fleetRow) []string { return n(r.pending, r.alreadyApplied) }
	case "lint":
		return lintColumns()
	case "drift":
		return driftColumns()
	}
	return []string{"APPLIED", "PENDING"}, func(r fleetRow) []string { return n(r.applied, r.pending) }
}

// jsonFleet is the document of a command run over many targets with
// --json.
type jsonFleet struct {
	Command string            `json:"command"`
	OK      bool              `json:"ok"`
	Targets []jsonFleetTarget `json:"targets"`
	Counts  map[string]int    `json:"counts"`
	Rerun   []string          `json:"rerun"`
	Error   *jsonError        `json:"error,omitempty"`
}

type jsonFleetTarget struct {
	Target         string     `json:"target"`
	Schema         string     `json:"schema,omitempty"`
	Result         string     `json:"result"` // ok, failed, not-started
	Applied        *int       `json:"applied,omitempty"`
	AlreadyApplied *int       `json:"already_applied,omitempty"`
	Pending        *int       `json:"pending,omitempty"`
	DurationMS     *float64   `json:"duration_ms,omitempty"`
	Error          *jsonError `json:"error,omitempty"`
	jsonFleetLint             // lint, apply --lint
	jsonFleetDrift            // drift
}

func writeFleetJSON(w io.Writer, command string, results []fleet.Result[fleetRow], err error, redact func(string) string) {
	doc := &jsonFleet{Command: command, OK: err == nil, Targets: []jsonFleetTarget{}, Rerun: rerun(results),
		Counts: map[string]int{"targets": len(results), "ok": 0, "failed": 0, "not_started": 0}, Error: toJSONError(err, redact)}
	if doc.Rerun == nil {
		doc.Rerun = []string{}
	}
	for _, r := range results {
		j := jsonFleetTarget{Target: r.Target.Name, Schema: r.Target.Schema, Error: toJSONError(r.Err, redact)}
		switch {
		case r.Err == nil:
			j.Result = "ok"
		case errors.Is(r.Err, fleet.ErrSkipped):
			j.Result = "not-started"
		default:
			j.Result = "failed"
		}
		doc.Counts[strings.ReplaceAll(j.Result, "-", "_")]++
		if j.Result != "not-started" {
			j.DurationMS = millis(r.Duration)
			switch command {
			case "apply":
				j.Applied, j.AlreadyApplied = ptr(r.Value.applied), ptr(r.Value.alreadyApplied)
			case "plan":
				j.Pending, j.AlreadyApplied = ptr(r.Value.pending), ptr(r.Value.alreadyApplied)
			case "lint": // its findings below
			case "drift":
				if r.Value.drift != nil {
					j.Applied, j.Pending = ptr(r.Value.applied), ptr(r.Value.pending)
				}
				j.jsonFleetDrift = fleetDriftJSON(r.Value)
			default:
				j.Applied, j.Pending = ptr(r.Value.applied), ptr(r.Value.pending)
			}
			j.jsonFleetLint = fleetLintJSON(r.Value.lint) // lint, apply --lint
		}
		doc.Targets = append(doc.Targets, j)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	_ = enc.Encode(doc)
}
