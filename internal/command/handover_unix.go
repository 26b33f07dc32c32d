//go:build unix

package command

import (
	"fmt"
	"os"
	"syscall"
)

// execBinary replaces this process with path run with argv (argv[0] is the
// program name) and the same environment. It returns only when that
// failed.
func execBinary(path string, argv []string) (int, error) {
	if err := syscall.Exec(path, argv, os.Environ()); err != nil {
		return 0, fmt.Errorf("exec: %w", err)
	}
	return 0, nil // not reached: the process was replaced
}
