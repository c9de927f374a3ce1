package headstart

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// listen accepts connections on 127.0.0.1 and passes them on.
func listen(t *testing.T) (net.Listener, chan net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	conns := make(chan net.Conn, 4)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
			conns <- c
		}
	}()
	return ln, conns
}

func port(ln net.Listener) string { return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port) }

func noEnv(string) string { return "" }

// TestTakeHandsOutTheSocketOnce: the socket goes to the first Take for its
// address, connected and carrying what the taker writes, and to no other.
func TestTakeHandsOutTheSocketOnce(t *testing.T) {
	ln, conns := listen(t)
	s := begin([]string{"--url", "host=127.0.0.1 port=" + port(ln), "apply", "nowhere"}, noEnv)
	if s == nil || s.socket == nil {
		t.Fatal("apply on an IPv4 address did not connect ahead")
	}
	var server net.Conn
	select {
	case server = <-conns:
	case <-time.After(5 * time.Second):
		t.Fatal("the initialiser's connection never arrived")
	}
	if f := s.socket.take("tcp", "127.0.0.2:"+port(ln), nil); f != nil {
		t.Fatal("the socket went to another address")
	}
	f := s.socket.take("tcp", "127.0.0.1:"+port(ln), nil)
	if f == nil {
		t.Fatal("the socket did not go to its own address")
	}
	defer f.Close()
	if _, err := f.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(server, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("the server read %q, %v", buf, err)
	}
	if again := s.socket.take("tcp", "127.0.0.1:"+port(ln), nil); again != nil {
		t.Error("the socket was handed out twice")
	}
	s.socket.release() // taken: nothing to close
	if _, err := f.Write([]byte("x")); err != nil {
		t.Errorf("release closed a socket that was taken: %v", err)
	}
}

// TestReleaseClosesAnUnusedSocket: a socket nobody takes is closed, and
// the server sees the connection end without a byte.
func TestReleaseClosesAnUnusedSocket(t *testing.T) {
	ln, conns := listen(t)
	s := begin([]string{"status", "--url=postgres://127.0.0.1:" + port(ln) + "/db", "nowhere"}, noEnv)
	server := <-conns
	s.socket.release()
	server.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := server.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Errorf("after release the server read %d bytes, %v; want the end of the connection", n, err)
	}
	if f := s.socket.take("tcp", "127.0.0.1:"+port(ln), nil); f != nil {
		t.Error("a released socket was handed out")
	}
}

// TestTakeAfterAFailedConnect: a refused connect hands out nothing, so
// that the caller dials (and reports its own error).
func TestTakeAfterAFailedConnect(t *testing.T) {
	ln, _ := listen(t)
	p := port(ln)
	ln.Close()
	s := begin([]string{"verify", "--url", "host=127.0.0.1 port=" + p, "nowhere"}, noEnv)
	if f := s.socket.take("tcp", "127.0.0.1:"+p, nil); f != nil {
		f.Close()
		t.Error("a refused connect was handed out")
	}
}

// TestTakeGivesUpOnCancel: a taker that stops waiting gets nothing.
func TestTakeGivesUpOnCancel(t *testing.T) {
	s := &socket{target: target{network: "tcp", address: "192.0.2.1:5432"}, done: make(chan struct{}), fd: -1}
	cancel := make(chan struct{})
	close(cancel)
	if f := s.take("tcp", "192.0.2.1:5432", cancel); f != nil {
		t.Error("a cancelled Take returned a socket")
	}
	close(s.done) // the connect ends; discard closes nothing (fd -1)
}

// TestUnixSocket: a socket folder gets a Unix socket connection.
func TestUnixSocket(t *testing.T) {
	dir, err := os.MkdirTemp("", "hs") // short: socket paths are limited to ~100 bytes
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, ".s.PGSQL.5999")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	s := begin([]string{"--url", "host=" + dir + " port=5999", "plan", "nowhere"}, noEnv)
	f := s.socket.take("unix", path, nil)
	if f == nil {
		t.Fatal("no Unix socket connection")
	}
	f.Close()
}

// TestBeginOnlyForOneDatabase: other commands, fan-out and help start
// nothing.
func TestBeginOnlyForOneDatabase(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{{"version"}, {"validate", dir}, {"apply", "--help", dir}, {"createdb"},
		{"apply", "--each-database", "a%", dir}, {"lint", dir}, {"--log-level", "apply", dir}} {
		if s := begin(append([]string{"--url", "host=127.0.0.1 port=1"}, args...), noEnv); s != nil {
			t.Errorf("begin(%q) started", args)
		}
	}
	s := begin([]string{"apply", "--url", "host=db.example.com", dir}, noEnv)
	if s == nil || s.socket != nil || s.files == nil {
		t.Errorf("apply on a host name: %+v; want the folder read ahead and no connection", s)
	}
}
