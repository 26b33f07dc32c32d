//go:build !unix

package command

import (
	"errors"
	"os"
	"os/exec"
	"os/signal"
)

// execBinary runs path with argv (argv[0] is the program name) and the
// environment environ as a child with this process's streams, and returns
// its exit code.
// An interrupt reaches the child (it shares the console); this process
// ignores it and waits for the child's exit code.
func execBinary(path string, argv, environ []string) (int, error) {
	cmd := exec.Command(path, argv[1:]...)
	cmd.Env = environ
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	interrupts := make(chan os.Signal, 1)
	signal.Notify(interrupts, os.Interrupt)
	defer signal.Stop(interrupts)
	err := cmd.Run()
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		return exitErr.ExitCode(), nil
	}
	if err != nil {
		return 0, err
	}
	return 0, nil
}
