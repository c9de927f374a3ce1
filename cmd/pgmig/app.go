package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/lib/pq"
	"github.com/pgmig/pgmig/cmd/pgmig/internal/headstart"
	"github.com/pgmig/pgmig/cmd/pgmig/internal/predial"
	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/dirfs"
	"github.com/rs/zerolog"
)

// app is what every command gets when it runs.
type app struct {
	stdout, stderr io.Writer
	red            *redactor
	log            zerolog.Logger
	globals        *Globals
	lockTaken      bool          // the command took the migration lock (apply)
	status         *statusLine   // the terminal's status line; nil when stderr is no terminal or logs are JSON
	confirmIn      io.Reader     // where dropdb and reset read the typed confirmation: stdin when it and stderr are terminals, else nil
	stdin          io.Reader     // stdin, for --targets -; nil in tests that give none
	pre            *predial.Dial // the connection begun before the flags were parsed, or nil
}

// folderFlags are the flags of every command that reads a migrations folder
// and a database.
type folderFlags struct {
	Dir   string `arg:"" help:"Folder holding the migration files (top level only)." type:"path"`
	Table string `help:"Tracking table as [schema.]name (default: migrations, found through the search path; given explicitly, it is created when missing)." placeholder:"TABLE"`
	JSON  bool   `name:"json" help:"Print the result as one JSON document on stdout."`
}

// opened is what a command that reads a folder and a database works with.
type opened struct {
	migrator *migrator.Migrator
	settings *connSettings
	db       *sql.DB
}

func (o *opened) close() { o.db.Close() }

// open checks the folder, resolves the connection settings once and builds
// a Migrator, connecting while it reads the files; the caller closes the
// result.
func (f *folderFlags) open(a *app, opts ...migrator.Option) (*opened, error) {
	return f.openWith(a, true, opts...)
}

// openOffline is open without connecting.
func (f *folderFlags) openOffline(a *app, opts ...migrator.Option) (*opened, error) {
	return f.openWith(a, false, opts...)
}

func (f *folderFlags) openWith(a *app, connect bool, opts ...migrator.Option) (*opened, error) {
	if err := checkFolder(f.Dir); err != nil {
		return nil, err
	}
	settings, err := resolveSettings(a.globals.URL, a.red)
	if err != nil {
		return nil, err
	}
	pre := dialFor(a.pre, settings)
	db, err := settings.openDBFirst("", pre)
	if err != nil {
		return nil, err
	}
	opts = append(opts, migrator.WithLogger(librarySlog(a.log)))
	if f.Table != "" {
		opts = append(opts, migrator.WithTable(f.Table))
	}
	// Connect while the files are read and hashed. The handshake sends no
	// SQL, and a file error still comes first.
	// Debug logs time both: where a run's time goes.
	warm := make(chan error, 1)
	var connectTook time.Duration
	if !connect {
		warm <- nil
	} else {
		go func() {
			start := time.Now()
			conn, err := db.Conn(context.Background())
			if err == nil {
				conn.Close() // back to the pool, for the command's first query
			}
			connectTook = time.Since(start)
			if pre.Claimed() {
				connectTook = pre.Took() // begun before the flags were parsed
			}
			warm <- err
		}()
	}
	start := time.Now()
	fsys, readAhead := headstart.Folder(f.Dir, dirfs.New(f.Dir))
	m, err := migrator.New(db, fsys, opts...)
	if err != nil {
		db.Close()
		return nil, err
	}
	filesDone := time.Now()
	a.log.Debug().Int("files", m.Len()).Dur("duration", filesDone.Sub(start)).Bool("read_ahead", readAhead).
		Msg("migration files read and checked")
	// A database that does not exist yet may be created first (apply
	// --create-db); any other failure is the command's.
	err = <-warm
	waited := time.Since(filesDone)
	if err != nil && pq.As(err, "3D000") == nil {
		db.Close()
		return nil, settings.explainConnectError(err, "")
	}
	if connect {
		// waited: how long the files, once read, waited for the connection.
		a.log.Debug().Dur("duration", connectTook).Bool("before_flags", pre.Claimed()).
			Bool("head_start", pre.Claimed() && pre.HeadStart()).
			Dur("waited", waited).Msg("connected (while the files were read)")
	}
	return &opened{migrator: m, settings: settings, db: db}, nil
}

// checkFolder makes sure the migrations folder is a folder.
func checkFolder(dir string) error {
	info, err := os.Stat(dir)
	switch {
	case err != nil:
		return &folderError{msg: fmt.Sprintf("migrations folder %s: %v", dir, unwrapPath(err))}
	case !info.IsDir():
		return &folderError{msg: fmt.Sprintf("migrations folder %s is a file, not a folder", dir)}
	}
	return nil
}

// unwrapPath drops the path from an *os.PathError: messages name it already.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
