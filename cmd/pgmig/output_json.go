package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"time"

	"github.com/pgmig/pgmig/migrator"
)

// The JSON documents pgmig prints on stdout with --json. Their shape is
// documented in the README; change both together and keep it additive.

type jsonMigration struct {
	ID                 int      `json:"id"`
	Name               string   `json:"name"`
	File               string   `json:"file,omitempty"`
	State              string   `json:"state,omitempty"`
	AppliedAt          *string  `json:"applied_at,omitempty"`
	DurationMS         *float64 `json:"duration_ms,omitempty"`
	StoredHash         string   `json:"stored_hash,omitempty"`
	CurrentHash        string   `json:"current_hash,omitempty"`
	Reason             string   `json:"reason,omitempty"`
	DisableTransaction bool     `json:"disable_transaction"`
	DisableHashCheck   bool     `json:"disable_hash_check"`
	// Waits: apply, a migration that ran long enough to be looked at.
	Waits *jsonWaits `json:"waits,omitempty"`
	// Lint: plan, the lint findings of a pending migration.
	Lint []jsonFinding `json:"lint,omitempty"`
}

type jsonWaits struct {
	Looks             int           `json:"looks"`
	LongestLockWaitMS *float64      `json:"longest_lock_wait_ms"`
	Blockers          []jsonBlocker `json:"blockers"`
	Terminated        []jsonBlocker `json:"terminated"`
}

type jsonProblem struct {
	Kind    string `json:"kind"`
	File    string `json:"file,omitempty"`
	ID      int    `json:"id,omitempty"`
	Message string `json:"message"`
}

type jsonError struct {
	Kind     string        `json:"kind"`
	ExitCode int           `json:"exit_code"`
	Message  string        `json:"message"`
	Problems []jsonProblem `json:"problems,omitempty"`
	// SQL failures
	File      string `json:"file,omitempty"`
	ID        int    `json:"id,omitempty"`
	SQLState  string `json:"sqlstate,omitempty"`
	Detail    string `json:"detail,omitempty"`
	Hint      string `json:"hint,omitempty"`
	Line      int    `json:"line,omitempty"`
	Column    int    `json:"column,omitempty"`
	Statement int    `json:"statement,omitempty"`
	// Lock timeouts: the setting, and each attempt when retries ran out.
	Timeout  *jsonTimeout  `json:"timeout,omitempty"`
	Attempts []jsonAttempt `json:"attempts,omitempty"`
}

type jsonTimeout struct {
	Setting string `json:"setting"`
	Value   string `json:"value"`
	Source  string `json:"source"`
}

type jsonAttempt struct {
	DurationMS *float64      `json:"duration_ms"`
	Blockers   []jsonBlocker `json:"blockers"`
}

type jsonBlocker struct {
	PID                int     `json:"pid"`
	User               string  `json:"user"`
	ApplicationName    string  `json:"application_name"`
	Client             string  `json:"client"`
	State              string  `json:"state"`
	TransactionSeconds float64 `json:"transaction_seconds"`
	StateSeconds       float64 `json:"state_seconds"`
	Query              string  `json:"query"`
}

func fromBlocker(b migrator.Blocker, redact func(string) string) jsonBlocker {
	return jsonBlocker{PID: b.PID, User: b.User, ApplicationName: b.ApplicationName, Client: b.Client, State: b.State,
		TransactionSeconds: b.TransactionFor.Seconds(), StateSeconds: b.StateFor.Seconds(), Query: redact(b.Query)}
}

func fromBlockers(bs []migrator.Blocker, redact func(string) string) []jsonBlocker {
	out := []jsonBlocker{}
	for _, b := range bs {
		out = append(out, fromBlocker(b, redact))
	}
	return out
}

// fromWaits is nil for a migration nothing looked at.
func fromWaits(w migrator.Waits, redact func(string) string) *jsonWaits {
	if w.Looks == 0 {
		return nil
	}
	return &jsonWaits{Looks: w.Looks, LongestLockWaitMS: millis(w.LongestLockWait),
		Blockers: fromBlockers(w.Blockers, redact), Terminated: fromBlockers(w.Terminated, redact)}
}

type jsonLockHolder struct {
	PID              int     `json:"pid"`
	ApplicationName  string  `json:"application_name"`
	Client           string  `json:"client"`
	ConnectedSeconds float64 `json:"connected_seconds"`
}

