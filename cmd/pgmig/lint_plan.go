package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/lint"
)

// lintPlanned lints the migrations a plan would apply, as one run, with
// the rules of the server's version.
func lintPlanned(ctx context.Context, o *opened, dir string, pending []migrator.Migration, lockTimeout time.Duration) (*lint.Result, error) {
	major, err := serverMajor(ctx, o)
	if err != nil {
		return nil, err
	}
	ids := make([]int, 0, len(pending))
	for _, m := range pending {
		ids = append(ids, m.ID)
	}
	res, err := lint.Lint(os.DirFS(dir), o.migrator.Migrations(), lint.WithPGVersion(major), lint.WithPending(ids...), lint.WithLockTimeout(lockTimeout))
	if err != nil {
		return nil, err
	}
	return res, lint.Sizes(ctx, o.db, res)
}

// planLintOptions are the lint options of a plan's pending migrations.
func planLintOptions(pending []migrator.Migration, res *lint.Result, lockTimeout time.Duration) []lint.Option {
	ids := make([]int, 0, len(pending))
	for _, m := range pending {
		ids = append(ids, m.ID)
	}
	return []lint.Option{lint.WithPGVersion(res.Version), lint.WithPending(ids...), lint.WithLockTimeout(lockTimeout)}
}

// byFile groups findings by migration file.
func byFile(res *lint.Result) map[string][]lint.Finding {
	out := map[string][]lint.Finding{}
	if res != nil {
		for _, f := range res.Findings {
			out[f.File] = append(out[f.File], f)
		}
	}
	return out
}

// addLint adds to each pending migration of a plan's JSON its findings.
func addLint(pending []jsonMigration, out *lintOutput, res *lint.Result) {
	files := byFile(res)
	for i := range pending {
		for _, f := range files[pending[i].File] {
			pending[i].Lint = append(pending[i].Lint, fromFinding(out.path(f.File), f))
		}
	}
}

// printPlanLint prints, after the plan, the findings of each pending
// migration under its file name.
func printPlanLint(w io.Writer, a *app, pending []migrator.Migration, res *lint.Result) {
	if res == nil {
		return
	}
	out := newLintOutput(a, "")
	files := byFile(res)
	for _, m := range pending {
		fs := files[m.File]
		if len(fs) == 0 {
			continue
		}
		fmt.Fprintf(w, "\nlint of %s:\n", m.File)
		for _, f := range fs {
			printFinding(w, out.path(f.File), f, "  ")
		}
	}
	if len(res.Findings) > 0 {
		fmt.Fprintf(w, "\nlint: %s\n", lintSummary(res))
	}
}

// lintBeforeApply refuses to apply when a migration apply would run has
// a finding of error severity: nothing is applied then.
func lintBeforeApply(ctx context.Context, a *app, o *opened, dir string, to int, lockTimeout time.Duration) error {
	plan, err := o.migrator.Plan(ctx, to)
	if err != nil {
		return explain(o.settings, err)
	}
	res, err := lintPlanned(ctx, o, dir, plan.Pending, lockTimeout)
	if err != nil {
		return err
	}
	if res.Count(lint.SeverityError) == 0 {
		return nil
	}
	out := newLintOutput(a, "")
	for _, f := range res.Findings {
		if f.Severity == lint.SeverityError {
			printFinding(a.stderr, out.path(f.File), f, "")
		}
	}
	return fmt.Errorf("%w in the migrations to apply; nothing was applied", &lintError{errors: res.Count(lint.SeverityError), warnings: res.Count(lint.SeverityWarning)})
}
