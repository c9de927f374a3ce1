package headstart

import (
	"io/fs"
	"os"
	"strings"
	"sync"

	"github.com/pgmig/pgmig/migrator/dirfs"
)

// maxReadAhead bounds what the initialiser reads ahead: beyond it, the
// command reads the rest itself.
const maxReadAhead = 64 << 20

// readAhead is a migrations folder read from the initialiser.
type readAhead struct {
	info fs.FileInfo // the folder, to know it again under another path
	dir  *dirfs.FS
	done chan struct{} // closed when entries, err and files are set

	entries []fs.DirEntry
	err     error

	mu    sync.Mutex
	files map[string][]byte // what was read and not handed out yet
	taken bool              // Folder handed it out
}

// folderArgument guesses the folder argument of a command line: its last
// argument, after the command, when that is an existing folder. A guess
// that names another folder than the command's costs the reading: Folder
// matches the folders themselves.
func folderArgument(args []string, command string) (string, fs.FileInfo, bool) {
	if len(args) < 2 {
		return "", nil, false
	}
	last := args[len(args)-1]
	if strings.HasPrefix(last, "-") || last == command {
		return "", nil, false
	}
	info, err := os.Stat(last)
	if err != nil || !info.IsDir() {
		return "", nil, false
	}
	return last, info, true
}

// readFolder starts reading the listing and the .sql files of dir.
func readFolder(dir string, info fs.FileInfo) *readAhead {
	r := &readAhead{info: info, dir: dirfs.New(dir), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		r.entries, r.err = r.dir.ReadDir(".")
		if r.err != nil {
			return
		}
		r.mu.Lock()
		r.files = make(map[string][]byte, len(r.entries))
		r.mu.Unlock()
		total := 0
		for _, e := range r.entries {
			name := e.Name()
			if !e.Type().IsRegular() || strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".sql") {
				continue
			}
			b, err := r.dir.ReadFile(name)
			if err != nil {
				continue // the command reads it again, and reports the error
			}
			r.mu.Lock()
			r.files[name] = b
			r.mu.Unlock()
			if total += len(b); total > maxReadAhead {
				return
			}
		}
	}()
	return r
}

// Folder returns next, or, when the initialiser read folder dir ahead, a
// file system over next that serves the first listing of the folder and
// the first read of each file read ahead, and passes all else to next.
// The read-ahead is handed out once; true when it is.
func Folder(dir string, next fs.FS) (fs.FS, bool) {
	return early.folder().take(dir, next)
}

func (r *readAhead) take(dir string, next fs.FS) (fs.FS, bool) {
	if r == nil {
		return next, false
	}
	info, err := os.Stat(dir)
	if err != nil || !os.SameFile(info, r.info) {
		return next, false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.taken {
		return next, false
	}
	r.taken = true
	return &aheadFS{r: r, next: next}, true
}

// aheadFS is the file system Folder returns.
type aheadFS struct {
	r        *readAhead
	next     fs.FS
	listOnce sync.Once
}

func (a *aheadFS) Open(name string) (fs.File, error) { return a.next.Open(name) }

func (a *aheadFS) Stat(name string) (fs.FileInfo, error) { return fs.Stat(a.next, name) }

func (a *aheadFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if name == "." {
		var entries []fs.DirEntry
		a.listOnce.Do(func() {
			<-a.r.done
			if a.r.err == nil {
				entries = a.r.entries
			}
		})
		if entries != nil {
			return entries, nil
		}
	}
	return fs.ReadDir(a.next, name)
}

func (a *aheadFS) ReadFile(name string) ([]byte, error) {
	<-a.r.done
	a.r.mu.Lock()
	b, ok := a.r.files[name]
	delete(a.r.files, name)
	a.r.mu.Unlock()
	if ok {
		return b, nil
	}
	return fs.ReadFile(a.next, name)
}
