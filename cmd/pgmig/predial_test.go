package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/pgmig/pgmig/cmd/pgmig/internal/predial"
	"github.com/pgmig/pgmig/migrator/migratortest"
)

// countingProxy forwards TCP connections to a server and counts them.
type countingProxy struct {
	ln           net.Listener
	accepted     atomic.Int32
	open         atomic.Int32
	clientClosed atomic.Int32 // connections the client side ended
}

func startCountingProxy(t *testing.T, upstream string) *countingProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &countingProxy{ln: ln}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.accepted.Add(1)
			p.open.Add(1)
			s, err := net.Dial("tcp", upstream)
			if err != nil {
				c.Close()
				p.open.Add(-1)
				continue
			}
			wg.Add(2)
			go func() { defer wg.Done(); io.Copy(s, c); s.Close(); p.clientClosed.Add(1) }()
			go func() { defer wg.Done(); io.Copy(c, s); c.Close(); p.open.Add(-1) }()
		}
	}()
	return p
}

func (p *countingProxy) port() string { return strconv.Itoa(p.ln.Addr().(*net.TCPAddr).Port) }

// viaProxy is d's connection string through p (a later key wins).
func viaProxy(d *migratortest.Database, p *countingProxy) string {
	return d.DSN + " host=127.0.0.1 port=" + p.port()
}

