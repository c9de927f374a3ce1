package migrator

import (
	"database/sql"
	"errors"
	"io/fs"
)

// Files is a folder of migration files read and checked once, for running
// against many databases: each [Files.New] shares the one list of files
// instead of reading them again. Running a pending migration still reads
// its file and checks it against the hash read here, as [New] does.
type Files struct {
	fsys       fs.FS
	migrations []Migration
	checks     *fileChecks
}

// ReadFiles reads and checks every migration file in fsys (top level only),
// as [New] does, with no database. It returns a *FileError listing every
// problem when any file is invalid, or a *FolderError when fsys cannot be
// listed.
func ReadFiles(fsys fs.FS) (*Files, error) {
	if fsys == nil {
		return nil, errors.New("migrator: nil fs.FS")
	}
	migs, checks, err := loadMigrations(fsys, false)
	if err != nil {
		return nil, err
	}
	return &Files{fsys: fsys, migrations: migs, checks: checks}, nil
}

// Migrations returns the migrations read from the folder, in id order.
func (f *Files) Migrations() []Migration {
	f.checks.wait()
	return append([]Migration(nil), f.migrations...)
}

// New returns a Migrator for db over these files, as [New] does, without
// reading them again. It does no I/O. The Migrator shares the files with
// every other one made from f; it is safe to use several at once.
func (f *Files) New(db *sql.DB, opts ...Option) (*Migrator, error) {
	if db == nil {
		return nil, errors.New("migrator: nil *sql.DB")
	}
	o := defaultOptions()
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, &OptionError{Err: err}
		}
	}
	return &Migrator{db: db, fsys: f.fsys, migrations: f.migrations, checks: f.checks, opts: o}, nil
}
