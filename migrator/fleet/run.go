package fleet

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lib/pq"
	"github.com/pgmig/pgmig/migrator"
)

// DefaultParallel is the number of targets a Runner works on at once when
// Parallel is 0.
const DefaultParallel = 4

// Runner runs one operation over many targets with one set of migration
// files. The zero value works on DefaultParallel targets at a time and
// goes on after a failure.
type Runner struct {
	// Parallel is the number of targets worked on at once (0:
	// DefaultParallel). Each target uses one connection, opened when its
	// turn comes and closed when it ends, so a run holds at most Parallel
	// connections.
	Parallel int
	// FailFast stops starting targets after the first failure; those
	// already running finish.
	FailFast bool
	// Canary runs the first Canary targets before any other; if one of
	// them fails, no other target starts.
	Canary int
	// Options are given to every target's Migrator, before the options a
	// tenant schema needs (its tracking table and lock key).
	Options []migrator.Option
	// Logger, when set, is given to every target's Migrator with a
	// "target" attribute.
	Logger *slog.Logger
	// Progress, when set, is called each time a target starts or ends,
	// never twice at once.
	Progress func(Progress)
}

// Progress counts the targets of a run at one moment.
type Progress struct {
	Total, Done, Failed, Running int
}

func (p Progress) String() string {
	return fmt.Sprintf("%d/%d done, %d failed, %d running", p.Done, p.Total, p.Failed, p.Running)
}

// Result is what one target of a run came to.
type Result[R any] struct {
	Target Target
	// Value is what the operation returned for the target (also on
	// failure, where the operation returns a partial result); the zero
	// value when it did not run.
	Value R
	// Err is the target's error: the operation's, a *migrator.OptionError,
	// or an error matching ErrSkipped when the target never started.
	Err      error
	Duration time.Duration
}

// ErrSkipped is matched (errors.Is) by the error of a target that did not
// start: an earlier failure with FailFast, a failed canary, or a cancelled
// context.
var ErrSkipped = errors.New("not started")

// SkippedError is the error of a target that did not start. It matches
// ErrSkipped.
type SkippedError struct {
	Reason string // why: "an earlier target failed", ...
}

func (e *SkippedError) Error() string { return "not started: " + e.Reason }

// Is makes a *SkippedError match ErrSkipped.
func (e *SkippedError) Is(target error) bool { return target == ErrSkipped }

// Op is the operation a Runner runs on each target, with that target's
// Migrator. Return only what you keep: a Runner holds every target's
// value until it returns.
type Op[R any] func(ctx context.Context, t Target, m *migrator.Migrator) (R, error)

// Run runs op on every target, Parallel at a time, and returns one result
// per target in the order of targets. The files are shared by every
// target; each target gets a *sql.DB of one connection (lib/pq), closed as
// soon as it ends. A target of a tenant schema gets search_path set to its
// schema first (ahead of the search_path of its settings, else of public)
// through its connection settings, and WithTable(schema.migrations) and
// WithLockKey(SchemaLockKey(schema)) after r.Options. A target that fails
// does not stop the others unless FailFast or Canary says so; a cancelled
// ctx stops starting targets.
//
// With one connection per target, Apply skips its check that the lock's
// session is not shared (see migrator.Apply) and WithMonitor watches
// nothing.
func Run[R any](ctx context.Context, r *Runner, files *migrator.Files, targets []Target, op Op[R]) []Result[R] {
	results := make([]Result[R], len(targets))
	for i, t := range targets {
		results[i].Target = t
	}
	parallel := r.Parallel
	if parallel <= 0 {
		parallel = DefaultParallel
	}
	s := &state[R]{r: r, files: files, op: op, results: results, progress: Progress{Total: len(targets)}}
	canary := min(max(r.Canary, 0), len(targets))
	s.runRange(ctx, 0, canary, parallel)
	if canary > 0 && s.failed() {
		s.skipFrom(canary, "a canary target failed")
		return results
	}
	s.runRange(ctx, canary, len(targets), parallel)
	return results
}

// state is one Run in progress.
type state[R any] struct {
	r        *Runner
	files    *migrator.Files
	op       Op[R]
	results  []Result[R]
	mu       sync.Mutex
	progress Progress
	stop     string // why no more targets start; "" while they do
}

