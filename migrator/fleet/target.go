package fleet

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/lib/pq"
	"github.com/pgmig/pgmig/migrator"
)

// Target is one database, or one tenant schema of a database, that a fleet
// run migrates.
type Target struct {
	// Name shows the target without its password: user@host:port/dbname,
	// followed by "/schema" for a tenant schema. It is what results,
	// progress and logs call the target.
	Name string
	// Schema is the tenant schema for a schema-per-tenant target, "" for a
	// whole database. A tenant schema's tracking table is
	// schema.migrations, its migrations run with search_path set to the
	// schema first, and its lock key is [SchemaLockKey] of the schema.
	Schema string
	// Config holds the connection settings, password included.
	Config pq.Config
}

// NewTarget returns the target of a whole database with connection
// settings cfg.
func NewTarget(cfg pq.Config) Target {
	return Target{Name: DisplayName(cfg), Config: cfg}
}

// SchemaTarget returns the target of tenant schema in the database of cfg.
func SchemaTarget(cfg pq.Config, schema string) Target {
	return Target{Name: DisplayName(cfg) + "/" + schema, Schema: schema, Config: cfg}
}

// DisplayName names a database without any secret: user@host:port/dbname.
func DisplayName(cfg pq.Config) string {
	host := cfg.Host
	if cfg.Hostaddr.IsValid() {
		host = cfg.Hostaddr.String()
	}
	dbname := cfg.Database
	if dbname == "" {
		dbname = cfg.User
	}
	return fmt.Sprintf("%s@%s:%d/%s", cfg.User, host, cfg.Port, dbname)
}

// ParseTarget reads a connection URL or key=value string (with the PG*
// environment variables filling in what it leaves out, as lib/pq does).
// Its error never quotes the string, which may hold a password.
func ParseTarget(dsn string) (Target, error) {
	cfg, err := pq.NewConfig(dsn)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = fmt.Errorf("invalid URL: %w", ue.Err)
		}
		return Target{}, err
	}
	return NewTarget(cfg), nil
}

// TargetsError lists the lines of a targets file that are not connection
// strings.
type TargetsError struct {
	Lines []LineError
}

// LineError is one bad line of a targets file.
type LineError struct {
	Line int   // 1-based
	Err  error // never quotes the line
}

func (e *TargetsError) Error() string {
	var b strings.Builder
	b.WriteString("invalid targets:")
	for _, l := range e.Lines {
		fmt.Fprintf(&b, "\n  line %d: %v", l.Line, l.Err)
	}
	return b.String()
}

// ReadTargets reads a targets file: one connection URL or key=value string
// per line; blank lines and lines whose first non-blank character is '#'
// are skipped (a '#' later on a line is part of it: passwords may hold
// one). It returns a *TargetsError naming every bad line, or the reader's
// error.
func ReadTargets(r io.Reader) ([]Target, error) {
	var (
		targets []Target
		bad     []LineError
	)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		t, err := ParseTarget(line)
		if err != nil {
			bad = append(bad, LineError{Line: n, Err: err})
			continue
		}
		targets = append(targets, t)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(bad) > 0 {
		return nil, &TargetsError{Lines: bad}
	}
	return targets, nil
}

// SchemaLockKey is the advisory lock key of a tenant schema's tracking
// table schema.migrations: the first 8 bytes, read as a big-endian signed
// 64-bit integer, of the SHA-256 of
//
//	"pgmig-lock" NUL schema NUL "migrations"
//
// with the schema's name as the catalog stores it (unquoted, case kept).
// Each tenant thus has a key of its own, and two runs on one tenant share
// theirs. In the one case in 2^64 where it equals [migrator.LockKey], the
// lowest bit is flipped, so that a tenant never waits for whole-database
// runs.
func SchemaLockKey(schema string) int64 {
	return TableLockKey(schema, migrator.DefaultTable)
}

// TableLockKey is [SchemaLockKey] for a tracking table of another name.
func TableLockKey(schema, table string) int64 {
	sum := sha256.Sum256([]byte("pgmig-lock\x00" + schema + "\x00" + table))
	key := int64(binary.BigEndian.Uint64(sum[:8]))
	if key == migrator.LockKey {
		key ^= 1
	}
	return key
}
