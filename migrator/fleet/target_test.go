package fleet_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/fleet"
)

func TestReadTargets(t *testing.T) {
	t.Setenv("PGHOST", "")
	in := strings.Join([]string{
		"# production tenants",
		"",
		"postgres://app:s3cret@db1.internal:5433/tenant_a?sslmode=disable",
		"   # indented comment",
		"host=db2.internal port=5432 user=app password='pa ss' dbname=tenant_b",
		"host=db3.internal user=app password=p#ss dbname=tenant_c",
	}, "\n")
	targets, err := fleet.ReadTargets(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"app@db1.internal:5433/tenant_a", "app@db2.internal:5432/tenant_b", "app@db3.internal:5432/tenant_c"}
	if len(targets) != len(want) {
		t.Fatalf("read %d targets, want %d", len(targets), len(want))
	}
	for i, tg := range targets {
		if tg.Name != want[i] {
			t.Errorf("target %d: name %q, want %q", i, tg.Name, want[i])
		}
		if tg.Config.Password == "" {
			t.Errorf("target %d: password lost", i)
		}
	}
	if targets[2].Config.Password != "p#ss" {
		t.Errorf("a '#' inside a line is part of it: password %q", targets[2].Config.Password)
	}
}

// Bad lines are all reported, by number, and never quoted: they may hold
// a password.
func TestReadTargetsBadLines(t *testing.T) {
	in := "postgres://app:topsecret@db1/a\nnot a dsn at all topsecret\npostgres://app:topsecret@db1:notaport/b\n"
	_, err := fleet.ReadTargets(strings.NewReader(in))
	var te *fleet.TargetsError
	if !errors.As(err, &te) {
		t.Fatalf("got %v, want *TargetsError", err)
	}
	if len(te.Lines) != 2 || te.Lines[0].Line != 2 || te.Lines[1].Line != 3 {
		t.Fatalf("bad lines %+v, want lines 2 and 3", te.Lines)
	}
	if strings.Contains(err.Error(), "topsecret") {
		t.Fatalf("error quotes the password: %v", err)
	}
}

// The derivation of a tenant's lock key is a contract (other runners may
// compute it): SHA-256 of "pgmig-lock\x00tenant_1\x00migrations", first 8
// bytes big-endian, as computed with sha256sum.
func TestSchemaLockKey(t *testing.T) {
	if got := fleet.SchemaLockKey("tenant_1"); got != -3269226260241128814 {
		t.Fatalf("SchemaLockKey(tenant_1) = %d", got)
	}
	seen := map[int64]string{migrator.LockKey: "(database-wide key)"}
	for _, s := range []string{"tenant_1", "tenant_2", "Tenant_1", "tenant_10", "public"} {
		k := fleet.SchemaLockKey(s)
		if other, dup := seen[k]; dup {
			t.Fatalf("schemas %s and %s share key %d", s, other, k)
		}
		seen[k] = s
	}
	if fleet.TableLockKey("tenant_1", "migrations") != fleet.SchemaLockKey("tenant_1") {
		t.Fatal("TableLockKey(schema, migrations) differs from SchemaLockKey")
	}
}
