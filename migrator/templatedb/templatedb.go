// Package templatedb makes migrated databases in milliseconds by cloning a
// template: a database with every migration of a folder applied, built
// once per distinct set of files and kept on the server, then copied with
// CREATE DATABASE … TEMPLATE for each test (or each throwaway database).
//
// A template is named pgmig_tpl_FAMILY_KEY. KEY is a hash of pgmig's
// version, the tracking table and every file's name and content (its
// migration hash), so a changed, added or removed file makes a new
// template. FAMILY names the folder (by default a hash of its first file,
// which a folder keeps while it grows); when a new template of a family is
// built, the family's older templates are dropped.
//
// Building is safe from many processes at once: the builder holds a
// session advisory lock keyed by the template's name on the server's
// maintenance database, and marks the database a template (datistemplate)
// only once every migration is applied. A database left by a build that
// died is not a template, and is dropped and built again.
package templatedb

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/lib/pq"
	"github.com/pgmig/pgmig/migrator"
	pgsql "github.com/pgmig/pgmig/sql"
)

// Prefix starts the name of every template database.
const Prefix = "pgmig_tpl_"

// Options adjust how a template is keyed and built.
type Options struct {
	// Family groups the templates of one folder: building a new one drops
	// the others of its family. Default: the first 8 hex digits of the
	// SHA-256 of the first migration's file name and hash. At most 16
	// characters of [a-z0-9_].
	Family string
	// Version is pgmig's version in the key. Default: the version of the
	// module github.com/pgmig/pgmig in the running binary's build info
	// ("devel" when it has none, as in pgmig's own tests).
	Version string
	// Table is the tracking table, as migrator.WithTable takes it; it is
	// part of the key. Default: migrations.
	Table string
	// Migrator holds further options for applying the migrations to the
	// template (a logger, timeouts); they are not part of the key.
	Migrator []migrator.Option
}

// Template is a complete template database.
type Template struct {
	Name string // the database name
	Key  string // hash of the files, table and version
	// Built is true when this call built it, false when it was there.
	Built bool
	// BuildTime is how long building it took (zero when not built).
	BuildTime time.Duration
	// Dropped lists the older templates of the family that this call
	// dropped.
	Dropped []string
}

// Server makes template databases and their clones on one PostgreSQL
// server. It is safe for concurrent use.
type Server struct {
	cfg     pq.Config
	db      *sql.DB // the maintenance database
	version int     // server major version, once known

	mu    sync.Mutex
	ready map[string]Template // templates known complete, by name
	build map[string]*sync.Mutex
}

// Open returns a Server that reaches the server through the settings of
// cfg: its database (usually postgres) serves to create, lock and drop;
// the other settings serve to connect to a template while it is built. It
// does no I/O. Close it when done.
func Open(cfg pq.Config) (*Server, error) {
	connector, err := pq.NewConnectorConfig(cfg)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(connector)
	db.SetMaxIdleConns(4)
	return &Server{cfg: cfg, db: db, ready: map[string]Template{}, build: map[string]*sync.Mutex{}}, nil
}

// Close closes the Server's connections.
func (s *Server) Close() error { return s.db.Close() }

// Key returns the key of a template of files with opts, and its name.
func Key(files *migrator.Files, opts Options) (key, name string) {
	version := opts.Version
	if version == "" {
		version = pgmigVersion()
	}
	table := opts.Table
	if table == "" {
		table = migrator.DefaultTable
	}
	h := sha256.New()
	fmt.Fprintf(h, "pgmig-template\x00%s\x00%s\x00", version, table)
	migs := files.Migrations()
	for _, m := range migs {
		fmt.Fprintf(h, "%s\x00%s\x00", m.File, m.Hash)
	}
	key = hex.EncodeToString(h.Sum(nil))[:16]
	family := opts.Family
	if family == "" {
		family = "empty"
		if len(migs) > 0 {
			sum := sha256.Sum256([]byte(migs[0].File + "\x00" + migs[0].Hash))
			family = hex.EncodeToString(sum[:4])
		}
	}
	return key, Prefix + family + "_" + key
}

// Ensure returns the template of files with opts, building it first when
// the server has no complete one, and then dropping the older templates
// of its family. Builds of one template from many processes at once take
// turns: one builds, the others find it complete. It returns a
// *migrator.ConnectError when the server cannot be reached, a
// *migrator.MigrationError (or another error of migrator's Apply) when a
// migration fails (the incomplete database is dropped), or the server's
// error (for example without the CREATEDB privilege).
func (s *Server) Ensure(ctx context.Context, files *migrator.Files, opts Options) (Template, error) {
	if opts.Family != "" && !validFamily(opts.Family) {
		return Template{}, fmt.Errorf("template family %q: want at most 16 characters of a-z, 0-9 and _", opts.Family)
	}
	key, name := Key(files, opts)
	s.mu.Lock()
	if t, ok := s.ready[name]; ok {
		s.mu.Unlock()
		return Template{Name: t.Name, Key: t.Key}, nil
	}
	m := s.build[name]
	if m == nil {
		m = &sync.Mutex{}
		s.build[name] = m
	}
	s.mu.Unlock()
	// One build at a time in this process; the advisory lock covers the
	// other processes.
	m.Lock()
	defer m.Unlock()
	s.mu.Lock()
	t, ok := s.ready[name]
	s.mu.Unlock()
	if ok {
		return Template{Name: t.Name, Key: t.Key}, nil
	}
	t, err := s.ensureLocked(ctx, files, opts, key, name)
	if err != nil {
		return Template{}, err
	}
	s.mu.Lock()
	s.ready[name] = t
	s.mu.Unlock()
	return t, nil
}

