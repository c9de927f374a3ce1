package pgcluster

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// process is a running postmaster.
type process struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	err  error         // result of Wait, valid once done is closed
}

// exited reports whether the process has exited.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Start starts the stopped cluster again on the same port and data
// directory and waits until it accepts connections. It returns an error
// when the cluster is running, or with the end of the server log when the
// server exits or is not ready within a minute.
func (c *Cluster) Start() error {
	return c.start(context.Background())
}

// start starts the server and waits until it is ready or ctx ends.
func (c *Cluster) start(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.proc != nil && !c.proc.exited() {
		return errors.New("start cluster: already running")
	}
	c.proc = nil
	args := []string{"-D", c.dataDir, "-p", fmt.Sprint(c.port), "-c", "unix_socket_directories=" + c.sockDir}
	for _, s := range c.settings {
		args = append(args, "-c", s)
	}
	logFile, err := os.OpenFile(c.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open server log: %w", err)
	}
	cmd := c.Command(c.bins.postgres, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// An aborted test process takes its server down with it.
	cmd.SysProcAttr.Pdeathsig = syscall.SIGQUIT
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("start postgres: %w", err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	if err := c.waitReady(ctx, p); err != nil {
		_ = p.cmd.Process.Kill()
		<-p.done
		return err
	}
	c.proc = p
	return nil
}

// waitReady polls the server until it accepts connections, it exits or
// readyTimeout passes.
func (c *Cluster) waitReady(ctx context.Context, p *process) error {
	db, err := sql.Open("postgres", c.DSN("postgres"))
	if err != nil {
		return fmt.Errorf("open readiness connection: %w", err)
	}
	defer db.Close()
	deadline := time.Now().Add(readyTimeout)
	for {
		pingCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err = db.PingContext(pingCtx)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("postgres exited during startup (%v); server log:\n%s", p.err, c.LogTail())
		case <-ctx.Done():
			return fmt.Errorf("wait for postgres to accept connections: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres not ready after %s: %w; server log:\n%s", readyTimeout, err, c.LogTail())
		}
	}
}

// stopSignals maps shutdown modes to the signals the postmaster takes.
var stopSignals = map[string]syscall.Signal{
	"smart":     syscall.SIGTERM,
	"fast":      syscall.SIGINT,
	"immediate": syscall.SIGQUIT,
}

// Stop shuts the cluster down in mode "smart" (wait for clients to
// disconnect), "fast" (roll back and disconnect clients) or "immediate"
// (crash, recovery runs on the next start) by sending SIGTERM, SIGINT or
// SIGQUIT to the postmaster, and waits until it has exited.
func (c *Cluster) Stop(mode string) error {
	sig, ok := stopSignals[mode]
	if !ok {
		return fmt.Errorf("stop cluster: unknown mode %q (want smart, fast or immediate)", mode)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.proc
	if p == nil || p.exited() {
		c.proc = nil
		return errors.New("stop cluster: not running")
	}
	if err := p.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("stop cluster: signal postmaster: %w", err)
	}
	select {
	case <-p.done:
	case <-time.After(stopTimeout):
		return fmt.Errorf("stop cluster: postgres still running %s after %s shutdown", stopTimeout, mode)
	}
	c.proc = nil
	return nil
}

// Restart stops the cluster in mode (smart, fast or immediate, as Stop)
// and starts it again on the same port and data directory, so that the
// server reads every configuration file anew and, after "immediate", runs
// crash recovery. It returns Stop's error without starting when the mode is
// unknown or the cluster is not running, else Start's error. Sessions of
// open *sql.DB handles end; database/sql opens new ones on their next use.
func (c *Cluster) Restart(mode string) error {
	if err := c.Stop(mode); err != nil {
		return err
	}
	return c.Start()
}

// Close stops the cluster (fast shutdown, SIGKILL after a minute) and
// removes its directory. Calling it again does nothing. The error reports
// a server that had to be killed or a directory that could not be removed.
func (c *Cluster) Close() error {
	c.mu.Lock()
	p := c.proc
	c.proc = nil
	c.mu.Unlock()
	var errs []error
	if p != nil && !p.exited() {
		_ = p.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-p.done:
		case <-time.After(stopTimeout):
			_ = p.cmd.Process.Kill()
			<-p.done
			errs = append(errs, fmt.Errorf("postgres did not stop within %s of a fast shutdown and was killed", stopTimeout))
		}
	}
	if err := os.RemoveAll(c.dir); err != nil {
		errs = append(errs, fmt.Errorf("remove cluster directory: %w", err))
	}
	return errors.Join(errs...)
}
