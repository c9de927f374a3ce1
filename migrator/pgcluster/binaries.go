package pgcluster

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
)

// ErrNoServer is wrapped by the errors that report that no PostgreSQL
// server can be started here: the server programs initdb and postgres
// cannot be found, or the process runs as root and there is no
// unprivileged user to run them as.
var ErrNoServer = errors.New("no postgresql server available")

// BinDirEnv names the environment variable with the directory holding
// initdb and postgres. When it is set, only that directory is used.
const BinDirEnv = "PGMIG_PG_BINDIR"

// Directory patterns searched for server binaries after PATH, newest
// major version first (variables for tests): Debian and Ubuntu packages,
// and the npm builds that pgmig's CI caches (.ci/pg-binaries).
var (
	debianBinGlob = "/usr/lib/postgresql/*/bin"
	npmBinGlob    = "/var/tmp/pgmig-pg/*/native/bin"
)

// binaries holds the paths of the server programs a cluster runs.
type binaries struct {
	initdb   string
	postgres string
}

// findBinaries looks for initdb and postgres in dir when it is not empty,
// else in $PGMIG_PG_BINDIR; a dir or PGMIG_PG_BINDIR without the programs
// is an error of its own, a configuration mistake rather than a missing
// server. Otherwise it searches PATH, then /usr/lib/postgresql/*/bin, then
// /var/tmp/pgmig-pg/*/native/bin (each newest first): the first candidate
// of major version prefer when prefer > 0 and there is one, else the first
// candidate found.
func findBinaries(dir string, prefer int) (binaries, error) {
	if dir != "" {
		b, err := binariesIn(dir)
		if err != nil {
			return binaries{}, fmt.Errorf("bin directory %q: %w", dir, err)
		}
		return b, nil
	}
	if dir := os.Getenv(BinDirEnv); dir != "" {
		b, err := binariesIn(dir)
		if err != nil {
			return binaries{}, fmt.Errorf("%s=%q: %w", BinDirEnv, dir, err)
		}
		return b, nil
	}
	found := searchBinaries()
	if len(found) == 0 {
		return binaries{}, fmt.Errorf("%w: initdb and postgres not found in $%s, on PATH, in %s or in %s",
			ErrNoServer, BinDirEnv, debianBinGlob, npmBinGlob)
	}
	if prefer > 0 {
		for _, b := range found {
			if v, err := ProgramMajor(b.postgres); err == nil && v == prefer {
				return b, nil
			}
		}
	}
	return found[0], nil
}

// searchBinaries returns the server builds on PATH, in
// /usr/lib/postgresql/*/bin and in /var/tmp/pgmig-pg/*/native/bin, in
// that order (each directory pattern newest first).
func searchBinaries() []binaries {
	var found []binaries
	if pg, err := exec.LookPath("postgres"); err == nil {
		if b, err := binariesIn(filepath.Dir(pg)); err == nil {
			found = append(found, b)
		} else if initdb, err := exec.LookPath("initdb"); err == nil {
			found = append(found, binaries{initdb: initdb, postgres: pg})
		}
	}
	for _, glob := range []string{debianBinGlob, npmBinGlob} {
		dirs, _ := filepath.Glob(glob)
		sortByVersionDesc(dirs)
		for _, dir := range dirs {
			if b, err := binariesIn(dir); err == nil {
				found = append(found, b)
			}
		}
	}
	return found
}

// Installation is a build of the PostgreSQL server found on the machine.
type Installation struct {
	Major  int    // major version, for example 15
	BinDir string // directory of its postgres program
}

// Installations lists the server builds that Start can choose from when
// Options.BinDir is empty: the one of PGMIG_PG_BINDIR alone when it is
// set, else those on PATH, in /usr/lib/postgresql/*/bin and in
// /var/tmp/pgmig-pg/*/native/bin, in search order, each major version
// once (the first found). It runs each postgres --version.
func Installations() []Installation {
	var found []binaries
	if dir := os.Getenv(BinDirEnv); dir != "" {
		if b, err := binariesIn(dir); err == nil {
			found = append(found, b)
		}
	} else {
		found = searchBinaries()
	}
	var out []Installation
	seen := map[int]bool{}
	for _, b := range found {
		v, err := ProgramMajor(b.postgres)
		if err != nil || seen[v] {
			continue
		}
		seen[v] = true
		out = append(out, Installation{Major: v, BinDir: filepath.Dir(b.postgres)})
	}
	return out
}

// binariesIn returns the server programs in dir, or an error if one is
// missing or not executable.
func binariesIn(dir string) (binaries, error) {
	b := binaries{
		initdb:   filepath.Join(dir, "initdb"),
		postgres: filepath.Join(dir, "postgres"),
	}
	for _, path := range []string{b.initdb, b.postgres} {
		if err := checkExecutable(path); err != nil {
			return binaries{}, err
		}
	}
	return b, nil
}

// checkExecutable returns an error unless path is an executable file.
func checkExecutable(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("find %s: %w", filepath.Base(path), err)
	}
	if fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("%s is not an executable file", path)
	}
	return nil
}

// versionDirRE finds the version directory in a bin directory path such as
// /usr/lib/postgresql/16/bin or /var/tmp/pgmig-pg/16/native/bin.
var versionDirRE = regexp.MustCompile(`/(\d+(?:\.\d+)?)/(?:native/)?bin/?$`)

// sortByVersionDesc sorts bin directory paths with the highest numeric
// version first; paths without one go last.
func sortByVersionDesc(dirs []string) {
	version := func(dir string) float64 {
		m := versionDirRE.FindStringSubmatch(dir)
		if m == nil {
			return -1
		}
		v, err := strconv.ParseFloat(m[1], 64)
		if err != nil {
			return -1
		}
		return v
	}
	sort.SliceStable(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
}

// versionRE finds the major version in the --version output of a
// PostgreSQL program, such as "pg_basebackup (PostgreSQL) 15.10".
var versionRE = regexp.MustCompile(`\(PostgreSQL\) (\d+)`)

// ProgramMajor returns the major version of the PostgreSQL program at path
// (postgres, pg_dump, ...) from its --version output.
func ProgramMajor(path string) (int, error) {
	if err := checkExecutable(path); err != nil {
		return 0, err
	}
	out, err := exec.Command(path, "--version").Output()
	if err != nil {
		return 0, fmt.Errorf("%s --version: %w", path, err)
	}
	m := versionRE.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("%s --version: no version in %q", path, out)
	}
	return strconv.Atoi(string(m[1]))
}

// FindClientProgram returns the client program name (pg_basebackup,
// pg_dump) that works with a server of major version major, or "" if there
// is none: the one in binDir (when not empty), on PATH, in
// /usr/lib/postgresql/*/bin or in /var/tmp/pgmig-pg/*/native/bin (newest
// first) whose own major version is major or newer, as these programs
// refuse newer servers.
func FindClientProgram(binDir, name string, major int) string {
	var candidates []string
	if binDir != "" {
		candidates = append(candidates, filepath.Join(binDir, name))
	}
	if path, err := exec.LookPath(name); err == nil {
		candidates = append(candidates, path)
	}
	for _, glob := range []string{debianBinGlob, npmBinGlob} {
		dirs, _ := filepath.Glob(glob)
		sortByVersionDesc(dirs)
		for _, dir := range dirs {
			candidates = append(candidates, filepath.Join(dir, name))
		}
	}
	for _, path := range candidates {
		if v, err := ProgramMajor(path); err == nil && v >= major {
			return path
		}
	}
	return ""
}
