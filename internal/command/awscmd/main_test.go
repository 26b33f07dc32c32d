package awscmd

import (
	"maps"
	"os"
	"slices"
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

// cicdgen-aws has an action for every command that calls AWS, and for no
// other: command.Run hands over nothing when given actions, so a command
// missing here would have no action at all.
func TestEveryAWSCommandHasAnAction(t *testing.T) {
	got := slices.Sorted(maps.Keys(actions()))
	want := slices.Sorted(slices.Values(command.AWSCommands()))
	if !slices.Equal(got, want) {
		t.Errorf("actions for %v, want one for each of command.AWSCommands(): %v", got, want)
	}
}
