package command

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// runCLI runs the cicdgen binary's commands in process and returns the exit
// code and output. The commands that call AWS are tested in package awscmd.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Run(append([]string{"cicdgen"}, args...), Env{
		Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Getenv: os.Getenv,
	}, nil)
	return code, stdout.String(), stderr.String()
}
