// Command pgmig applies numbered SQL migrations to PostgreSQL, roll-forward
// only, compatible with postgres-migrations. Run `pgmig --help`.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/alecthomas/kong"
	"github.com/mattn/go-isatty"
	"github.com/pgmig/pgmig/cmd/pgmig/internal/predial"
)

func main() {
	if os.Getenv("GOGC") == "" {
		// Most runs end before their heap passes 8 MB: collecting at twice
		// the live heap instead of once spares a no-op over 1000 files
		// its only collection (about 1.5 ms on two CPUs), for a third more
		// memory at the peak of runs over very large files.
		debug.SetGCPercent(200)
	}
	os.Exit(runWithStdin(os.Stdin, os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process: it parses args, runs the command and
// returns the exit code. It has no stdin: commands that would ask for a
// confirmation (dropdb, reset) need --yes.
func run(args []string, stdout, stderr io.Writer) int {
	return runWithStdin(nil, args, stdout, stderr)
}

// runWithStdin is run with a stdin, from which dropdb and reset read the
// typed confirmation when stdin and stderr are both terminals.
func runWithStdin(stdin io.Reader, args []string, stdout, stderr io.Writer) int {
	terminal := isTerminal(stderr)
	rawStderr := stderr
	red := &redactor{}
	stderr = red.writer(stderr)
	stdout = red.writer(stdout)
	pre := predial.Start(args)
	defer pre.Close()
	var cli CLI
	exitCalled := -1
	options := []kong.Option{
		kong.Name("pgmig"),
		kong.Description(description + "\n\n" + exitCodeHelp()),
		kong.Writers(stdout, stderr),
		kong.Exit(func(code int) { exitCalled = code }),
		kong.UsageOnError(),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true}),
		kong.Vars{"version": version()},
		// Every flag also from PGMIG_<FLAG> (PGMIG_TABLE, PGMIG_LOCK_WAIT, ...),
		// except --url (PGMIG_DATABASE_URL has its own rule), --version,
		// and the confirmations of destructive commands.
		kong.DefaultEnvars("PGMIG"),
	}
	// The grammar of the one command named, when the arguments name one
	// plainly: building every command's costs a run several milliseconds.
	// Anything else, and any error, goes through the whole grammar, which
	// gives help, completion and messages.
	var kctx *kong.Context
	var err error
	if cmd, ok := cli.single(args); ok && os.Getenv("COMP_LINE") == "" {
		if parser, perr := kong.New(&cli.rootFlags, append(options, cmd)...); perr == nil {
			if kctx, err = parser.Parse(args); err != nil || exitCalled >= 0 {
				kctx, exitCalled, cli = nil, -1, CLI{}
			}
		}
	}
	if kctx == nil {
		parser, err := kong.New(&cli, options...)
		if err != nil {
			fmt.Fprintln(stderr, "pgmig: internal error:", err)
			return exitFailure
		}
		if completeCommandLine(parser) {
			return exitOK
		}
		kctx, err = parser.Parse(args)
		if exitCalled >= 0 { // --help or --version printed and asked to exit
			return exitCalled
		}
		if err != nil {
			fmt.Fprintf(stderr, "pgmig: %s\n", red.redact(err.Error()))
			fmt.Fprintln(stderr, "run 'pgmig --help' for usage")
			return exitUsage
		}
	}

	app := &app{stdout: stdout, stderr: stderr, red: red, globals: &cli.Globals, stdin: stdin, pre: pre}
	if terminal && isTerminal(stdin) {
		app.confirmIn = stdin
	}
	logOut := stderr
	if terminal && (cli.LogFormat == "auto" || cli.LogFormat == "console" || cli.LogFormat == "") {
		// Console logs on a terminal: they share it with the status line.
		app.status = newStatusLine(stderr, rawStderr.(interface{ Fd() uintptr }).Fd())
		logOut = app.status
	}
	ctx, stop := interruptContext(logOut)
	defer stop()
	level := cli.LogLevel
	if cli.Verbose {
		level = "debug"
	}
	app.log = newLogger(logOut, terminal, cli.LogFormat, level)
	kctx.BindTo(ctx, (*context.Context)(nil))
	err = kctx.Run(app)
	app.status.clear()
	code := exitCode(err)
	if err != nil {
		msg := red.redact(err.Error())
		if code == exitInterrupted {
			msg = "interrupted: " + msg
			if app.lockTaken {
				msg += "; the migration lock was released"
			}
		}
		fmt.Fprintf(stderr, "pgmig: error: %s\n", msg)
	}
	return code
}

// interruptContext is cancelled by the first SIGINT or SIGTERM, which makes
// pgmig cancel the running statement, roll back and release the lock. A
// second signal exits at once.
func interruptContext(stderr io.Writer) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case s := <-sigs:
			fmt.Fprintf(stderr, "pgmig: %s received: cancelling the running statement and rolling back (signal again to exit at once)\n", s)
			cancel()
		case <-ctx.Done():
			return
		}
		if _, ok := <-sigs; ok {
			os.Exit(exitInterrupted)
		}
	}()
	return ctx, func() { signal.Stop(sigs); cancel() }
}

// isTerminal reports whether f (an *os.File) is a terminal.
func isTerminal(v any) bool {
	f, ok := v.(interface{ Fd() uintptr })
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}
