package lint

import (
	"testing"
	"testing/fstest"

	"github.com/pgmig/pgmig/migrator"
)

// baseSchema is the first migration of every rule case: the tables that
// already exist when the migration under test runs.
const baseSchema = `CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint, note varchar(20), amount numeric(10,2),
  created_at timestamp, code text, state text);
CREATE TABLE customers (id bigint PRIMARY KEY, name text);
CREATE INDEX orders_customer_idx ON orders (customer_id);
CREATE UNIQUE INDEX orders_code_idx ON orders (code);
ALTER TABLE orders ADD CONSTRAINT orders_amount_checked CHECK (amount >= 0) NOT VALID;
CREATE TABLE events (id bigint, kind text);
CREATE MATERIALIZED VIEW event_counts AS SELECT kind, count(*) AS n FROM events GROUP BY kind;
CREATE UNIQUE INDEX event_counts_kind ON event_counts (kind);
CREATE UNLOGGED TABLE imports (id bigint, line text);
CREATE TYPE order_state AS ENUM ('new', 'paid');
`

// lintFiles lints the files (name to content) of a folder: the ones
// named in pending as one run, or each as its own run when pending is nil.
func lintFiles(t *testing.T, files map[string]string, pending []int, opts ...Option) *Result {
	t.Helper()
	fsys := fstestFS(files)
	v, err := migrator.Validate(fsys)
	if err != nil {
		t.Fatalf("validate: %v", err)
	}
	if pending != nil {
		opts = append(opts, WithPending(pending...))
	}
	res, err := Lint(fsys, v.Migrations, opts...)
	if err != nil {
		t.Fatalf("lint: %v", err)
	}
	return res
}

// lintMigration lints sql as migration 2 after baseSchema, with a run lock
// timeout unless the options say otherwise.
func lintMigration(t *testing.T, sql string, opts ...Option) []Finding {
	t.Helper()
	opts = append([]Option{WithLockTimeout(2e9)}, opts...)
	res := lintFiles(t, map[string]string{"1_base.sql": baseSchema, "2_change.sql": sql}, []int{2}, opts...)
	return res.Findings
}

func ruleIDs(fs []Finding) []string {
	ids := []string{}
	for _, f := range fs {
		ids = append(ids, f.Rule)
	}
	return ids
}

// fstestFS is a folder of the files (name to content).
func fstestFS(files map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for name, src := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(src)}
	}
	return fsys
}
