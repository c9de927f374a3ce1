package main

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/lib/pq"
	"github.com/pgmig/pgmig/migrator"
)

// destructiveFlags are the flags of the commands that drop a database
// (dropdb, reset): they refuse unless confirmed, and refuse a server on
// another machine unless allowed.
type destructiveFlags struct {
	Yes         bool `help:"Drop without asking. Without a terminal to ask on (a script, CI) it is required; on a terminal pgmig otherwise asks you to type the database name. Never taken from the environment." env:"-"`
	AllowRemote bool `name:"allow-remote" help:"Also drop on a server that is not on this machine. Without it pgmig refuses, before connecting, unless every host of the connection settings is a loopback address (127.0.0.0/8, ::1), localhost or a Unix socket. Never taken from the environment." env:"-"`
}

// confirm refuses, with a *refusedError and before any connection, to let
// command (dropdb, reset) drop database name unless its server is on this
// machine (or --allow-remote) and the drop is confirmed: by --yes, or by
// the name typed on the terminal. then says what happens after the drop.
func (f *destructiveFlags) confirm(ctx context.Context, a *app, settings *connSettings, command, name, then string) error {
	target := settings.describe(name)
	if host := settings.remoteHost(); host != "" && !f.AllowRemote {
		return &refusedError{msg: fmt.Sprintf("%s refuses to drop database %q on %s: host %s is not on this machine (not a loopback address, localhost or a Unix socket); "+
			"pass --allow-remote to drop a database on another server", command, name, target, host)}
	}
	if f.Yes {
		return nil
	}
	if a.confirmIn == nil {
		return &refusedError{msg: fmt.Sprintf("%s drops database %q on %s, with everything in it: pass --yes to confirm "+
			"(stdin or stderr is not a terminal, so pgmig cannot ask you to type the name)", command, name, target)}
	}
	fmt.Fprintf(a.stderr, "pgmig %s will drop database %q on %s, with everything in it%s.\nType the database name to confirm: ", command, name, target, then)
	typed, err := readLine(ctx, a.confirmIn)
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	if errors.Is(err, io.EOF) && typed == "" {
		fmt.Fprintln(a.stderr)
		return &refusedError{msg: "no name typed: nothing was dropped"}
	}
	if typed != name {
		return &refusedError{msg: fmt.Sprintf("you typed %q, not %q: nothing was dropped", typed, name)}
	}
	return nil
}

// readLine reads one line from r, without its line ending, or returns
// ctx's error when ctx ends first (Ctrl-C at the prompt).
func readLine(ctx context.Context, r io.Reader) (string, error) {
	type result struct {
		line string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		line, err := bufio.NewReader(r).ReadString('\n')
		done <- result{strings.TrimRight(line, "\r\n"), err}
	}()
	select {
	case res := <-done:
		return res.line, res.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// remoteHost returns the first host of the settings that is not on this
// machine, or "" when every one is: hostaddr when given (libpq connects to
// it), else host. Nothing is resolved: a name other than localhost counts
// as remote.
func (c *connSettings) remoteHost() string {
	hosts := append([]pq.ConfigMultihost{{Host: c.cfg.Host, Hostaddr: c.cfg.Hostaddr}}, c.cfg.Multi...)
	for _, h := range hosts {
		if !isLocalHost(h.Host, h.Hostaddr) {
			if h.Hostaddr.IsValid() {
				return h.Hostaddr.String()
			}
			return h.Host
		}
	}
	return ""
}

// isLocalHost reports whether a server at host (or hostaddr addr, when
// valid) is on this machine: a loopback address, localhost (libpq's
// default, also when host is empty) or a Unix socket (a path, or a name in
// Linux's abstract namespace starting with @).
func isLocalHost(host string, addr netip.Addr) bool {
	if addr.IsValid() {
		return addr.Unmap().IsLoopback()
	}
	if host == "" || strings.EqualFold(host, "localhost") || strings.HasPrefix(host, "/") || strings.HasPrefix(host, "@") {
		return true
	}
	ip, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	return err == nil && ip.Unmap().IsLoopback()
}

// dropdbCmd is 'pgmig dropdb'.
type dropdbCmd struct {
	Name          string `arg:"" optional:"" help:"Database to drop (default: the database of the connection settings)."`
	MaintenanceDB string `name:"maintenance-db" help:"Database to connect to for DROP DATABASE (default: postgres, then template1; never the database to drop)." placeholder:"NAME"`
	destructiveFlags
}

func (c *dropdbCmd) Help() string {
	return `Drops the database, ending the sessions connected to it (DROP DATABASE ...
WITH (FORCE) from PostgreSQL 13; on 12 pgmig terminates them first). A
database that does not exist is no error. It connects to a maintenance
database of the same server, like createdb.

Everything in the database is lost, so pgmig asks first: on a terminal you
type the database name; without one (scripts, CI) --yes is required. It
also refuses, before connecting, a server that is not on this machine
unless --allow-remote is given. A refusal exits with 13 and changes nothing.

Examples:
  pgmig dropdb --url postgres://postgres@localhost/app_dev   # asks you to type app_dev
  pgmig dropdb --yes app_test                    # no question: for scripts
  PGHOST=/var/run/postgresql pgmig dropdb --yes scratch
  pgmig dropdb --yes --allow-remote --url postgres://admin@staging-db/app   # another machine`
}

func (c *dropdbCmd) Run(ctx context.Context, a *app) error {
	settings, err := resolveSettings(a.globals.URL, a.red)
	if err != nil {
		return err
	}
	name := c.Name
	if name == "" {
		name = settings.cfg.Database
	}
	if name == "" {
		return &usageError{msg: "no database to drop: name it, or give connection settings with a database"}
	}
	if err := c.confirm(ctx, a, settings, "dropdb", name, ""); err != nil {
		return err
	}
	return dropDatabase(ctx, a, settings, c.MaintenanceDB, name)
}

// dropDatabase drops database name through the maintenance database
// maintenanceDB of the same server (default: postgres, then template1,
// leaving out name itself) and says on stdout what it did. It asks nothing:
// the caller has confirmed.
func dropDatabase(ctx context.Context, a *app, settings *connSettings, maintenanceDB, name string) error {
	err := settings.onMaintenanceDB(maintenanceDB, name, func(db *sql.DB, dbname string) error {
		dropped, err := migrator.DropDatabase(ctx, db, name)
		if err != nil {
			return err
		}
		if dropped {
			a.log.Info().Str("database", name).Str("server", settings.describe(dbname)).Msg("dropped database")
			fmt.Fprintf(a.stdout, "dropped database %s\n", name)
		} else {
			a.log.Info().Str("database", name).Msg("database does not exist")
			fmt.Fprintf(a.stdout, "database %s does not exist\n", name)
		}
		return nil
	})
	return explain(nil, err)
}
