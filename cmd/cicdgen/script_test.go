package main

import (
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/cicdgen/cicdgen/internal/command"
	"github.com/cicdgen/cicdgen/internal/command/awscmd"
)

var updateScripts = flag.Bool("update", false, "rewrite the expected output of cmp commands in testdata/script")

// TestMain lets the test binary act as cicdgen and cicdgen-aws when a
// script runs `exec cicdgen ...`: the binary's Main then runs in that
// process, as in production. Both are on the scripts' PATH, so cicdgen
// hands apply, diff, preflight, status and destroy over to cicdgen-aws as
// an installed cicdgen does.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"cicdgen":         func() { os.Exit(command.Main(os.Args, processEnv())) },
		command.AWSBinary: func() { os.Exit(awscmd.Main(os.Args, processEnv())) },
	})
}

// processEnv is the process's streams and environment. A test is never a
// terminal; scripts force colour with --color=always.
func processEnv() command.Env {
	return command.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
}

// TestScripts runs the end-to-end scripts of testdata/script. Besides the
// standard commands they have:
//
//	exits N cmd args...   run cmd and require exit code N exactly
//
// and $REPO, the repository root, to reach examples/ and schema/.
func TestScripts(t *testing.T) {
	repo, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("testdata", "script"),
		RequireExplicitExec: true,
		UpdateScripts:       *updateScripts,
		Setup: func(e *testscript.Env) error {
			e.Setenv("REPO", repo)
			e.Setenv("NO_COLOR", "")
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exits": cmdExits,
		},
	})
}

// cmdExits runs a program and checks its exact exit code.
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! exits")
	}
	if len(args) < 2 {
		ts.Fatalf("usage: exits CODE command [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: bad exit code %q", args[0])
	}
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		got = ee.ExitCode()
	case err != nil:
		ts.Fatalf("exits: %v", err)
	}
	if got != want {
		ts.Fatalf("%s exited with %d, want %d", args[1], got, want)
	}
}
