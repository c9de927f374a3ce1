package drift_test

import (
	"fmt"
	"testing"

	"github.com/pgmig/pgmig/migrator/drift"
)

// TestCrossVersionNoDrift compares testdata/full built on every pair of
// the versions installed, both ways (dev on 18 against a target on 12 and
// the reverse, ...): no difference at all, privileges included, and the
// same schema.sql text. It starts a cluster of each version, so it runs
// only when the suite is not pinned to one version (see crossMajors).
func TestCrossVersionNoDrift(t *testing.T) {
	schemas := map[int]*drift.Schema{}
	var versions []int
	for _, major := range crossMajors(t) {
		t.Run(fmt.Sprint(major), func(t *testing.T) {
			schemas[major] = inspect(t, builtOn(t, cluster(t, major)).DB(), drift.Options{Privileges: true})
			versions = append(versions, major)
		})
	}
	if len(versions) < 2 {
		t.Fatalf("built on %v only", versions)
	}
	for _, dev := range versions {
		for _, tgt := range versions {
			if dev == tgt {
				continue
			}
			if diffs := drift.Compare(schemas[dev], schemas[tgt]); len(diffs) > 0 {
				t.Errorf("dev on %d, target on %d:%s", dev, tgt, describe(diffs))
			}
		}
	}
	first := schemaText(t, schemas[versions[0]])
	for _, v := range versions[1:] {
		if got := schemaText(t, schemas[v]); got != first {
			t.Errorf("schema.sql built on %d differs from the one built on %d", v, versions[0])
		}
	}
}

// TestSchemaSQLDeterministic: the text is the same when the schema is
// built twice (once in a dev database, once by applying the migrations),
// and it reads back into an equal schema.
func TestSchemaSQLDeterministic(t *testing.T) {
	a := inspect(t, built(t).DB(), drift.Options{Privileges: true})
	tgt, _ := migrated(t)
	b := inspect(t, tgt, drift.Options{Privileges: true})
	ta, tb := schemaText(t, a), schemaText(t, b)
	if ta != tb {
		t.Fatalf("schema.sql differs between two builds:\n%s\n----\n%s", ta, tb)
	}
	parsed, err := drift.ParseSQL([]byte(ta))
	if err != nil {
		t.Fatal(err)
	}
	if diffs := drift.Compare(a, parsed); len(diffs) > 0 {
		t.Errorf("schema.sql does not read back into the schema:%s", describe(diffs))
	}
	if again := schemaText(t, parsed); again != ta {
		t.Error("schema.sql written from the parsed schema differs")
	}
}
