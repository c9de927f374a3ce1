// Package monitor watches a running migration from a second connection:
// how long its statement has run, what its server process waits for, who
// blocks it and how far PostgreSQL's own progress report for CREATE INDEX,
// REINDEX, CLUSTER and VACUUM has come. It can also terminate blockers that
// sit idle in a transaction.
//
// A watch costs nothing until its threshold has passed: it is a timer, and
// only once the timer fires does it query, every Options.Every, through the
// *sql.DB it was given (never the watched session's own connection, which
// is busy running the migration).
// A watch whose first look comes within a second (a short lock timeout
// about to end the statement it waits in) makes sure at once that the pool
// has a connection ready, so that the look does not spend its little time
// waiting for a new server process.
package monitor

import (
	"context"
	"database/sql"
	"strconv"
	"sync"
	"time"

	pgsql "github.com/pgmig/pgmig/sql"
)

// Options tune a Watch.
type Options struct {
	// After is how long the watched statement runs before the first look
	// (default 5s).
	After time.Duration
	// Every is the time between two looks after the first (default 2s).
	Every time.Duration
	// HideQueries leaves the query text of blockers out.
	HideQueries bool
	// TerminateIdleAfter, when positive, makes each look terminate
	// (pg_terminate_backend) the blockers that have been idle in a
	// transaction for longer than this, counted from the moment they went
	// idle (pg_stat_activity.state_change). A session running a query is
	// never terminated.
	TerminateIdleAfter time.Duration
}

// Defaults of Options.
const (
	DefaultAfter = 5 * time.Second
	DefaultEvery = 2 * time.Second
)

// prepareBefore is the threshold under which a watch readies a connection
// in the pool when it starts.
const prepareBefore = time.Second

// sampleTimeout bounds one look: a look that cannot get a connection
// (a full pool) or an answer in that time is dropped.
const sampleTimeout = 10 * time.Second

// Report is one look at the watched server process.
type Report struct {
	PID           int
	Elapsed       time.Duration // since Start
	State         string        // pg_stat_activity.state: "active", ...
	WaitEventType string        // "Lock", "IO", ... or "" when not waiting
	WaitEvent     string        // "relation", "DataFileRead", ...
	// LockWait is how long the process has waited for the lock it waits
	// for now (0 when it does not wait for a lock): exact from PostgreSQL
	// 14 (pg_locks.waitstart), on older servers counted from the first
	// look that saw the wait.
	LockWait   time.Duration
	Blockers   []Blocker // who blocks it, when it waits for a lock
	Progress   *Progress // PostgreSQL's progress report, when there is one
	Terminated []Blocker // blockers terminated by this look
	Err        error     // the look failed (the other fields are empty)
}

// Progress is PostgreSQL's progress report of a CREATE INDEX, REINDEX,
// CLUSTER, VACUUM FULL or VACUUM (pg_stat_progress_create_index,
// pg_stat_progress_cluster, pg_stat_progress_vacuum).
type Progress struct {
	Command string // "CREATE INDEX CONCURRENTLY", "CLUSTER", "VACUUM FULL", "VACUUM", ...
	Phase   string // "building index: scanning table", ...
	Done    int64
	Total   int64  // 0 when the phase has no count
	Unit    string // what Done and Total count: "blocks", "tuples" or "lockers"
}

// Fraction is Done/Total between 0 and 1, or -1 when the phase has no total.
func (p Progress) Fraction() float64 {
	if p.Total <= 0 {
		return -1
	}
	return min(1, float64(p.Done)/float64(p.Total))
}

// Waits sums up what the looks of one or more watches saw.
type Waits struct {
	Looks           int           // looks made
	LongestLockWait time.Duration // longest LockWait seen
	Blockers        []Blocker     // every session seen blocking, as last seen, in the order first seen
	LastBlockers    []Blocker     // the blockers of the latest look that found any
	Terminated      []Blocker     // sessions terminated
}

// Add adds what another watch saw.
func (w *Waits) Add(o Waits) {
	w.Looks += o.Looks
	w.LongestLockWait = max(w.LongestLockWait, o.LongestLockWait)
	w.addBlockers(o.Blockers)
	if len(o.LastBlockers) > 0 {
		w.LastBlockers = o.LastBlockers
	}
	w.Terminated = append(w.Terminated, o.Terminated...)
}

func (w *Waits) addBlockers(bs []Blocker) {
next:
	for _, b := range bs {
		for i := range w.Blockers {
			if w.Blockers[i].PID == b.PID {
				w.Blockers[i] = b
				continue next
			}
		}
		w.Blockers = append(w.Blockers, b)
	}
}

func (w *Waits) add(r Report) {
	w.Looks++
	w.LongestLockWait = max(w.LongestLockWait, r.LockWait)
	w.addBlockers(r.Blockers)
	w.addBlockers(r.Terminated)
	if len(r.Blockers) > 0 {
		w.LastBlockers = r.Blockers
	}
	w.Terminated = append(w.Terminated, r.Terminated...)
}

// Watch looks at one server process until stopped.
type Watch struct {
	db     *sql.DB
	pid    int
	opts   Options
	report func(Report)
	start  time.Time
	timer  *time.Timer
	stop   chan struct{}

	mu        sync.Mutex
	stopped   bool          // Stop was called
	returned  bool          // Stop returned: nothing may be added or reported any more
	inFlight  chan struct{} // closed when the current look ends; nil between looks
	waits     Waits
	waitSince time.Time // first look that saw the current lock wait (servers before 14)
}

