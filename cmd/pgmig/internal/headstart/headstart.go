// Package headstart gives a run with nothing to do a head start: from its
// package initialiser, before most of pgmig has initialised, it opens the
// TCP (or Unix socket) connection that the command will log in over, and
// reads the migrations folder ahead.
//
// Package net and lib/pq initialise among the last of pgmig's packages,
// some 15 ms after the process started, and the command line is parsed
// after that. A new server process takes about 20 ms to come up, half of
// it before it reads the client's first message; reading a thousand small
// files takes about as long. This package starts both at once, on
// goroutines of their own, with plain system calls: it guesses the command
// (apply, status, verify or plan on one database), the server's address
// (guessTarget: lib/pq's rules for the simple cases) and the folder (the
// last argument) from os.Args and the environment.
//
// A guess is only ever a head start. Nothing is sent over the socket: the
// command's lib/pq dialer takes it ([Take]) only when it asks for that very
// network and address, and runs the whole login over it; a server that
// sees a connection close before its first byte logs nothing. The command
// takes the files read ahead ([Folder]) only for the folder it reads
// (the same file system object), and gets each file's bytes once, as a
// read of its own would have returned them; it checks and hashes them as
// usual. What is not taken is dropped.
package headstart

import (
	"os"
	"sync"
	"syscall"
)

// socket is the connection begun by the initialiser.
type socket struct {
	target
	done chan struct{} // closed when the connect ended; fd and err are set
	fd   int
	err  error

	mu      sync.Mutex
	claimed bool // Take handed it out, or Release closed it
}

// start is what the initialiser began.
type start struct {
	socket *socket
	files  *readAhead
}

var early *start

func init() {
	early = begin(os.Args[1:], os.Getenv)
}

// begin starts connecting and reading the folder for a command line args.
func begin(args []string, getenv func(string) string) *start {
	command, url, ok := oneDatabase(args)
	if !ok {
		return nil
	}
	s := &start{}
	if t, ok := guessTarget(url, getenv); ok {
		s.socket = connect(t)
	}
	if dir, info, ok := folderArgument(args, command); ok {
		s.files = readFolder(dir, info)
	}
	return s
}

func (s *start) conn() *socket {
	if s == nil {
		return nil
	}
	return s.socket
}

func (s *start) folder() *readAhead {
	if s == nil {
		return nil
	}
	return s.files
}

// connect starts connecting to t in a goroutine of its own.
func connect(t target) *socket {
	s := &socket{target: t, done: make(chan struct{}), fd: -1}
	go func() {
		defer close(s.done)
		family := syscall.AF_INET
		if t.network == "unix" {
			family = syscall.AF_UNIX
		}
		fd, err := syscall.Socket(family, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
		if err != nil {
			s.err = err
			return
		}
		for {
			err = syscall.Connect(fd, t.sa)
			if err != syscall.EINTR {
				break
			}
		}
		if err != nil {
			syscall.Close(fd)
			s.err = err
			return
		}
		s.fd = fd
	}()
	return s
}

// Take returns the socket connected from the initialiser when it is
// connected to address on network, once: the caller owns it then. Nil
// when there is none, when it went elsewhere or failed (the caller then
// dials as usual, and reports that attempt's error), or when cancel is
// closed before the connect ended.
func Take(network, address string, cancel <-chan struct{}) *os.File {
	return early.conn().take(network, address, cancel)
}

func (s *socket) take(network, address string, cancel <-chan struct{}) *os.File {
	if s == nil || s.network != network || s.address != address {
		return nil
	}
	s.mu.Lock()
	if s.claimed {
		s.mu.Unlock()
		return nil
	}
	s.claimed = true
	s.mu.Unlock()
	select {
	case <-s.done:
	case <-cancel:
		go s.discard()
		return nil
	}
	if s.err != nil {
		return nil
	}
	return os.NewFile(uintptr(s.fd), network+" "+address)
}

// discard closes the socket once its connect has ended.
func (s *socket) discard() {
	<-s.done
	if s.fd >= 0 {
		syscall.Close(s.fd)
	}
}

// Release closes the socket connected from the initialiser unless Take
// handed it out.
func Release() {
	early.conn().release()
}

func (s *socket) release() {
	if s == nil {
		return
	}
	s.mu.Lock()
	claimed := s.claimed
	s.claimed = true
	s.mu.Unlock()
	if !claimed {
		go s.discard()
	}
}
