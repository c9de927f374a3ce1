package adopt_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/adopt"
	"github.com/pgmig/pgmig/migrator/adopt/adopttest"
	"github.com/pgmig/pgmig/migrator/migratortest"
)

// For each tool: the plan writes nothing; adopting records what the tool
// applied and runs nothing; apply then runs only the rest, verify passes,
// a second adoption writes nothing, and the tool's table never changes.
func TestAdoptEachTool(t *testing.T) {
	for _, tool := range adopttest.Layouts {
		t.Run(tool.Name, func(t *testing.T) {
			d := migratortest.NewDatabase(t)
			ranBy(t, d.DB, tool, 1, 2)
			table := tool.Tool.DefaultTable()
			before := snapshot(t, d.DB, table)
			m := newMigrator(t, d.DB)

			plan, err := adopt.Plan(ctx, d.DB, m, tool.Tool, adopt.Options{})
			if err != nil {
				t.Fatalf("Plan: %v", err)
			}
			if got := actions(plan); got != "record,record,pending,pending" || plan.Through != 2 || !plan.CreateTable {
				t.Fatalf("Plan: actions %s, through %d, create %v", got, plan.Through, plan.CreateTable)
			}
			if plan.ToolTable != "public."+table {
				t.Errorf("ToolTable = %q", plan.ToolTable)
			}
			if exists(t, d.DB, "migrations") {
				t.Fatal("Plan created pgmig's tracking table")
			}

			res, err := adopt.Adopt(ctx, d.DB, m, tool.Tool, adopt.Options{})
			if err != nil {
				t.Fatalf("Adopt: %v", err)
			}
			if !res.Written || actions(res) != "record,record,pending,pending" || res.Table != "public.migrations" {
				t.Fatalf("Adopt = %+v", res)
			}
			if got := trackingIDs(t, d.DB, "migrations"); got != "0,1,2" {
				t.Fatalf("tracking table ids = %s, want 0,1,2", got)
			}

			ar, err := m.Apply(ctx)
			if err != nil {
				t.Fatalf("Apply after adopting (a rerun of 1 or 2 fails: their tables exist): %v", err)
			}
			var applied []string
			for _, a := range ar.Applied {
				applied = append(applied, a.File)
			}
			if !slices.Equal(applied, []string{"0003_c.sql", "0004_d.sql"}) || ar.AlreadyApplied != 2 {
				t.Fatalf("Apply applied %v (already %d), want 0003 and 0004", applied, ar.AlreadyApplied)
			}
			if _, err := m.Verify(ctx, migrator.VerifyOptions{}); err != nil {
				t.Fatalf("Verify: %v", err)
			}

			again, err := adopt.Adopt(ctx, d.DB, m, tool.Tool, adopt.Options{})
			if err != nil || again.Written || again.Count(adopt.ActionAlreadyRecorded) != 4 {
				t.Fatalf("second Adopt = %+v, %v; want nothing written, 4 already recorded", again, err)
			}
			if after := snapshot(t, d.DB, table); after != before {
				t.Fatalf("%s's table changed:\nbefore %s\nafter  %s", tool.Name, before, after)
			}
		})
	}
}

// A tool that applied nothing (its table holds only its initial row):
// nothing to record, nothing written.
func TestAdoptNothingApplied(t *testing.T) {
	for _, tool := range adopttest.Layouts {
		t.Run(tool.Name, func(t *testing.T) {
			d := migratortest.NewDatabase(t)
			ranBy(t, d.DB, tool)
			res, err := adopt.Adopt(ctx, d.DB, newMigrator(t, d.DB), tool.Tool, adopt.Options{})
			if err != nil || res.Written || res.Through != 0 || actions(res) != "pending,pending,pending,pending" {
				t.Fatalf("Adopt = %+v, %v", res, err)
			}
			if exists(t, d.DB, "migrations") {
				t.Fatal("tracking table created with nothing to record")
			}
		})
	}
}

