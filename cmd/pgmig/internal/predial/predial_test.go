package predial

import (
	"os"
	"testing"
)

func TestStartOnlyForOneDatabase(t *testing.T) {
	t.Setenv("PGHOST", "127.0.0.1")
	t.Setenv("PGPORT", "1") // nothing listens: the dial fails at once, which is all this needs
	for _, args := range [][]string{{"version"}, {"validate", "dir"}, {"apply", "--help"}, {"createdb"},
		{"apply", "--each-database", "a%", "dir"}, {"--log-level", "apply"}} {
		if d := Start(args); d != nil {
			d.Close()
			t.Errorf("Start(%q) dialled; only apply, status, verify and plan on one database do", args)
		}
	}
	for _, args := range [][]string{{"apply", "dir"}, {"--url", "host=127.0.0.1 port=1", "status", "dir"}, {"verify", "dir"}, {"plan", "dir"}} {
		d := Start(args)
		if d == nil {
			t.Errorf("Start(%q) did not dial", args)
			continue
		}
		<-d.Done()
		d.Close()
	}
}

func TestResolveDefaults(t *testing.T) {
	for _, k := range []string{"PGMIG_DATABASE_URL", "DATABASE_URL", "PGAPPNAME", "PGSSLMODE", "PGDATABASE"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("PGUSER", "alice")
	s, err := Resolve("")
	if err != nil {
		t.Fatal(err)
	}
	if s.Config.SSLMode != "prefer" || s.Config.ApplicationName != "pgmig" || s.Config.Database != "alice" || s.Env != "" {
		t.Errorf("defaults: sslmode %q, application_name %q, dbname %q, env %q", s.Config.SSLMode, s.Config.ApplicationName, s.Config.Database, s.Env)
	}
	t.Setenv("DATABASE_URL", "postgres://bob@db/app")
	if s, err = Resolve(""); err != nil || s.Env != "DATABASE_URL" || s.Config.Database != "app" {
		t.Errorf("from DATABASE_URL: %+v, %v", s, err)
	}
	t.Setenv("PGMIG_DATABASE_URL", "postgres://carol@db/other")
	if s, err = Resolve(""); err != nil || s.Env != "PGMIG_DATABASE_URL" || s.Config.User != "carol" {
		t.Errorf("from PGMIG_DATABASE_URL: %+v, %v", s, err)
	}
	if s, err = Resolve("postgres://dave@db/given"); err != nil || s.Env != "" || s.Config.User != "dave" {
		t.Errorf("given: %+v, %v", s, err)
	}
}
