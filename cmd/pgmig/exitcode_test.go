package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/adopt"
	"github.com/pgmig/pgmig/migrator/devdb"
	"github.com/pgmig/pgmig/migrator/drift"
	"github.com/pgmig/pgmig/migrator/pgcluster"
)

// TestReadmeExitCodes keeps the README's exit-code table equal to the one
// in the code, row for row.
func TestReadmeExitCodes(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n### Exit codes\n")
	if !ok {
		t.Fatal("README has no '### Exit codes' section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var got []string
	for _, line := range strings.Split(section, "\n") {
		if strings.HasPrefix(line, "| ") && !strings.HasPrefix(line, "| code ") {
			got = append(got, line)
		}
	}
	var want []string
	for _, e := range exitCodes {
		want = append(want, fmt.Sprintf("| %d | %s |", e.code, e.meaning))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("README exit codes differ from exitCodes; the README should read:\n%s\n\nit reads:\n%s",
			strings.Join(want, "\n"), strings.Join(got, "\n"))
	}
}

// TestExitCodesDistinct: every code and every JSON kind means one thing.
func TestExitCodesDistinct(t *testing.T) {
	codes, kinds := map[int]bool{}, map[string]bool{}
	for _, e := range exitCodes {
		if codes[e.code] || kinds[e.kind] {
			t.Errorf("exit code %d or kind %q listed twice", e.code, e.kind)
		}
		codes[e.code], kinds[e.kind] = true, true
	}
}

// TestExitCodeOfEachError: every error type the library returns has a
// deliberate exit code, none falls to "other" by accident.
func TestExitCodeOfEachError(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want int
	}{
		{&migrator.FolderError{Err: fs.ErrPermission}, exitInvalidFiles},
		{&migrator.FileError{}, exitInvalidFiles},
		{&migrator.IntegrityError{}, exitIntegrity},
		{&migrator.MigrationError{}, exitSQL},
		{&migrator.LockTimeoutError{}, exitLockTimeout},
		{&migrator.ConnectError{Err: errors.New("refused")}, exitConnect},
		{&migrator.ConnectionLostError{Err: errors.New("EOF")}, exitConnect},
		{&migrator.PendingError{}, exitPending},
		{&migrator.TableError{}, exitTable},
		{&migrator.TableElsewhereError{Found: []migrator.FoundTable{{Table: "s.migrations"}}}, exitTableElsewhere},
		{&migrator.ReadOnlyError{Standby: true}, exitReadOnly},
		{&migrator.PoolerError{}, exitPooler},
		{&migrator.TargetError{}, exitUsage},
		{&migrator.OptionError{Err: errors.New("bad")}, exitUsage},
		{&migrator.SingleTransactionError{Files: []string{"2_cic.sql"}}, exitUsage},
		{&adopt.UncleanError{Problems: []adopt.Problem{{Kind: adopt.ProblemDirty}}}, exitAdoptUnclean},
		{&adopt.MapError{}, exitUsage},
		{&adopt.TableNotFoundError{}, exitUsage},
		{&adopt.LayoutError{}, exitUsage},
		{&lintError{errors: 1}, exitLint},
		{&lintError{warnings: 1, strict: true}, exitLint},
		{&drift.Error{Differences: []drift.Difference{{Kind: drift.Extra}}}, exitDrift},
		{&staleSchemaError{file: "schema.sql"}, exitDrift},
		{&drift.ParseError{Line: 1}, exitUsage},
		{fmt.Errorf("open: %w", devdb.ErrTargetDatabase), exitUsage},
		{&devdb.MissingRoleError{Role: "app", Err: &migrator.MigrationError{}}, exitSQL},
		{&devdb.SetupError{Err: errors.New("syntax error")}, exitSQL},
		{&devdb.BuildError{Err: &migrator.MigrationError{}}, exitSQL},
		{fmt.Errorf("start a dev cluster: %w", pgcluster.ErrNoServer), exitFailure},
		{withHint(&migrator.PoolerError{}, "advice"), exitPooler},
		{fmt.Errorf("interrupted: %w", context.Canceled), exitInterrupted},
		{errors.New("anything else"), exitFailure},
	} {
		if got := exitCode(tt.err); got != tt.want {
			t.Errorf("exitCode(%T) = %d, want %d", tt.err, got, tt.want)
		}
	}
}