// Every refusal writes nothing: pgmig's table stays absent, or as it was.
func TestAdoptRefusesUncleanState(t *testing.T) {
	for _, tt := range []struct {
		name  string
		tool  string
		setup string // after the tool's table is made, with files 1 and 2 applied
		want  []adopt.ProblemKind
	}{
		{"golang-migrate dirty", "golang-migrate",
			`UPDATE schema_migrations SET version = 3, dirty = true`, []adopt.ProblemKind{adopt.ProblemDirty}},
		{"golang-migrate version without file", "golang-migrate",
			`UPDATE schema_migrations SET version = 9`, []adopt.ProblemKind{adopt.ProblemNoFile}},
		{"golang-migrate two rows", "golang-migrate",
			`INSERT INTO schema_migrations VALUES (3, false)`, []adopt.ProblemKind{adopt.ProblemMalformed}},
		{"tern version without file", "tern",
			`UPDATE schema_version SET version = 5`, []adopt.ProblemKind{adopt.ProblemNoFile}},
		{"tern two rows", "tern",
			`INSERT INTO schema_version VALUES (1)`, []adopt.ProblemKind{adopt.ProblemMalformed}},
		{"flyway failed row", "flyway",
			`INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success)
			 VALUES (3, '3', 'step 3', 'SQL', 'V3__step.sql', 7, 'app', 5, false)`, []adopt.ProblemKind{adopt.ProblemFailed}},
		{"flyway undone", "flyway",
			`INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success)
			 VALUES (3, '2', 'step 2', 'UNDO_SQL', 'U2__step.sql', 7, 'app', 5, true)`, []adopt.ProblemKind{adopt.ProblemUndone}},
		{"goose rolled back (newest row is_applied = false)", "goose-legacy",
			`INSERT INTO goose_db_version (version_id, is_applied) VALUES (2, false)`, []adopt.ProblemKind{adopt.ProblemRolledBack}},
		{"goose version without file", "goose",
			`INSERT INTO goose_db_version (version_id, is_applied) VALUES (20240101120000, true)`, []adopt.ProblemKind{adopt.ProblemNoFile}},
		{"dbmate file missing in the middle", "dbmate",
			`DELETE FROM schema_migrations WHERE version = '1'; INSERT INTO schema_migrations VALUES ('4')`, []adopt.ProblemKind{adopt.ProblemGap, adopt.ProblemGap}},
		{"every problem at once", "goose-legacy",
			`INSERT INTO goose_db_version (version_id, is_applied) VALUES (1, false), (4, true), (7, true)`,
			[]adopt.ProblemKind{adopt.ProblemRolledBack, adopt.ProblemNoFile, adopt.ProblemGap, adopt.ProblemGap}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := migratortest.NewDatabase(t)
			tool := adopttest.ByName(tt.tool)
			ranBy(t, d.DB, tool, 1, 2)
			exec(t, d.DB, tt.setup)
			_, err := adopt.Adopt(ctx, d.DB, newMigrator(t, d.DB), tool.Tool, adopt.Options{})
			var ue *adopt.UncleanError
			if !errors.As(err, &ue) {
				t.Fatalf("Adopt = %v, want *UncleanError", err)
			}
			var got []adopt.ProblemKind
			for _, p := range ue.Problems {
				got = append(got, p.Kind)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("problems %v, want %v:\n%v", got, tt.want, err)
			}
			if exists(t, d.DB, "migrations") {
				t.Fatal("a refused adoption created pgmig's tracking table")
			}
			if _, err := adopt.Plan(ctx, d.DB, newMigrator(t, d.DB), tool.Tool, adopt.Options{}); !errors.As(err, &ue) {
				t.Fatalf("Plan = %v, want *UncleanError", err)
			}
		})
	}
}

