package awscmd

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/cicdgen/cicdgen/internal/command"
)

// TestMain puts cicdgen and cicdgen-aws on PATH, both played by the test
// binary, for the tests that run them as processes: `cicdgen apply` then
// hands over to cicdgen-aws as the installed binaries do.
func TestMain(m *testing.M) {
	env := func() Env {
		return withVirtualPace(Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv})
	}
	testscript.Main(m, map[string]func(){
		"cicdgen":         func() { os.Exit(command.Main(os.Args, env())) },
		command.AWSBinary: func() { os.Exit(Main(os.Args, env())) },
	})
}
