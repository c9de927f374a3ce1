package headstart

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"
)

// pqAddress returns where lib/pq dials for url under the environment env.
func pqAddress(t *testing.T, url string, env map[string]string) (string, string) {
	t.Helper()
	for _, k := range []string{"PGHOST", "PGHOSTADDR", "PGPORT", "PGSERVICE", "PGSERVICEFILE", "PGMIG_DATABASE_URL", "DATABASE_URL"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	cfg, err := pq.NewConfig(url)
	if err != nil {
		t.Fatalf("lib/pq refuses %q: %v", url, err)
	}
	c, err := pq.NewConnectorConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	d := &recordingDialer{}
	c.Dialer(d)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := c.Connect(ctx); !errors.Is(err, errRecorded) {
		t.Fatalf("connect %q: %v", url, err)
	}
	return d.network, d.address
}

var errRecorded = errors.New("recorded")

type recordingDialer struct{ network, address string }

func (d *recordingDialer) Dial(network, address string) (net.Conn, error) {
	if d.network == "" {
		d.network, d.address = network, address
	}
	return nil, errRecorded
}

func (d *recordingDialer) DialTimeout(network, address string, _ time.Duration) (net.Conn, error) {
	return d.Dial(network, address)
}

// TestGuessTargetAgreesWithLibPQ: where guessTarget knows the address, it
// is the one lib/pq dials; where it does not, it says so.
func TestGuessTargetAgreesWithLibPQ(t *testing.T) {
	for _, c := range []struct {
		url  string
		env  map[string]string
		want string // "" when guessTarget must not guess
	}{
		{"host=127.0.0.1 port=5433 user=u dbname=d", nil, "tcp 127.0.0.1:5433"},
		{"host=127.0.0.1", nil, "tcp 127.0.0.1:5432"},
		{"host='127.0.0.1' port = 6000 password='a b\\' c'", nil, "tcp 127.0.0.1:6000"},
		{"dbname=x", map[string]string{"PGHOST": "10.1.2.3", "PGPORT": "7000"}, "tcp 10.1.2.3:7000"},
		{"host=127.0.0.1 dbname=x", map[string]string{"PGHOST": "10.1.2.3", "PGPORT": "7000"}, "tcp 127.0.0.1:7000"},
		{"host=db.internal hostaddr=127.0.0.1 port=5440", nil, "tcp 127.0.0.1:5440"},
		{"", map[string]string{"PGHOSTADDR": "192.168.0.9"}, "tcp 192.168.0.9:5432"},
		{"postgres://u:p%40ss@127.0.0.1:5434/db?sslmode=disable", nil, "tcp 127.0.0.1:5434"},
		{"postgresql://127.0.0.1/db", nil, "tcp 127.0.0.1:5432"},
		{"postgres:///db?host=127.0.0.1&port=5999", nil, "tcp 127.0.0.1:5999"},
		{"postgres://u@/db?host=%2Fvar%2Frun%2Fpostgresql&port=5433", nil, "unix /var/run/postgresql/.s.PGSQL.5433"},
		{"postgres:///db?host=/tmp/", nil, "unix /tmp/.s.PGSQL.5432"},
		{"host=/var/run/postgresql port=5432", nil, "unix /var/run/postgresql/.s.PGSQL.5432"},
		{"dbname=x", map[string]string{"PGHOST": "/tmp"}, "unix /tmp/.s.PGSQL.5432"},
		{"host=/", nil, "unix /.s.PGSQL.5432"},

		{"", nil, ""},                                               // localhost: a name
		{"host=db.example.com", nil, ""},                            // a name
		{"host=::1", nil, ""},                                       // IPv6 is left to lib/pq
		{"postgres://[::1]:5432/db", nil, ""},                       // IPv6 is left to lib/pq
		{"host=127.0.0.1,127.0.0.2", nil, ""},                       // several hosts
		{"host=127.0.0.1 service=x", nil, ""},                       // a service file may say otherwise
		{"host=127.0.0.1", map[string]string{"PGSERVICE": "x"}, ""}, // the same
		{"host=127.000.0.1", nil, ""},                               // not a literal Go's resolver takes
		{"host=/var/run/../run/postgresql", nil, ""},                // not clean
	} {
		var network, address string
		if c.want != "" || !needsService(c.url, c.env) {
			network, address = pqAddress(t, c.url, c.env)
		}
		env := c.env
		got, ok := guessTarget(c.url, func(k string) string { return env[k] })
		switch {
		case c.want == "" && ok:
			t.Errorf("guessTarget(%q, %v) = %s %s, want no guess (lib/pq dials %s %s)", c.url, c.env, got.network, got.address, network, address)
		case c.want != "" && (!ok || got.network+" "+got.address != c.want):
			t.Errorf("guessTarget(%q, %v) = %s %s (%v), want %s", c.url, c.env, got.network, got.address, ok, c.want)
		case c.want != "" && network+" "+address != c.want:
			t.Errorf("lib/pq dials %s %s for %q, the test expects %s", network, address, c.url, c.want)
		}
	}
}

// needsService reports whether lib/pq would look for a service file.
func needsService(url string, env map[string]string) bool {
	return env["PGSERVICE"] != "" || strings.Contains(url, "service=")
}

// TestGuessTargetReadsTheURLVariables: with no --url, the URL comes from
// $PGMIG_DATABASE_URL, else $DATABASE_URL.
func TestGuessTargetReadsTheURLVariables(t *testing.T) {
	env := map[string]string{"DATABASE_URL": "postgres://127.0.0.1:6001/a"}
	getenv := func(k string) string { return env[k] }
	if got, ok := guessTarget("", getenv); !ok || got.address != "127.0.0.1:6001" {
		t.Errorf("from DATABASE_URL: %v %v", got.address, ok)
	}
	env["PGMIG_DATABASE_URL"] = "postgres://127.0.0.1:6002/a"
	if got, ok := guessTarget("", getenv); !ok || got.address != "127.0.0.1:6002" {
		t.Errorf("from PGMIG_DATABASE_URL: %v %v", got.address, ok)
	}
	if got, ok := guessTarget("host=127.0.0.1 port=6003", getenv); !ok || got.address != "127.0.0.1:6003" {
		t.Errorf("given: %v %v", got.address, ok)
	}
}

// FuzzGuessTarget: whatever the URL, a guess is where lib/pq dials (when
// lib/pq takes the URL at all), and reading never panics.
func FuzzGuessTarget(f *testing.F) {
	for _, k := range []string{"PGHOST", "PGHOSTADDR", "PGPORT", "PGSERVICE", "PGSERVICEFILE"} {
		f.Setenv(k, "")
		os.Unsetenv(k)
	}
	for _, s := range []string{"host=127.0.0.1 port=5433", "postgres://u@127.0.0.1:1/d?port=2", "host='/tmp/x y' port=1",
		"postgres:///d?host=%2Ftmp", "hostaddr=10.0.0.1 host=/tmp", "host=1.2.3.4 port=+5", "postgres://[::1]/d", "port=0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, url string) {
		got, ok := guessTarget(url, func(string) string { return "" })
		if !ok {
			return
		}
		cfg, err := pq.NewConfig(url)
		if err != nil {
			return // lib/pq refuses it: the command reports that, and the socket goes unused
		}
		c, err := pq.NewConnectorConfig(cfg)
		if err != nil {
			return
		}
		d := &recordingDialer{}
		c.Dialer(d)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := c.Connect(ctx); !errors.Is(err, errRecorded) {
			return // refused before dialling
		}
		if d.network != got.network || d.address != got.address {
			t.Errorf("guessTarget(%q) = %s %q; lib/pq dials %s %q", url, got.network, got.address, d.network, d.address)
		}
	})
}
