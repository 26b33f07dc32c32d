//go:build unix

package command

import (
	"fmt"
	"syscall"
)

// execBinary replaces this process with path run with argv (argv[0] is the
// program name) and the environment environ. It returns only when that
// failed.
func execBinary(path string, argv, environ []string) (int, error) {
	if err := syscall.Exec(path, argv, environ); err != nil {
		return 0, fmt.Errorf("exec: %w", err)
	}
	return 0, nil // not reached: the process was replaced
}
