package main

import (
	"context"
	"database/sql/driver"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lib/pq"
)

// Connecting takes PostgreSQL a new server process, which costs about as
// long as reading and hashing a thousand files. A command whose first need
// is the database starts connecting before its flags are parsed, with the
// settings that --url (when the arguments give it) and the environment
// resolve to. Once the flags are parsed, the command takes that connection
// only if its own settings are the same, and the connection is closed
// otherwise. The handshake sends no SQL: a file error still comes before
// any statement.

// preDialCommands are the commands that read a folder and a database and
// connect while they read the files (folderFlags.open).
var preDialCommands = map[string]bool{"apply": true, "status": true, "verify": true, "plan": true}

// preDialBlockers are flags with which a command connects otherwise (many
// targets) or not at all.
var preDialBlockers = []string{"--targets", "--each-database", "--each-schema", "--offline"}

// preDial is a connection begun before the flags were parsed.
type preDial struct {
	cfg    pq.Config
	start  time.Time
	cancel context.CancelFunc
	done   chan struct{} // closed when the dial ended; conn, err and took are set
	conn   driver.Conn
	err    error
	took   time.Duration

	claimed atomic.Bool // a connector took the dial's result
	mu      sync.Mutex
	dropped bool // close ran before anyone claimed it
}

// startPreDial starts connecting for the command args name, or returns
// nil when that command does not open one database first or the
// arguments leave its settings unclear.
func startPreDial(args []string, red *redactor) *preDial {
	name, ok := commandName(args)
	if !ok || !preDialCommands[name] {
		return nil
	}
	url, ok := urlArgument(args)
	if !ok {
		return nil
	}
	settings, err := resolveSettings(url, red)
	if err != nil {
		return nil // the command says what is wrong once its flags are parsed
	}
	connector, err := pq.NewConnectorConfig(settings.cfg.Clone())
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &preDial{cfg: settings.cfg.Clone(), start: time.Now(), cancel: cancel, done: make(chan struct{})}
	go func() {
		conn, err := connector.Connect(ctx)
		if err != nil {
			conn = nil // lib/pq returns a typed nil with its error
		}
		p.mu.Lock()
		p.conn, p.err, p.took = conn, err, time.Since(p.start)
		if p.dropped && conn != nil {
			conn.Close()
			p.conn = nil
		}
		p.mu.Unlock()
		close(p.done)
	}()
	return p
}

// urlArgument returns the value of --url among args ("" when absent), and
// false when args hold a flag with which the command connects otherwise.
// The value is only a guess (it could be another flag's value): the
// command compares the settings before it takes the connection.
func urlArgument(args []string) (string, bool) {
	url := ""
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		for _, f := range preDialBlockers {
			if a == f || strings.HasPrefix(a, f+"=") {
				return "", false
			}
		}
		switch {
		case a == "--url" && i+1 < len(args):
			url = args[i+1]
			i++
		case strings.HasPrefix(a, "--url="):
			url = strings.TrimPrefix(a, "--url=")
		}
	}
	return url, true
}

// forSettings returns p when it dialled with settings c, else nil; nil p
// gives nil.
func (p *preDial) forSettings(c *connSettings) *preDial {
	if p == nil || !reflect.DeepEqual(p.cfg, c.cfg) {
		return nil
	}
	return p
}

// close ends the dial if no connector took it: it cancels a dial still
// running and closes a connection that came too late to be used.
func (p *preDial) close() {
	if p == nil || p.claimed.Load() {
		return
	}
	p.cancel()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dropped = true
	if p.conn != nil {
		p.conn.Close()
		p.conn = nil
	}
}

// firstConnector hands out the pre-dialled connection (or its error) at
// its first Connect, then dials as its Connector does.
type firstConnector struct {
	driver.Connector
	first *preDial
}

func (c *firstConnector) Connect(ctx context.Context) (driver.Conn, error) {
	if c.first == nil || !c.first.claimed.CompareAndSwap(false, true) {
		return c.Connector.Connect(ctx)
	}
	select {
	case <-c.first.done:
		return c.first.conn, c.first.err
	case <-ctx.Done():
		c.first.claimed.Store(false) // nobody took it: close may drop it
		c.first.close()
		return nil, ctx.Err()
	}
}
