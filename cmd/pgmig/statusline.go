package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/pgmig/pgmig/migrator"
	"golang.org/x/sys/unix"
)

// statusLine is the one line at the bottom of a terminal that says what
// apply is doing while it runs: "n/m file", and for a migration that runs
// long its elapsed time, wait event, blockers and a progress bar. It is
// redrawn in place (carriage return, erase to end of line), never longer
// than the terminal is wide, and cleared when apply ends. Log lines
// written through it (it is the console logger's writer) appear above it.
type statusLine struct {
	mu    sync.Mutex
	out   io.Writer
	fd    int    // the terminal, for its width
	text  string // what the line should show
	shown bool   // the line is on the screen
	drawn time.Time
	timer *time.Timer // a throttled redraw
}

// minRedraw is the shortest time between two redraws of the line: a run
// of many quick migrations does not flood the terminal.
const minRedraw = 100 * time.Millisecond

func newStatusLine(out io.Writer, fd uintptr) *statusLine {
	return &statusLine{out: out, fd: int(fd)}
}

// Write writes log output above the line.
func (s *statusLine) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shown {
		io.WriteString(s.out, "\r\x1b[K")
		s.shown = false
	}
	n, err := s.out.Write(p)
	s.draw()
	return n, err
}

// set shows text, at once or, within minRedraw of the last redraw, a
// moment later.
func (s *statusLine) set(text string) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.text = text
	if wait := minRedraw - time.Since(s.drawn); wait > 0 {
		if s.timer == nil {
			s.timer = time.AfterFunc(wait, func() {
				s.mu.Lock()
				defer s.mu.Unlock()
				s.timer = nil
				s.draw()
			})
		}
		return
	}
	s.draw()
}

// clear removes the line; it stays away until the next set.
func (s *statusLine) clear() {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	s.text = ""
	if s.shown {
		io.WriteString(s.out, "\r\x1b[K")
		s.shown = false
	}
}

// draw writes the line; s.mu is held.
func (s *statusLine) draw() {
	if s.text == "" {
		return
	}
	io.WriteString(s.out, "\r"+truncate(s.text, s.width()-1)+"\x1b[K")
	s.shown = true
	s.drawn = time.Now()
}

func (s *statusLine) width() int {
	if ws, err := unix.IoctlGetWinsize(s.fd, unix.TIOCGWINSZ); err == nil && ws.Col > 0 {
		return int(ws.Col)
	}
	return 80
}

// truncate cuts s to n characters, ending in "…" when cut.
func truncate(s string, n int) string {
	if n < 1 || utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// applyStatus feeds the status line of one apply: the position in the run
// (from WithBeforeMigration) and the reports (from WithMonitor).
type applyStatus struct {
	line *statusLine
	mu   sync.Mutex
	pos  string // "n/m file"
}

func (a *applyStatus) before(n, of int, mig migrator.Migration) {
	a.mu.Lock()
	a.pos = fmt.Sprintf("pgmig: %d/%d %s", n, of, mig.File)
	pos := a.pos
	a.mu.Unlock()
	a.line.set(pos)
}

func (a *applyStatus) report(r migrator.MigrationReport) {
	a.mu.Lock()
	pos := a.pos
	a.mu.Unlock()
	if pos == "" {
		pos = "pgmig: " + r.Migration.File
	}
	a.line.set(pos + statusText(r))
}

// statusText describes a report in a few words for the status line.
func statusText(r migrator.MigrationReport) string {
	var b strings.Builder
	if r.Statement > 0 {
		fmt.Fprintf(&b, " statement %d/%d", r.Statement, r.Statements)
	}
	if r.Attempt > 1 {
		fmt.Fprintf(&b, " attempt %d", r.Attempt)
	}
	fmt.Fprintf(&b, " %s", roundedDuration(r.Elapsed))
	switch {
	case r.WaitEventType == "Lock":
		fmt.Fprintf(&b, ": waiting for a lock (%s) for %s", r.WaitEvent, roundedDuration(r.LockWait))
		for i, bl := range r.Blockers {
			if i == 0 {
				b.WriteString(", blocked by")
			} else {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, " pid %d %s for %s", bl.PID, bl.State, roundedDuration(bl.StateFor))
		}
	case r.WaitEventType != "":
		fmt.Fprintf(&b, ": %s/%s", r.WaitEventType, r.WaitEvent)
	case r.State != "active":
		fmt.Fprintf(&b, ": %s", r.State)
	}
	if p := r.Progress; p != nil {
		fmt.Fprintf(&b, " | %s, %s", p.Command, p.Phase)
		if f := p.Fraction(); f >= 0 {
			fmt.Fprintf(&b, " %s %d%% %s/%s %s", bar(f, 20), int(f*100), count(p.Done), count(p.Total), p.Unit)
		}
	}
	return b.String()
}

// bar draws a progress bar of width characters for fraction f.
func bar(f float64, width int) string {
	full := int(f*float64(width) + 0.5)
	return "[" + strings.Repeat("#", full) + strings.Repeat("-", width-full) + "]"
}

// count formats a number with thousands separators.
func count(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
