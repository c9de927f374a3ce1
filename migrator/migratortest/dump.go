package migratortest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/pgmig/pgmig/migrator/pgcluster"
)

// DumpSchema runs pg_dump --schema-only --no-owner --no-privileges on d,
// with the extra pg_dump arguments args (for example
// "--exclude-table=public.migrations"), and returns its output: the
// baseline that teams adopting migrations start from. It uses a pg_dump of
// the server's major version or newer (next to the server binaries, on
// PATH, or in /usr/lib/postgresql/*/bin); when there is none it skips the
// test and returns false, since an older pg_dump refuses a newer server.
func DumpSchema(t testing.TB, d *Database, args ...string) ([]byte, bool) {
	t.Helper()
	major := d.server.Version(t)
	pgDump := pgcluster.FindClientProgram(os.Getenv(pgcluster.BinDirEnv), "pg_dump", major)
	if pgDump == "" {
		t.Skipf("no pg_dump of PostgreSQL %d or newer to dump the test server with", major)
		return nil, false
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	argv := append([]string{"--schema-only", "--no-owner", "--no-privileges"}, args...)
	argv = append(argv, "--dbname", d.DSN)
	cmd := exec.CommandContext(ctx, pgDump, argv...)
	cmd.Env = cleanEnv()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", pgDump, err, strings.TrimSpace(stderr.String()))
	}
	return out, true
}
