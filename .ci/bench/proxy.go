package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// delayProxy forwards TCP connections from 127.0.0.1 to the server and
// holds every chunk the server sends for delay before passing it on: one
// delay per round trip, as netem on one side of a link would add. It counts
// round trips: a server reply that follows client data.
type delayProxy struct {
	ln     net.Listener
	target string

	mu        sync.Mutex
	delay     time.Duration
	trips     int           // round trips since reset
	added     time.Duration // delay actually added to the first reply chunk of each trip
	clientSay bool          // client sent data since the last server reply
}

func newDelayProxy(target string) (*delayProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &delayProxy{ln: ln, target: target}
	go p.serve()
	return p, nil
}

func (p *delayProxy) port() int { return p.ln.Addr().(*net.TCPAddr).Port }

func (p *delayProxy) close() { p.ln.Close() }

// reset sets the delay and clears the counters.
func (p *delayProxy) reset(delay time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.delay, p.trips, p.added, p.clientSay = delay, 0, 0, false
}

// stats returns the round trips since reset and the mean delay added to each.
func (p *delayProxy) stats() (int, time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.trips == 0 {
		return 0, 0
	}
	return p.trips, p.added / time.Duration(p.trips)
}

func (p *delayProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		for _, conn := range []net.Conn{c, s} {
			conn.(*net.TCPConn).SetNoDelay(true)
		}
		go p.pump(s, c, false) // client to server, undelayed
		go p.pump(c, s, true)  // server to client, delayed
	}
}

type chunk struct {
	data    []byte
	arrived time.Time
	due     time.Time
	first   bool // first reply chunk of a round trip
}

// pump copies src to dst; for the server's direction each chunk waits until
// its arrival time plus the delay, so pipelined data is not slowed down more
// than a real link would.
func (p *delayProxy) pump(dst, src net.Conn, fromServer bool) {
	defer dst.Close()
	defer src.Close()
	q := make(chan chunk, 4096)
	go func() {
		defer close(q)
		for {
			buf := make([]byte, 64<<10)
			n, err := src.Read(buf)
			if n > 0 {
				now := time.Now()
				p.mu.Lock()
				ch := chunk{data: buf[:n], arrived: now, due: now}
				if fromServer {
					ch.due = now.Add(p.delay)
					ch.first = p.clientSay
					if p.clientSay {
						p.trips++
						p.clientSay = false
					}
				} else {
					p.clientSay = true
				}
				p.mu.Unlock()
				q <- ch
			}
			if err != nil {
				return
			}
		}
	}()
	for ch := range q {
		if d := time.Until(ch.due); d > 0 {
			time.Sleep(d)
		}
		if ch.first {
			added := time.Since(ch.arrived)
			p.mu.Lock()
			p.added += added
			p.mu.Unlock()
		}
		if _, err := dst.Write(ch.data); err != nil {
			return
		}
	}
}

// probeNetem tries to add a netem qdisc to a veth pair in a network
// namespace created for the probe, and removes both. It returns nil when
// netem works, else the reason.
func probeNetem() error {
	if os.Geteuid() != 0 {
		return errors.New("not root: cannot create a network namespace")
	}
	for _, tool := range []string{"ip", "tc"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s not installed (apt-get install iproute2)", tool)
		}
	}
	ns := fmt.Sprintf("pgmigbench%d", os.Getpid())
	veth := fmt.Sprintf("pgmb%d", os.Getpid()%100000)
	run := func(args ...string) error {
		out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s: %s", strings.Join(args, " "), strings.TrimSpace(string(out)))
		}
		return nil
	}
	if err := run("ip", "netns", "add", ns); err != nil {
		return err
	}
	defer run("ip", "netns", "del", ns)
	if err := run("ip", "link", "add", veth+"a", "type", "veth", "peer", "name", veth+"b", "netns", ns); err != nil {
		return err
	}
	defer run("ip", "link", "del", veth+"a")
	return run("tc", "qdisc", "add", "dev", veth+"a", "root", "netem", "delay", "1ms")
}
