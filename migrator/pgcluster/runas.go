package pgcluster

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// ServerCredential returns the credential server processes (postgres, and
// helpers such as PgBouncer) run with: nil (the current user) unless the
// process runs as root, which PostgreSQL refuses; then the OS user
// postgres, or nobody if there is no postgres. The error wraps ErrNoServer
// when there is neither.
func ServerCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	var lastErr error
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			lastErr = err
			continue
		}
		uid, err := strconv.ParseUint(u.Uid, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("parse uid of user %s: %w", name, err)
		}
		gid, err := strconv.ParseUint(u.Gid, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("parse gid of user %s: %w", name, err)
		}
		// An empty Groups list drops root's supplementary groups.
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
	}
	return nil, fmt.Errorf("%w: running as root and no unprivileged user (postgres or nobody) to run the server as: %w",
		ErrNoServer, lastErr)
}

// CheckTraversable reports an error when a parent directory of dir cannot
// be searched by cred, so that a server run as cred could not reach its
// files there.
func CheckTraversable(dir string, cred *syscall.Credential) error {
	for p := filepath.Dir(dir); ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("check access to %s: %w", p, err)
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			mode := fi.Mode().Perm()
			ok := mode&0o001 != 0 ||
				(st.Uid == cred.Uid && mode&0o100 != 0) ||
				(st.Gid == cred.Gid && mode&0o010 != 0)
			if !ok {
				return fmt.Errorf("directory %s is not accessible to uid %d that runs the server; set TMPDIR to a world-accessible directory", p, cred.Uid)
			}
		}
		if p == filepath.Dir(p) {
			return nil
		}
	}
}