// A refusal leaves an existing tracking table as it was.
func TestAdoptRefusalKeepsTrackingTable(t *testing.T) {
	d := migratortest.NewDatabase(t)
	ranBy(t, d.DB, adopttest.ByName("golang-migrate"), 1) // golang-migrate
	m := newMigrator(t, d.DB)
	if _, err := adopt.Adopt(ctx, d.DB, m, adopt.GolangMigrate, adopt.Options{}); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, d.DB, "migrations")
	exec(t, d.DB, `UPDATE schema_migrations SET version = 2, dirty = true`)
	if _, err := adopt.Adopt(ctx, d.DB, m, adopt.GolangMigrate, adopt.Options{}); err == nil {
		t.Fatal("Adopt of a dirty state succeeded")
	}
	if after := snapshot(t, d.DB, "migrations"); after != before {
		t.Fatalf("tracking table changed:\n%s\n%s", before, after)
	}
}

// pgmig's table already holds a row that disagrees with the file.
func TestAdoptRefusesDisagreeingTrackingRows(t *testing.T) {
	d := migratortest.NewDatabase(t)
	ranBy(t, d.DB, adopttest.ByName("dbmate"), 1, 2) // dbmate
	m := newMigrator(t, d.DB)
	if _, err := m.MarkApplied(ctx, 1); err != nil {
		t.Fatal(err)
	}
	exec(t, d.DB, `UPDATE migrations SET hash = repeat('0', 40) WHERE id = 1`)
	before := snapshot(t, d.DB, "migrations")
	_, err := adopt.Adopt(ctx, d.DB, m, adopt.Dbmate, adopt.Options{})
	var ie *migrator.IntegrityError
	if !errors.As(err, &ie) {
		t.Fatalf("Adopt = %v, want *migrator.IntegrityError", err)
	}
	if after := snapshot(t, d.DB, "migrations"); after != before {
		t.Fatal("tracking table changed")
	}
}

// The table is looked up through the search path, or named; a table of
// another layout is refused.
func TestAdoptTableLookup(t *testing.T) {
	d := migratortest.NewDatabase(t)
	exec(t, d.DB, `CREATE SCHEMA tools; CREATE TABLE tools.goose_db_version (
		id integer PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY, version_id bigint NOT NULL,
		is_applied boolean NOT NULL, tstamp timestamp NOT NULL DEFAULT now());
		INSERT INTO tools.goose_db_version (version_id, is_applied) VALUES (0, true), (1, true);
		CREATE TABLE a (id int);`)
	m := newMigrator(t, d.DB)
	var nf *adopt.TableNotFoundError
	if _, err := adopt.Plan(ctx, d.DB, m, adopt.Goose, adopt.Options{}); !errors.As(err, &nf) || nf.SearchPath != "public" ||
		!slices.Equal(nf.Elsewhere, []string{"tools.goose_db_version"}) {
		t.Fatalf("Plan = %v, want *TableNotFoundError with search path public, naming tools.goose_db_version", err)
	}
	res, err := adopt.Adopt(ctx, d.DB, m, adopt.Goose, adopt.Options{Table: "tools.goose_db_version"})
	if err != nil || res.ToolTable != "tools.goose_db_version" || res.Through != 1 {
		t.Fatalf("Adopt = %+v, %v", res, err)
	}

	exec(t, d.DB, adopttest.ByName("golang-migrate").Create) // golang-migrate's schema_migrations
	var le *adopt.LayoutError
	if _, err := adopt.Plan(ctx, d.DB, m, adopt.Dbmate, adopt.Options{}); !errors.As(err, &le) {
		t.Fatalf("Plan as dbmate on golang-migrate's table = %v, want *LayoutError", err)
	}
	if _, err := adopt.Plan(ctx, d.DB, m, adopt.Flyway, adopt.Options{Table: "schema_migrations"}); !errors.As(err, &le) {
		t.Fatalf("Plan as flyway on schema_migrations = %v, want *LayoutError", err)
	}
}
