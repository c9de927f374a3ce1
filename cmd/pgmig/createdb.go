package main

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/pgmig/pgmig/migrator"
)

type createdbOptions struct {
	MaintenanceDB string `name:"maintenance-db" help:"Database to connect to for CREATE DATABASE (default: postgres, then template1)." placeholder:"NAME"`
	Owner         string `help:"Owner role of the new database." placeholder:"ROLE"`
	Template      string `help:"Template database (e.g. template0)." placeholder:"NAME"`
	Encoding      string `help:"Encoding of the new database (e.g. UTF8)." placeholder:"ENC"`
	Locale        string `help:"LC_COLLATE and LC_CTYPE of the new database (e.g. C.UTF-8)." placeholder:"LOCALE"`
}

type createdbCmd struct {
	Name string `arg:"" optional:"" help:"Database to create (default: the database of the connection settings)."`
	createdbOptions
}

func (c *createdbCmd) Help() string {
	return `Creates the database unless it exists. It connects to a maintenance database
of the same server, checks pg_database first (so it succeeds without the
CREATEDB privilege when the database is there) and treats a concurrent
creation as success.

Examples:
  pgmig createdb --url postgres://admin@db/app     # creates "app"
  PGDATABASE=app pgmig createdb --owner app_owner
  pgmig createdb --template template0 --encoding UTF8 --locale C.UTF-8 reporting`
}

func (c *createdbCmd) Run(ctx context.Context, a *app) error {
	settings, err := resolveSettings(a.globals.URL, a.red)
	if err != nil {
		return err
	}
	return c.create(ctx, a, settings, c.Name)
}

// create creates database name (default: the connection's database).
func (o *createdbOptions) create(ctx context.Context, a *app, settings *connSettings, name string) error {
	if name == "" {
		name = settings.cfg.Database
	}
	return settings.onMaintenanceDB(o.MaintenanceDB, "", func(db *sql.DB, dbname string) error {
		created, err := migrator.CreateDatabase(ctx, db, name, migrator.CreateDatabaseOptions{
			Owner: o.Owner, Template: o.Template, Encoding: o.Encoding, Locale: o.Locale,
		})
		if err != nil {
			return err
		}
		if created {
			a.log.Info().Str("database", name).Str("server", settings.describe(dbname)).Msg("created database")
			fmt.Fprintf(a.stdout, "created database %s\n", name)
		} else {
			a.log.Info().Str("database", name).Msg("database already exists")
			fmt.Fprintf(a.stdout, "database %s already exists\n", name)
		}
		return nil
	})
}