// runRange runs the targets [from, to) with parallel workers.
func (s *state[R]) runRange(ctx context.Context, from, to, parallel int) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(parallel, to-from) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if reason := s.stopReason(ctx); reason != "" {
					s.results[i].Err = &SkippedError{Reason: reason}
					continue
				}
				s.runOne(ctx, i)
			}
		}()
	}
	for i := from; i < to; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
}

// stopReason says why no more targets start, or "".
func (s *state[R]) stopReason(ctx context.Context) string {
	if ctx.Err() != nil {
		return "the run was cancelled"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stop
}

// skipFrom marks the targets from i on as skipped; none of them was
// handed to a worker.
func (s *state[R]) skipFrom(i int, reason string) {
	for ; i < len(s.results); i++ {
		s.results[i].Err = &SkippedError{Reason: reason}
	}
}

func (s *state[R]) failed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.progress.Failed > 0
}

// runOne runs the operation on target i.
func (s *state[R]) runOne(ctx context.Context, i int) {
	s.report(func(p *Progress) { p.Running++ })
	start := time.Now()
	res := &s.results[i]
	res.Value, res.Err = s.runTarget(ctx, res.Target)
	res.Duration = max(time.Since(start), time.Nanosecond)
	s.report(func(p *Progress) {
		p.Running--
		p.Done++
		if res.Err != nil {
			p.Failed++
			if s.r.FailFast && s.stop == "" {
				s.stop = "an earlier target failed"
			}
		}
	})
}

// report changes the progress under the lock and passes it on.
func (s *state[R]) report(change func(*Progress)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	change(&s.progress)
	if s.r.Progress != nil {
		s.r.Progress(s.progress)
	}
}

// runTarget opens target t, runs the operation and closes it.
func (s *state[R]) runTarget(ctx context.Context, t Target) (R, error) {
	m, db, err := Open(s.files, t, s.r.Logger, s.r.Options...)
	if err != nil {
		var zero R
		return zero, err
	}
	defer db.Close()
	return s.op(ctx, t, m)
}

// Open returns a Migrator of target t over files, and the *sql.DB under
// it (one connection, opened at the first query; the caller closes it),
// set up as Run sets up each target: opts, then a logger of logger's with
// the target's name, and for a tenant schema search_path with the schema
// first, the tracking table schema.migrations, [SchemaLockKey] of the
// schema and migrator.WithOtherTrackingTables (the other tenants' tables
// are no sign of a wrong search path). Use it for work on a target beside what Run's operation does
// with its Migrator.
func Open(files *migrator.Files, t Target, logger *slog.Logger, opts ...migrator.Option) (*migrator.Migrator, *sql.DB, error) {
	cfg := t.Config.Clone()
	opts = slices.Clone(opts)
	if logger != nil {
		opts = append(opts, migrator.WithLogger(logger.With("target", t.Name)))
	}
	if t.Schema != "" {
		if cfg.Runtime == nil {
			cfg.Runtime = map[string]string{}
		}
		cfg.Runtime["search_path"] = schemaSearchPath(t.Schema, cfg.Runtime["search_path"])
		opts = append(opts, migrator.WithTable(pq.QuoteIdentifier(t.Schema)+"."+migrator.DefaultTable),
			migrator.WithLockKey(SchemaLockKey(t.Schema)), migrator.WithOtherTrackingTables())
	}
	connector, err := pq.NewConnectorConfig(cfg)
	if err != nil {
		return nil, nil, &migrator.ConnectError{Err: err}
	}
	db := sql.OpenDB(connector)
	db.SetMaxOpenConns(1)
	m, err := files.New(db, opts...)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return m, db, nil
}

// schemaSearchPath puts schema first on the search path rest (public when
// empty).
func schemaSearchPath(schema, rest string) string {
	if strings.TrimSpace(rest) == "" {
		rest = "public"
	}
	return pq.QuoteIdentifier(schema) + ", " + rest
}

// Failed returns the results whose target failed or did not start.
func Failed[R any](results []Result[R]) []Result[R] {
	var out []Result[R]
	for _, r := range results {
		if r.Err != nil {
			out = append(out, r)
		}
	}
	return out
}
