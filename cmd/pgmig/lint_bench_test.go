package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/pgmig/pgmig/migrator/migratortest"
)

// BenchmarkLintBinary times 'pgmig lint' of 1000 generated migration
// files end to end, process start included, with the binary built once
// (goal: under 1 s); BenchmarkBinaryStart is the start of the same binary
// doing nothing, for comparison.
func BenchmarkLintBinary(b *testing.B) {
	bin := buildPgmig(b)
	dir := b.TempDir()
	if err := os.CopyFS(dir, migratortest.GenerateLintMigrations(1000)); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		cmd := exec.Command(bin, "lint", "--offline", "--json", dir)
		cmd.Env = append(os.Environ(), "PGMIG_LOG_FORMAT=json")
		out, err := cmd.Output()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != exitLint || len(out) == 0 {
			b.Fatalf("pgmig lint: %v\n%s", err, out)
		}
	}
}

func BenchmarkBinaryStart(b *testing.B) {
	bin := buildPgmig(b)
	for b.Loop() {
		if out, err := exec.Command(bin, "version").CombinedOutput(); err != nil {
			b.Fatalf("pgmig version: %v\n%s", err, out)
		}
	}
}

// buildPgmig builds the pgmig binary into a temporary folder.
func buildPgmig(b *testing.B) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "pgmig")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}
