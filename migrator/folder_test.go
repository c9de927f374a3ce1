package migrator_test

import (
	"errors"
	"io/fs"
	"testing"

	"github.com/pgmig/pgmig/migrator"
)

// unlistableFS is a folder that cannot be listed, as one without read
// permission (which root, running the tests, would still read).
type unlistableFS struct{}

func (unlistableFS) Open(name string) (fs.File, error) {
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
}

func TestUnreadableFolderIsAFolderError(t *testing.T) {
	_, err := migrator.Validate(unlistableFS{})
	var fe *migrator.FolderError
	if !errors.As(err, &fe) || !errors.Is(err, fs.ErrPermission) || err.Error() != "cannot read the migrations folder: permission denied" {
		t.Fatalf("Validate: err = %v", err)
	}
	if _, err := migrator.New(unreachableDB(t), unlistableFS{}); !errors.As(err, &fe) {
		t.Fatalf("New: err = %v", err)
	}
}