// jsonReport is the one document a command prints with --json.
type jsonReport struct {
	Command          string           `json:"command"`
	OK               bool             `json:"ok"`
	Table            string           `json:"table,omitempty"`
	TableExists      *bool            `json:"table_exists,omitempty"`
	CreateTable      *bool            `json:"create_table,omitempty"`
	Target           int              `json:"target,omitempty"`
	Migrations       []jsonMigration  `json:"migrations,omitempty"`
	Applied          []jsonMigration  `json:"applied,omitempty"`
	Pending          []jsonMigration  `json:"pending,omitempty"`
	AlreadyApplied   *int             `json:"already_applied,omitempty"`
	Remaining        int              `json:"pending_after_target,omitempty"`
	HashCheckSkipped []jsonMigration  `json:"hash_check_skipped,omitempty"`
	Counts           map[string]int   `json:"counts,omitempty"`
	Warnings         []jsonProblem    `json:"warnings,omitempty"`
	LockHolders      []jsonLockHolder `json:"lock_holders,omitempty"`
	DurationMS       *float64         `json:"duration_ms,omitempty"`
	// SingleTransaction: apply --single-transaction ran the pending
	// migrations in one transaction.
	SingleTransaction bool       `json:"single_transaction,omitempty"`
	Error             *jsonError `json:"error,omitempty"`
}

func millis(d time.Duration) *float64 {
	v := float64(d.Microseconds()) / 1000
	return &v
}

func ptr[T any](v T) *T { return &v }

func fromMigration(m migrator.Migration) jsonMigration {
	return jsonMigration{ID: m.ID, Name: m.Name, File: m.File, DisableTransaction: m.DisableTransaction, DisableHashCheck: m.DisableHashCheck}
}

func fromMigrations(ms []migrator.Migration) []jsonMigration {
	out := []jsonMigration{}
	for _, m := range ms {
		out = append(out, fromMigration(m))
	}
	return out
}

func fromStatus(s migrator.MigrationStatus) jsonMigration {
	j := jsonMigration{
		ID: s.ID, Name: s.Name, File: s.File, State: string(s.State),
		StoredHash: s.StoredHash, CurrentHash: s.CurrentHash, Reason: s.Reason,
		DisableTransaction: s.DisableTransaction, DisableHashCheck: s.DisableHashCheck,
	}
	if !s.AppliedAt.IsZero() {
		j.AppliedAt = ptr(s.AppliedAt.Format("2006-01-02T15:04:05.000000"))
	}
	if s.Duration > 0 {
		j.DurationMS = millis(s.Duration)
	}
	return j
}

func toJSONError(err error, redact func(string) string) *jsonError {
	if err == nil {
		return nil
	}
	j := &jsonError{Kind: errorKind(err), ExitCode: exitCode(err), Message: redact(err.Error())}
	var (
		ferr *migrator.FileError
		ierr *migrator.IntegrityError
		merr *migrator.MigrationError
		perr *migrator.PendingError
	)
	switch {
	case errors.As(err, &ferr):
		for _, p := range ferr.Problems {
			j.Problems = append(j.Problems, jsonProblem{Kind: "invalid-file", File: p.File, Message: p.Problem})
		}
	case errors.As(err, &ierr):
		for _, c := range ierr.Changed {
			j.Problems = append(j.Problems, jsonProblem{Kind: "changed", File: c.File, ID: c.ID,
				Message: c.Reason + "; stored hash " + c.StoredHash + ", file hash " + c.CurrentHash})
		}
		for _, m := range ierr.Missing {
			j.Problems = append(j.Problems, jsonProblem{Kind: "missing", ID: m.ID, Message: "applied as " + m.Name + " but its file is missing"})
		}
	case errors.As(err, &perr):
		for _, p := range perr.Pending {
			j.Problems = append(j.Problems, jsonProblem{Kind: "pending", File: p.File, ID: p.ID, Message: "not applied"})
		}
	case errors.As(err, &merr):
		j.File, j.ID, j.SQLState, j.Detail, j.Hint = merr.Migration.File, merr.Migration.ID, merr.SQLState, merr.Detail, merr.Hint
		j.Line, j.Column, j.Statement = merr.Line, merr.Column, merr.Statement
		if t := merr.Timeout; t != nil {
			j.Timeout = &jsonTimeout{Setting: t.Name, Value: t.Value, Source: t.Source}
		}
		for _, a := range merr.Attempts {
			j.Attempts = append(j.Attempts, jsonAttempt{DurationMS: millis(a.Duration), Blockers: fromBlockers(a.Blockers, redact)})
		}
	case errors.Is(err, context.Canceled):
	}
	return j
}

// writeJSON prints the report, completing ok and error from err.
func writeJSON(w io.Writer, r *jsonReport, err error, redact func(string) string) {
	r.OK = err == nil
	r.Error = toJSONError(err, redact)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	_ = enc.Encode(r)
}