// ensureLocked is Ensure under the advisory lock of the template.
func (s *Server) ensureLocked(ctx context.Context, files *migrator.Files, opts Options, key, name string) (Template, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return Template{}, &migrator.ConnectError{Err: err}
	}
	defer conn.Close()
	lockKey := nameLockKey(name)
	if err := pollLock(ctx, conn, lockKey); err != nil {
		return Template{}, err
	}
	defer func() {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		var released bool
		if err := conn.QueryRowContext(uctx, pgsql.TemplateUnlock, lockKey).Scan(&released); err != nil || !released {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn }) // ends the session, and so the lock
		}
	}()
	exists, complete, err := s.state(ctx, conn, name)
	if err != nil {
		return Template{}, err
	}
	t := Template{Name: name, Key: key}
	if !complete {
		if exists { // left by a build that died
			if err := s.drop(ctx, conn, name, false); err != nil {
				return Template{}, err
			}
		}
		start := time.Now()
		if err := s.buildTemplate(ctx, conn, files, opts, name); err != nil {
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
			defer cancel()
			_ = s.drop(cctx, conn, name, false)
			return Template{}, err
		}
		t.Built, t.BuildTime = true, time.Since(start)
		t.Dropped = s.dropFamily(ctx, conn, name)
	}
	return t, nil
}

// pollLock takes the advisory lock key on conn, polling.
func pollLock(ctx context.Context, conn *sql.Conn, key int64) error {
	pause := 10 * time.Millisecond
	for {
		var ok bool
		if err := conn.QueryRowContext(ctx, pgsql.TemplateTryLock, key).Scan(&ok); err != nil {
			return &migrator.ConnectError{Err: err}
		}
		if ok {
			return nil
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		pause = min(pause*2, 500*time.Millisecond)
	}
}

// state tells whether template name exists and is complete, and learns
// the server's version.
func (s *Server) state(ctx context.Context, q *sql.Conn, name string) (exists, complete bool, err error) {
	var version int
	if err := q.QueryRowContext(ctx, pgsql.TemplateState, name).Scan(&exists, &complete, &version); err != nil {
		return false, false, fmt.Errorf("looking up template database %s: %w", name, err)
	}
	s.mu.Lock()
	s.version = version
	s.mu.Unlock()
	return exists, complete, nil
}

// buildTemplate creates database name, applies every migration to it and
// marks it a template.
func (s *Server) buildTemplate(ctx context.Context, conn *sql.Conn, files *migrator.Files, opts Options, name string) error {
	create := pgsql.Render(pgsql.CreateDatabase, "name", pq.QuoteIdentifier(name), "options", " TEMPLATE template0")
	if _, err := conn.ExecContext(ctx, create); err != nil {
		return fmt.Errorf("creating template database %s: %w", name, err)
	}
	cfg := s.cfg.Clone()
	cfg.Database = name
	connector, err := pq.NewConnectorConfig(cfg)
	if err != nil {
		return err
	}
	db := sql.OpenDB(connector)
	mopts := append([]migrator.Option(nil), opts.Migrator...)
	if opts.Table != "" {
		mopts = append(mopts, migrator.WithTable(opts.Table))
	}
	m, err := files.New(db, mopts...)
	if err == nil {
		_, err = m.Apply(ctx)
	}
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("migrating template database %s: %w", name, err)
	}
	// Nobody may be connected to a template that is copied: the build's
	// sessions are closed above; CREATE DATABASE waits a few seconds for
	// their server processes to exit.
	if _, err := conn.ExecContext(ctx, pgsql.Render(pgsql.TemplateMark, "name", pq.QuoteIdentifier(name))); err != nil {
		return fmt.Errorf("marking template database %s complete: %w", name, err)
	}
	return nil
}

// nameLockKey is the advisory lock key of the build of template name: the
// first 8 bytes of the SHA-256 of "pgmig-template-lock" NUL name.
func nameLockKey(name string) int64 {
	sum := sha256.Sum256([]byte("pgmig-template-lock\x00" + name))
	return int64(binary.BigEndian.Uint64(sum[:8]))
}

// validFamily reports whether f may be part of a template's name.
func validFamily(f string) bool {
	if len(f) > 16 {
		return false
	}
	for _, c := range f {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// pgmigVersion is the version of module github.com/pgmig/pgmig in the
// running binary, or "devel".
func pgmigVersion() string {
	const path = "github.com/pgmig/pgmig"
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	mod := &bi.Main
	if mod.Path != path {
		mod = nil
		for _, d := range bi.Deps {
			if d.Path == path {
				mod = d
				if d.Replace != nil {
					mod = d.Replace
				}
			}
		}
	}
	if mod == nil || mod.Version == "" || mod.Version == "(devel)" {
		return "devel"
	}
	return mod.Version
}
