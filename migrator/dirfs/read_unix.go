//go:build unix

package dirfs

import "syscall"

// readFile reads path with open, fstat, read and close, the last read
// skipped when the first filled the size fstat gave (a regular file then
// ends there). It returns the failing operation's name with its error.
func readFile(path string) ([]byte, string, error) {
	var fd int
	var err error
	for {
		fd, err = syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return nil, "open", err
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if err := fstat(fd, &st); err != nil {
		return nil, "stat", err
	}
	size := 0
	if st.Mode&syscall.S_IFMT == syscall.S_IFREG && st.Size > 0 {
		size = int(st.Size)
	}
	// One byte more than the size, so that a file that grew since the
	// fstat is read on to its end.
	buf := make([]byte, 0, size+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := read(fd, buf[len(buf):cap(buf)])
		if err != nil {
			return nil, "read", err
		}
		if n == 0 {
			return buf, "", nil
		}
		buf = buf[:len(buf)+n]
		if len(buf) == size && len(buf) < cap(buf) {
			// The size fstat gave, and the read stopped short of the
			// room it had: the end of the file, without a read more.
			return buf, "", nil
		}
	}
}

func fstat(fd int, st *syscall.Stat_t) error {
	for {
		err := syscall.Fstat(fd, st)
		if err != syscall.EINTR {
			return err
		}
	}
}

func read(fd int, b []byte) (int, error) {
	for {
		n, err := syscall.Read(fd, b)
		if err == syscall.EINTR {
			continue
		}
		if n < 0 {
			n = 0
		}
		return n, err
	}
}
