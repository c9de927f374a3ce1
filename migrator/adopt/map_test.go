package adopt_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/pgmig/pgmig/migrator/adopt"
	"github.com/pgmig/pgmig/migrator/adopt/adopttest"
	"github.com/pgmig/pgmig/migrator/migratortest"
)

// goose with timestamp versions: the map names each version's file, by
// name or by id.
func TestAdoptWithMap(t *testing.T) {
	d := migratortest.NewDatabase(t)
	exec(t, d.DB, adopttest.ByName("goose").Create+`
		INSERT INTO goose_db_version (version_id, is_applied) VALUES (20230114093000, true), (20230201120000, true);
		CREATE TABLE a (id int); CREATE TABLE b (id int);`)
	mp, err := adopt.ParseMap("versions.txt", []byte(`# goose version -> pgmig file
20230114093000  0001_a.sql
20230201120000  2   # by id
20230301080000  0003_c.sql
`))
	if err != nil {
		t.Fatal(err)
	}
	m := newMigrator(t, d.DB)
	res, err := adopt.Adopt(ctx, d.DB, m, adopt.Goose, adopt.Options{Map: mp})
	if err != nil {
		t.Fatalf("Adopt: %v", err)
	}
	if actions(res) != "record,record,pending,pending" || res.Files[1].Version != "20230201120000" || res.Files[3].Version != "" {
		t.Fatalf("Adopt = %+v", res)
	}
	if _, err := m.Apply(ctx); err != nil {
		t.Fatal(err)
	}

	// Without the map, the timestamps name no file.
	_, err = adopt.Plan(ctx, d.DB, m, adopt.Goose, adopt.Options{})
	var ue *adopt.UncleanError
	if !errors.As(err, &ue) || len(ue.Problems) != 2 || ue.Problems[0].Kind != adopt.ProblemNoFile {
		t.Fatalf("Plan without map = %v", err)
	}
}

// golang-migrate's current version through a map: every mapped version up
// to it is applied; a version map that leaves a file out below it is a gap.
func TestAdoptMapThroughVersion(t *testing.T) {
	d := migratortest.NewDatabase(t)
	exec(t, d.DB, adopttest.ByName("golang-migrate").Create+`; INSERT INTO schema_migrations VALUES (1700000300, false);
		CREATE TABLE a (id int); CREATE TABLE b (id int); CREATE TABLE c (id int);`)
	m := newMigrator(t, d.DB)
	full, _ := adopt.ParseMap("m", []byte("1700000100 1\n1700000200 2\n1700000300 3\n1700000400 4\n"))
	res, err := adopt.Plan(ctx, d.DB, m, adopt.GolangMigrate, adopt.Options{Map: full})
	if err != nil || res.Through != 3 {
		t.Fatalf("Plan = %+v, %v", res, err)
	}
	partial, _ := adopt.ParseMap("m", []byte("1700000100 1\n1700000300 3\n"))
	_, err = adopt.Plan(ctx, d.DB, m, adopt.GolangMigrate, adopt.Options{Map: partial})
	var ue *adopt.UncleanError
	if !errors.As(err, &ue) || len(ue.Problems) != 1 || ue.Problems[0].Kind != adopt.ProblemGap || ue.Problems[0].File != "0002_b.sql" {
		t.Fatalf("Plan with a map leaving out file 2 = %v", err)
	}
}

func TestParseMapErrors(t *testing.T) {
	_, err := adopt.ParseMap("versions.txt", []byte("1 0001_a.sql\n2\n\n# fine\n01 0002_b.sql\n3 c d\n"))
	var me *adopt.MapError
	if !errors.As(err, &me) {
		t.Fatalf("ParseMap = %v, want *MapError", err)
	}
	var lines []int
	for _, p := range me.Problems {
		lines = append(lines, p.Line)
	}
	if len(lines) != 3 || lines[0] != 2 || lines[1] != 5 || lines[2] != 6 {
		t.Fatalf("problems on lines %v, want 2, 5, 6:\n%v", lines, err)
	}
	if !strings.Contains(err.Error(), "line 5: version 01 is already mapped on line 1") {
		t.Errorf("message: %v", err)
	}
}

// Files the map names must be in the folder, each once.
func TestMapNamesFilesOfTheFolder(t *testing.T) {
	d := migratortest.NewDatabase(t)
	ranBy(t, d.DB, adopttest.ByName("dbmate"), 1) // dbmate
	mp, err := adopt.ParseMap("versions.txt", []byte("1 0001_a.sql\n2 0009_x.sql\n3 1\n4 77\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = adopt.Plan(ctx, d.DB, newMigrator(t, d.DB), adopt.Dbmate, adopt.Options{Map: mp})
	var me *adopt.MapError
	if !errors.As(err, &me) || len(me.Problems) != 3 || me.Problems[0].Line != 2 || me.Problems[1].Line != 3 || me.Problems[2].Line != 4 {
		t.Fatalf("Plan = %v, want map problems on lines 2, 3, 4", err)
	}
}

// Flyway: a baseline makes every version up to it applied, whether or not
// a file stands for the baseline itself; repeatable migrations and the
// schema creation row are ignored and reported.
func TestAdoptFlywayBaselineAndRepeatable(t *testing.T) {
	d := migratortest.NewDatabase(t)
	exec(t, d.DB, adopttest.FlywayDDL+`
INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success) VALUES
 (0, NULL, '<< Flyway Schema Creation >>', 'SCHEMA', '"public"', NULL, 'app', 0, true),
 (1, '2', '<< Flyway Baseline >>', 'BASELINE', '<< Flyway Baseline >>', NULL, 'app', 0, true),
 (2, '3', 'c', 'SQL', 'V3__c.sql', 11, 'app', 4, true),
 (3, NULL, 'views', 'SQL', 'R__views.sql', 12, 'app', 3, true);
CREATE TABLE a (id int); CREATE TABLE b (id int); CREATE TABLE c (id int);`)
	m := newMigrator(t, d.DB)
	res, err := adopt.Adopt(ctx, d.DB, m, adopt.Flyway, adopt.Options{})
	if err != nil {
		t.Fatalf("Adopt: %v", err)
	}
	if actions(res) != "record,record,record,pending" || len(res.Ignored) != 2 || res.Ignored[1].Description != "R__views.sql" {
		t.Fatalf("Adopt = %+v", res)
	}
	if res.UpTo != "2" || !res.Files[0].UpTo || !res.Files[1].UpTo || res.Files[2].UpTo {
		t.Fatalf("baseline: UpTo %q, files %+v", res.UpTo, res.Files)
	}
	if ar, err := m.Apply(ctx); err != nil || len(ar.Applied) != 1 {
		t.Fatalf("Apply = %+v, %v", ar, err)
	}

	// A baseline above every file names none: fine for Flyway (the
	// database predates the files), every file counts as applied.
	d2 := migratortest.NewDatabase(t)
	exec(t, d2.DB, adopttest.FlywayDDL+`
INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success) VALUES
 (1, '1.0', '<< Flyway Baseline >>', 'BASELINE', '<< Flyway Baseline >>', NULL, 'app', 0, true),
 (2, '2.0', 'b', 'SQL', 'V2_0__b.sql', 11, 'app', 4, true);
CREATE TABLE a (id int); CREATE TABLE b (id int);`)
	res, err = adopt.Plan(ctx, d2.DB, newMigrator(t, d2.DB), adopt.Flyway, adopt.Options{})
	if err != nil || actions(res) != "record,record,pending,pending" {
		t.Fatalf("Plan with dotted versions = %+v, %v", res, err)
	}
}
