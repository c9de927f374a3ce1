package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/dirfs"
	"github.com/pgmig/pgmig/migrator/templatedb"
)

// cloneCmd is 'pgmig clone'.
type cloneCmd struct {
	Dir           string `arg:"" help:"Folder holding the migration files (top level only)." type:"path"`
	Name          string `arg:"" help:"Database to create, with every migration of DIR applied."`
	Table         string `help:"Tracking table as [schema.]name (default: migrations)." placeholder:"TABLE"`
	Strategy      string `help:"How PostgreSQL 15 and later copy the template: default (the server's: wal-log), file-copy or wal-log." enum:"default,file-copy,wal-log" default:"default"`
	Family        string `help:"Name the folder's templates share, so that a new one replaces the old (default: derived from the first file; a-z, 0-9 and _, at most 16)." placeholder:"NAME"`
	MaintenanceDB string `name:"maintenance-db" help:"Database to connect to for CREATE DATABASE and the build's lock (default: postgres)." placeholder:"NAME" default:"postgres"`
	JSON          bool   `name:"json" help:"Print the result as one JSON document on stdout."`
}

func (c *cloneCmd) Help() string {
	return `Creates database NAME as a copy of a template database that holds every
migration of DIR, for test suites in any language: the migrations run once per
distinct set of files, into a template named pgmig_tpl_<family>_<key>, and each
clone is a CREATE DATABASE ... TEMPLATE, which takes milliseconds. The key is a
hash of pgmig's version, the tracking table and every file's name and content,
so a changed file builds a new template (and drops the folder's old ones).
Several runs at once build the template once: the build holds an advisory lock.
Drop the clones with 'pgmig dropdb'; the template stays for the next run.

Examples:
  pgmig clone ./migrations test_1
  for i in 1 2 3 4; do pgmig clone ./migrations "test_$i" & done; wait
  pgmig dropdb --yes --url postgres://localhost/test_1`
}

func (c *cloneCmd) Run(ctx context.Context, a *app) error {
	if err := checkFolder(c.Dir); err != nil {
		return err
	}
	files, err := migrator.ReadFiles(dirfs.New(c.Dir))
	if err != nil {
		return err
	}
	settings, err := resolveSettings(a.globals.URL, a.red)
	if err != nil {
		return err
	}
	cfg := settings.cfg.Clone()
	cfg.Database = c.MaintenanceDB
	srv, err := templatedb.Open(cfg)
	if err != nil {
		return &usageError{msg: "invalid connection settings: " + err.Error()}
	}
	defer srv.Close()
	opts := templatedb.Options{Family: c.Family, Version: version(), Table: c.Table,
		Migrator: []migrator.Option{migrator.WithLogger(librarySlog(a.log))}}
	tmpl, err := srv.Ensure(ctx, files, opts)
	if err != nil {
		return explain(settings, err)
	}
	start := time.Now()
	strategy := templatedb.Strategy(strings.ToUpper(strings.ReplaceAll(c.Strategy, "-", "_")))
	if c.Strategy == "default" {
		strategy = templatedb.StrategyDefault
	}
	if err := srv.Clone(ctx, tmpl, c.Name, strategy); err != nil {
		return explain(settings, err)
	}
	took := time.Since(start)
	a.log.Info().Str("database", c.Name).Str("template", tmpl.Name).Bool("built", tmpl.Built).Dur("clone", took).Msg("cloned database")
	if c.JSON {
		doc := struct {
			Command   string   `json:"command"`
			OK        bool     `json:"ok"`
			Database  string   `json:"database"`
			Template  string   `json:"template"`
			Built     bool     `json:"built"`
			BuildMS   *float64 `json:"build_ms,omitempty"`
			CloneMS   *float64 `json:"clone_ms"`
			Dropped   []string `json:"dropped_templates"`
			Migration int      `json:"migrations"`
		}{"clone", true, c.Name, tmpl.Name, tmpl.Built, nil, millis(took), tmpl.Dropped, len(files.Migrations())}
		if tmpl.Built {
			doc.BuildMS = millis(tmpl.BuildTime)
		}
		if doc.Dropped == nil {
			doc.Dropped = []string{}
		}
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(doc)
	}
	how := "template ready"
	if tmpl.Built {
		how = fmt.Sprintf("template built in %s", roundedDuration(tmpl.BuildTime))
	}
	fmt.Fprintf(a.stdout, "created database %s from %s (%s of %s; %s), clone took %s\n",
		c.Name, tmpl.Name, plural(len(files.Migrations()), "migration"), c.Dir, how, roundedDuration(took))
	for _, d := range tmpl.Dropped {
		fmt.Fprintf(a.stdout, "dropped the older template %s\n", d)
	}
	return nil
}