// Start watches server process pid through db, which must be able to open
// a connection besides the one pid serves. After opts.After, and then
// every opts.Every, it looks at the process and calls report (if not nil)
// with what it found; report is never called after Stop returns, nor twice
// at once. Start itself does no I/O (it readies a connection in the
// background when opts.After is under a second).
func Start(db *sql.DB, pid int, opts Options, report func(Report)) *Watch {
	if opts.After <= 0 {
		opts.After = DefaultAfter
	}
	if opts.Every <= 0 {
		opts.Every = DefaultEvery
	}
	w := &Watch{db: db, pid: pid, opts: opts, report: report, start: time.Now(), stop: make(chan struct{})}
	if opts.After < prepareBefore {
		go w.prepare()
	}
	w.timer = time.AfterFunc(opts.After, w.run)
	return w
}

// Stop ends the watch and returns what it saw. A look in flight gets up
// to stopWait to finish, since it may just have terminated a blocker (which
// is what let the migration end) and that must not go unrecorded; past
// that it is not waited for (lib/pq can only ask the server to cancel a
// query, and behind a full pooler even that may hang): its result is
// dropped, and it ends on its own within a few seconds.
func (w *Watch) Stop() Waits {
	w.timer.Stop()
	w.mu.Lock()
	if !w.stopped {
		w.stopped = true
		close(w.stop)
	}
	inFlight := w.inFlight
	w.mu.Unlock()
	if inFlight != nil {
		t := time.NewTimer(stopWait)
		select {
		case <-inFlight:
		case <-t.C:
		}
		t.Stop()
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.returned = true
	return w.waits
}

// prepare takes a connection from the pool and gives it back at once:
// when the pool had none idle, that opens one, and the first look finds it
// there (or waits for it, if it comes first). A failure is left for that
// look to meet and report. The dial gets a look's time, not just until the
// first look: cut short, it would be wasted.
func (w *Watch) prepare() {
	ctx, cancel := context.WithTimeout(context.Background(), sampleTimeout)
	defer cancel()
	if c, err := w.db.Conn(ctx); err == nil {
		c.Close()
	}
}

// stopWait bounds how long Stop waits for a look in flight.
const stopWait = 2 * time.Second

func (w *Watch) run() {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
		}
		w.look()
		t.Reset(w.opts.Every)
	}
}

// look queries once and reports.
func (w *Watch) look() {
	w.mu.Lock()
	if w.stopped {
		w.mu.Unlock()
		return
	}
	done := make(chan struct{})
	w.inFlight = done
	w.mu.Unlock()
	defer close(done)
	ctx, cancel := context.WithTimeout(context.Background(), sampleTimeout)
	defer cancel()
	r, found := w.query(ctx)
	now := time.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	w.inFlight = nil
	if w.returned || !found {
		return
	}
	r.Elapsed = now.Sub(w.start)
	if r.WaitEventType == "Lock" {
		if w.waitSince.IsZero() {
			w.waitSince = now
		}
		if r.LockWait == 0 {
			r.LockWait = now.Sub(w.waitSince)
		}
	} else {
		w.waitSince = time.Time{}
	}
	if r.Err == nil {
		w.waits.add(r)
	}
	if w.report != nil {
		w.report(r)
	}
}

// query reads the activity, blockers and progress of the process and
// terminates idle blockers; found is false when the process is gone.
func (w *Watch) query(ctx context.Context) (r Report, found bool) {
	r.PID = w.pid
	var lockWait sql.NullFloat64
	var command, phase, unit sql.NullString
	var done, total sql.NullInt64
	err := w.db.QueryRowContext(ctx, pgsql.Render(pgsql.BackendActivity, "pid", strconv.Itoa(w.pid))).
		Scan(&r.State, &r.WaitEventType, &r.WaitEvent, &lockWait, &command, &phase, &done, &total, &unit)
	if err == sql.ErrNoRows {
		return r, false
	}
	if err != nil {
		return Report{PID: w.pid, Err: err}, true
	}
	if lockWait.Valid && r.WaitEventType == "Lock" {
		r.LockWait = seconds(lockWait.Float64)
	}
	if command.Valid {
		r.Progress = &Progress{Command: command.String, Phase: phase.String, Done: done.Int64, Total: total.Int64, Unit: unit.String}
	}
	if r.WaitEventType != "Lock" {
		return r, true
	}
	if w.opts.TerminateIdleAfter > 0 {
		if r.Terminated, err = terminateIdleBlockers(ctx, w.db, w.pid, w.opts.TerminateIdleAfter); err != nil {
			r.Err = err
		}
	}
	bs, err := queryBlockers(ctx, w.db, w.pid)
	if err != nil && r.Err == nil {
		r.Err = err
	}
	for _, b := range bs {
		if !contains(r.Terminated, b.PID) {
			r.Blockers = append(r.Blockers, b)
		}
	}
	if w.opts.HideQueries {
		hide(r.Blockers)
		hide(r.Terminated)
	}
	return r, true
}

func contains(bs []Blocker, pid int) bool {
	for _, b := range bs {
		if b.PID == pid {
			return true
		}
	}
	return false
}

func hide(bs []Blocker) {
	for i := range bs {
		bs[i].Query = ""
	}
}
