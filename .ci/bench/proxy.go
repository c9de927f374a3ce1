package main

import (
	"encoding/binary"
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
// connections and round trips: a server reply that follows client data on
// the same connection. A round trip whose reply starts before the server's
// first ReadyForQuery on its connection is one of connecting (start-up,
// authentication); the proxy reads the server's message framing until then
// (connections without TLS only: sslmode=disable).
type delayProxy struct {
	ln     net.Listener
	target string

	mu           sync.Mutex
	delay        time.Duration
	conns        int           // connections since reset
	trips        int           // round trips since reset
	connectTrips int           // of which before the connection's first ReadyForQuery
	tls          int           // connections whose framing could not be read (TLS)
	added        time.Duration // delay actually added to the first reply chunk of each trip
	perConn      []*proxyConn  // connections since reset, in the order accepted
}

// proxyConn is what the proxy knows of one connection, under delayProxy.mu.
type proxyConn struct {
	clientSay bool // client sent data since the last server reply
	ready     bool // the server sent its first ReadyForQuery (or TLS hides it)
	started   bool // the server sent its first byte
	hdr       []byte
	skip      int // bytes left of the current message's body

	trips, connectTrips int // this connection's round trips, and those of connecting
}

// scan reads server bytes until the first ReadyForQuery ('Z') message.
func (c *proxyConn) scan(data []byte) (tls bool) {
	for len(data) > 0 && !c.ready {
		if !c.started {
			c.started = true
			switch data[0] {
			case 'N': // SSLRequest or GSSENCRequest refused: one byte
				data = data[1:]
				continue
			case 'S', 'G': // TLS or GSS encryption follows: unreadable
				c.ready = true
				return true
			}
		}
		if c.skip > 0 {
			n := min(c.skip, len(data))
			c.skip -= n
			data = data[n:]
			continue
		}
		n := min(5-len(c.hdr), len(data))
		c.hdr = append(c.hdr, data[:n]...)
		data = data[n:]
		if len(c.hdr) < 5 {
			continue
		}
		if c.hdr[0] == 'Z' {
			c.ready = true
		}
		c.skip = int(binary.BigEndian.Uint32(c.hdr[1:])) - 4
		c.hdr = c.hdr[:0]
	}
	return false
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
	p.delay, p.conns, p.trips, p.connectTrips, p.tls, p.added = delay, 0, 0, 0, 0, 0
	p.perConn = nil
}

// proxyCounts is what the proxy counted since reset.
type proxyCounts struct {
	conns        int // connections
	trips        int // round trips, connecting included
	connectTrips int // round trips of connecting (start-up, authentication)
	tls          int // connections whose start-up could not be told apart (TLS)
	perConn      []connCount
}

// connCount is the round trips of one connection.
type connCount struct {
	trips, connectTrips int
}

// counts returns the connections and round trips since reset.
func (p *delayProxy) counts() proxyCounts {
	p.mu.Lock()
	defer p.mu.Unlock()
	pc := proxyCounts{conns: p.conns, trips: p.trips, connectTrips: p.connectTrips, tls: p.tls}
	for _, c := range p.perConn {
		pc.perConn = append(pc.perConn, connCount{trips: c.trips, connectTrips: c.connectTrips})
	}
	return pc
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
		pc := &proxyConn{}
		p.mu.Lock()
		p.conns++
		p.perConn = append(p.perConn, pc)
		p.mu.Unlock()
		go p.pump(s, c, pc, false) // client to server, undelayed
		go p.pump(c, s, pc, true)  // server to client, delayed
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
func (p *delayProxy) pump(dst, src net.Conn, pc *proxyConn, fromServer bool) {
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
					ch.first = pc.clientSay
					if pc.clientSay {
						p.trips++
						pc.trips++
						if !pc.ready {
							p.connectTrips++
							pc.connectTrips++
						}
						pc.clientSay = false
					}
					if !pc.ready && pc.scan(buf[:n]) {
						p.tls++
					}
				} else {
					pc.clientSay = true
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
