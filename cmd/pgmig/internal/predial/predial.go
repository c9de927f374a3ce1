// Package predial starts connecting to PostgreSQL before pgmig's command
// line is parsed.
//
// A new server process takes about as long to start as pgmig takes to read
// and hash a thousand files, and longer than the rest of a no-op run. So
// when the arguments name a command whose first need is one database
// (apply, status, verify, plan), pgmig starts dialling at once, with the
// settings that --url (when the arguments give it) and the environment
// resolve to, while the command line is parsed and the files are read. The
// command then takes the connection only if its own resolved settings are
// the same; otherwise, or when the command never connects, the connection
// is closed. The handshake sends no SQL, so a file error still comes before
// any statement.
//
// The dial itself runs over the socket that package headstart connected
// from its initialiser, when that one went where lib/pq dials.
package predial

import (
	"context"
	"database/sql/driver"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lib/pq"

	"github.com/pgmig/pgmig/cmd/pgmig/internal/headstart"
)

// Settings are resolved connection settings.
type Settings struct {
	Config pq.Config
	URL    string // the URL or key=value string parsed ("" for none)
	Env    string // the variable URL came from; "" when it was given
}

// Resolve resolves the connection settings of url: url itself, else
// $PGMIG_DATABASE_URL, else $DATABASE_URL, else the libpq PG* variables and
// defaults (which also fill in what a URL leaves out), with pgmig's
// defaults: sslmode prefer (libpq's), application_name pgmig, the user's
// name as the database (libpq's). The error is lib/pq's.
func Resolve(url string) (Settings, error) {
	s := Settings{URL: url}
	if url == "" {
		for _, env := range []string{"PGMIG_DATABASE_URL", "DATABASE_URL"} {
			if v := os.Getenv(env); v != "" {
				s.URL, s.Env = v, env
				break
			}
		}
	}
	cfg, err := pq.NewConfig(s.URL)
	if err != nil {
		return s, err
	}
	Defaults(&cfg)
	s.Config = cfg
	return s, nil
}

// Defaults gives cfg pgmig's defaults for what it leaves out: sslmode
// prefer (libpq's), application_name pgmig, the user's name as the
// database (libpq's).
func Defaults(cfg *pq.Config) {
	if cfg.SSLMode == "" {
		cfg.SSLMode = pq.SSLModePrefer
	}
	if cfg.ApplicationName == "" {
		cfg.ApplicationName = "pgmig"
	}
	if cfg.Database == "" {
		cfg.Database = cfg.User
	}
}

// Dial is a connection begun before the command line was parsed.
type Dial struct {
	cfg    pq.Config
	start  time.Time
	cancel context.CancelFunc
	done   chan struct{} // closed when the dial ended; conn, err and took are set
	conn   driver.Conn
	err    error
	took   time.Duration

	claimed   atomic.Bool // a connector took the dial's result
	headStart atomic.Bool // the dial ran over the socket package headstart connected
	mu        sync.Mutex
	dropped   bool // Close ran before anyone claimed it
}

// Start starts connecting for the command args name, or returns nil when
// that command does not open one database first or args leave its
// settings unclear.
func Start(args []string) *Dial {
	url, ok := headstart.OneDatabase(args)
	if !ok {
		return nil
	}
	s, err := Resolve(url)
	if err != nil {
		return nil // the command says what is wrong once its flags are parsed
	}
	connector, err := pq.NewConnectorConfig(s.Config.Clone())
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	d := &Dial{cfg: s.Config, start: time.Now(), cancel: cancel, done: make(chan struct{})}
	connector.Dialer(&headStartDialer{used: &d.headStart})
	go func() {
		conn, err := connector.Connect(ctx)
		if err != nil {
			conn = nil // lib/pq returns a typed nil with its error
		}
		d.mu.Lock()
		d.conn, d.err, d.took = conn, err, time.Since(d.start)
		if d.dropped && conn != nil {
			conn.Close()
			d.conn = nil
		}
		d.mu.Unlock()
		close(d.done)
	}()
	return d
}

// Config returns the settings d dials with.
func (d *Dial) Config() pq.Config { return d.cfg }

// Done is closed when the dial has ended.
func (d *Dial) Done() <-chan struct{} { return d.done }

// Took returns how long the dial took; valid once Done is closed.
func (d *Dial) Took() time.Duration { return d.took }

// HeadStart reports whether the dial ran over the socket that package
// headstart connected from its initialiser; valid once Done is closed.
func (d *Dial) HeadStart() bool { return d != nil && d.headStart.Load() }

// Claimed reports whether a connector handed the dial's result out.
func (d *Dial) Claimed() bool { return d != nil && d.claimed.Load() }

// Close ends the dial if no connector took it: it cancels a dial still
// running and closes a connection that came too late to be used.
func (d *Dial) Close() {
	headstart.Release()
	if d == nil || d.claimed.Load() {
		return
	}
	d.cancel()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.dropped = true
	if d.conn != nil {
		d.conn.Close()
		d.conn = nil
	}
}

// Connector returns a connector whose first Connect hands out d's
// connection (or its error), and which dials as next does after that.
func (d *Dial) Connector(next driver.Connector) driver.Connector {
	return &firstConnector{Connector: next, first: d}
}

type firstConnector struct {
	driver.Connector
	first *Dial
}

func (c *firstConnector) Connect(ctx context.Context) (driver.Conn, error) {
	if !c.first.claimed.CompareAndSwap(false, true) {
		return c.Connector.Connect(ctx)
	}
	select {
	case <-c.first.done:
		if c.first.err != nil {
			return nil, c.first.err
		}
		return c.first.conn, nil
	case <-ctx.Done():
		c.first.claimed.Store(false) // nobody took it: Close may drop it
		c.first.Close()
		return nil, ctx.Err()
	}
}

// headStartDialer is lib/pq's default dialer, except that it takes the
// socket package headstart connected, when it is connected where lib/pq
// dials.
type headStartDialer struct {
	d    net.Dialer
	used *atomic.Bool // set when the socket was taken
}

func (h *headStartDialer) Dial(network, address string) (net.Conn, error) {
	return h.DialContext(context.Background(), network, address)
}

func (h *headStartDialer) DialTimeout(network, address string, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return h.DialContext(ctx, network, address)
}

func (h *headStartDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	if f := headstart.Take(network, address, ctx.Done()); f != nil {
		c, err := net.FileConn(f) // a duplicate: the file is closed either way
		f.Close()
		if err == nil {
			h.used.Store(true)
			return c, nil
		}
	}
	return h.d.DialContext(ctx, network, address)
}