// eventually polls cond for up to 5 s.
func eventually(cond func() bool) bool {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

// TestPreDialIsTheRunsConnection: a no-op apply connects once, with the
// connection begun before the flags were parsed, and says so in its debug
// log.
func TestPreDialIsTheRunsConnection(t *testing.T) {
	d := migratortest.NewDatabase(t)
	dir := writeMigrations(t, map[string]string{"1_a.sql": "CREATE TABLE a (id int);"})
	if code, _, stderr := pgmig(t, "--url", d.DSN, "apply", dir); code != exitOK {
		t.Fatalf("first apply: exit %d\n%s", code, stderr)
	}
	p := startCountingProxy(t, serverAddr(t, d))
	code, _, stderr := pgmig(t, "--url", viaProxy(d, p), "--log-format", "json", "--log-level", "debug", "apply", dir)
	if code != exitOK {
		t.Fatalf("no-op apply: exit %d\n%s", code, stderr)
	}
	if n := p.accepted.Load(); n != 1 {
		t.Errorf("no-op apply made %d connections, want 1", n)
	}
	var before *bool
	for line := range strings.Lines(stderr) {
		var ev struct {
			Message     string `json:"message"`
			BeforeFlags *bool  `json:"before_flags"`
		}
		if json.Unmarshal([]byte(line), &ev) == nil && ev.Message == "connected (while the files were read)" {
			before = ev.BeforeFlags
		}
	}
	if before == nil || !*before {
		t.Errorf("the run did not use the connection begun before the flags were parsed (before_flags %v):\n%s", before, stderr)
	}
}

// TestHeadStartCarriesTheRun: run as a process, a no-op apply logs in over
// the socket its initialiser connected and checks the files it read ahead,
// over one connection in all.
func TestHeadStartCarriesTheRun(t *testing.T) {
	d := migratortest.NewDatabase(t)
	dir := writeMigrations(t, map[string]string{"1_a.sql": "CREATE TABLE a (id int);", "2_b.sql": "CREATE TABLE b (id int);"})
	if code, _, stderr := pgmig(t, "--url", d.DSN, "apply", dir); code != exitOK {
		t.Fatalf("first apply: exit %d\n%s", code, stderr)
	}
	p := startCountingProxy(t, serverAddr(t, d))
	run := startPgmig(t, "--url", viaProxy(d, p), "--log-format", "json", "--log-level", "debug", "apply", dir)
	if code := run.wait(t); code != exitOK {
		t.Fatalf("no-op apply: exit %d\n%s", code, run.stderr.String())
	}
	if n := p.accepted.Load(); n != 1 {
		t.Errorf("no-op apply made %d connections, want 1", n)
	}
	var headStart, readAhead *bool
	files := -1
	for line := range strings.Lines(run.stderr.String()) {
		var ev struct {
			Message   string `json:"message"`
			HeadStart *bool  `json:"head_start"`
			ReadAhead *bool  `json:"read_ahead"`
			Files     int    `json:"files"`
		}
		if json.Unmarshal([]byte(line), &ev) != nil {
			continue
		}
		switch ev.Message {
		case "connected (while the files were read)":
			headStart = ev.HeadStart
		case "migration files read and checked":
			readAhead, files = ev.ReadAhead, ev.Files
		}
	}
	if headStart == nil || !*headStart {
		t.Errorf("the run did not log in over the socket connected from the initialiser (head_start %v):\n%s", headStart, run.stderr.String())
	}
	if readAhead == nil || !*readAhead || files != 2 {
		t.Errorf("the run did not check the files read ahead (read_ahead %v, %d files):\n%s", readAhead, files, run.stderr.String())
	}
}

// TestPreDialUnusedIsClosed: a dial the command does not take (its
// settings differ, or the command fails before it connects) is closed,
// and another connection carries the command.
func TestPreDialUnusedIsClosed(t *testing.T) {
	d := migratortest.NewDatabase(t)
	p := startCountingProxy(t, serverAddr(t, d))
	red := &redactor{}
	pre := predial.Start([]string{"--url", viaProxy(d, p), "status", "dir"})
	if pre == nil {
		t.Fatal("status with --url did not dial")
	}
	other, err := resolveSettings(d.DSN+" application_name=other", red)
	if err != nil {
		t.Fatal(err)
	}
	if dialFor(pre, other) != nil {
		t.Fatal("a dial with other settings was offered to the command")
	}
	same, err := resolveSettings(viaProxy(d, p), red)
	if err != nil {
		t.Fatal(err)
	}
	if dialFor(pre, same) != pre {
		t.Fatal("a dial with the command's settings was not offered to it")
	}
	<-pre.Done()
	pre.Close()
	if !eventually(func() bool { return p.clientClosed.Load() == 1 }) {
		t.Errorf("the unused connection was not closed: %d accepted, %d closed by pgmig", p.accepted.Load(), p.clientClosed.Load())
	}

	// Taken by a handle: its first connection is the dial's, the next a new one.
	pre = predial.Start([]string{"--url", viaProxy(d, p), "status", "dir"})
	db, err := same.openDBFirst("", pre)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c1, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pre.Close() // taken: no effect
	var pid1, pid2 int
	if err := c1.QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&pid1); err != nil {
		t.Fatal(err)
	}
	if err := c2.QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&pid2); err != nil {
		t.Fatal(err)
	}
	if pid1 == pid2 || p.accepted.Load() != 3 {
		t.Errorf("two connections of the handle: server processes %d and %d, %d connections through the proxy in all, want 3", pid1, pid2, p.accepted.Load())
	}
	c1.Close()
	c2.Close()
	db.Close()
	if !eventually(func() bool { return p.accepted.Load() == p.clientClosed.Load() }) {
		t.Fatalf("after closing the handle: %d connections accepted, %d closed by pgmig", p.accepted.Load(), p.clientClosed.Load())
	}

	// A command that fails before it connects leaves no connection open.
	code, _, _ := pgmig(t, "--url", viaProxy(d, p), "apply", filepath.Join(t.TempDir(), "missing"))
	if code == exitOK {
		t.Fatal("apply of a missing folder succeeded")
	}
	if !eventually(func() bool { return p.accepted.Load() == p.clientClosed.Load() }) {
		t.Errorf("after a failed apply: %d connections accepted, %d closed by pgmig", p.accepted.Load(), p.clientClosed.Load())
	}
}

// serverAddr is the host:port of d's server.
func serverAddr(t *testing.T, d *migratortest.Database) string {
	t.Helper()
	cfg, err := pq.NewConfig(d.DSN)
	if err != nil {
		t.Fatal(err)
	}
	return net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port)))
}
