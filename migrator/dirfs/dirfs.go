// Package dirfs is a folder as an fs.FS, like os.DirFS, whose ReadFile
// costs as few system calls as the platform allows. A migrations folder of
// thousands of small files is read on every run, so that the files are
// hashed anew each time (nothing trusts a size or a modification time):
// os.ReadFile spends ten system calls on a file (open, four fcntl for the
// poller, epoll_ctl, fstat, two reads, close), ReadFile here four (open,
// fstat, read, close).
package dirfs

import (
	"io/fs"
	"os"
)

// FS is the folder dir. Open, ReadDir and Stat are os.DirFS's.
type FS struct {
	dir string
	fs.FS
}

// New returns the folder dir as an FS.
func New(dir string) *FS {
	return &FS{dir: dir, FS: os.DirFS(dir)}
}

// ReadDir is os.DirFS's.
func (f *FS) ReadDir(name string) ([]fs.DirEntry, error) {
	return fs.ReadDir(f.FS, name)
}

// Stat is os.DirFS's.
func (f *FS) Stat(name string) (fs.FileInfo, error) {
	return fs.Stat(f.FS, name)
}

// ReadFile reads the named file of the folder. Errors are *fs.PathError
// naming the file relative to the folder, as os.DirFS's.
func (f *FS) ReadFile(name string) ([]byte, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	b, op, err := readFile(f.dir + string(os.PathSeparator) + name)
	if err != nil {
		return nil, &fs.PathError{Op: op, Path: name, Err: err}
	}
	return b, nil
}
