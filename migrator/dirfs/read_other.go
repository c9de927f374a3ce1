//go:build !unix

package dirfs

import "os"

// readFile is os.ReadFile where the unix system calls are not at hand.
func readFile(path string) ([]byte, string, error) {
	b, err := os.ReadFile(path)
	if pe, ok := err.(*os.PathError); ok {
		return nil, pe.Op, pe.Err
	}
	return b, "", err
}
