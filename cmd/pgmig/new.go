package main

import (
	"fmt"
	"os"

	"github.com/pgmig/pgmig/migrator"
)

type newCmd struct {
	Dir  string `arg:"" help:"Folder holding the migration files; it must exist and pass the checks of apply."`
	Name string `arg:"" help:"Name of the migration, made file-safe (e.g. 'add users' becomes add-users)."`
}

func (c *newCmd) Help() string {
	return `Creates the next migration file of DIR and prints its path. The id is one
above the highest, zero-padded like the existing files (0001 in an empty
folder), with the folder's separator ('_' or '-'). NAME keeps its case; blanks
and characters other than letters, digits, '-', '_' and '.' become '-', and a
trailing .sql is dropped. Names must be unique and at most 100 characters.

The folder is checked first: a gap, a duplicate id or name, a bad file name
(anything apply would refuse) stops with exit code 3 and nothing is created.
An existing file is never overwritten. No database connection is made.

Examples:
  pgmig new ./migrations "add users table"    # ./migrations/0005_add-users-table.sql
  $EDITOR "$(pgmig new ./migrations add-email-index)"`
}

func (c *newCmd) Run(a *app) error {
	info, err := os.Stat(c.Dir)
	switch {
	case err != nil:
		return &folderError{msg: fmt.Sprintf("migrations folder %s: %v", c.Dir, unwrapPath(err))}
	case !info.IsDir():
		return &folderError{msg: fmt.Sprintf("migrations folder %s is a file, not a folder", c.Dir)}
	}
	path, err := migrator.NewFile(c.Dir, c.Name)
	if err != nil {
		return err
	}
	fmt.Fprintln(a.stdout, path)
	return nil
}
