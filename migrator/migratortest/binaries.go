package migratortest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
)

// ErrNoPostgres is wrapped by the errors that report that no PostgreSQL
// server is available: neither PGMIG_TEST_DATABASE_URL is set nor can the
// server binaries be found. Tests are skipped for it (failed under CI).
var ErrNoPostgres = errors.New("no postgresql server available")

// binDirEnv names the environment variable with the directory holding
// initdb and postgres.
const binDirEnv = "PGMIG_PG_BINDIR"

// debianBinGlob matches the server binary directories of Debian and Ubuntu
// packages (a variable for tests).
var debianBinGlob = "/usr/lib/postgresql/*/bin"

// binaries holds the paths of the server programs the harness runs.
type binaries struct {
	initdb   string
	postgres string
}

// findBinaries looks for initdb and postgres in dir when it is not empty,
// else in $PGMIG_PG_BINDIR, on PATH and in the highest-numbered
// /usr/lib/postgresql/*/bin, in that order. A dir or PGMIG_PG_BINDIR
// without the programs is an error of its own: it is a configuration
// mistake, not a missing server.
func findBinaries(dir string) (binaries, error) {
	if dir != "" {
		b, err := binariesIn(dir)
		if err != nil {
			return binaries{}, fmt.Errorf("bin directory %q: %w", dir, err)
		}
		return b, nil
	}
	if dir := os.Getenv(binDirEnv); dir != "" {
		b, err := binariesIn(dir)
		if err != nil {
			return binaries{}, fmt.Errorf("%s=%q: %w", binDirEnv, dir, err)
		}
		return b, nil
	}
	if pg, err := exec.LookPath("postgres"); err == nil {
		if b, err := binariesIn(filepath.Dir(pg)); err == nil {
			return b, nil
		}
		if initdb, err := exec.LookPath("initdb"); err == nil {
			return binaries{initdb: initdb, postgres: pg}, nil
		}
	}
	dirs, _ := filepath.Glob(debianBinGlob)
	sortByVersionDesc(dirs)
	for _, dir := range dirs {
		if b, err := binariesIn(dir); err == nil {
			return b, nil
		}
	}
	return binaries{}, fmt.Errorf("%w: initdb and postgres not found in $%s, on PATH or in %s",
		ErrNoPostgres, binDirEnv, debianBinGlob)
}

// binariesIn returns the server programs in dir, or an error if one is
// missing or not executable.
func binariesIn(dir string) (binaries, error) {
	b := binaries{
		initdb:   filepath.Join(dir, "initdb"),
		postgres: filepath.Join(dir, "postgres"),
	}
	for _, path := range []string{b.initdb, b.postgres} {
		fi, err := os.Stat(path)
		if err != nil {
			return binaries{}, fmt.Errorf("find %s: %w", filepath.Base(path), err)
		}
		if fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
			return binaries{}, fmt.Errorf("%s is not an executable file", path)
		}
	}
	return b, nil
}

// sortByVersionDesc sorts /usr/lib/postgresql/<version>/bin paths with the
// highest numeric version first.
func sortByVersionDesc(dirs []string) {
	version := func(dir string) float64 {
		v, err := strconv.ParseFloat(filepath.Base(filepath.Dir(dir)), 64)
		if err != nil {
			return -1
		}
		return v
	}
	sort.SliceStable(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
}
