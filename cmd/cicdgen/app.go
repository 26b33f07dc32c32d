package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/signal"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/cicdgen/cicdgen/internal/version"
)

// Exit codes of SPEC.md.
const (
	exitOK          = 0
	exitInputErrors = 1
	exitUsage       = 2
	exitDeployFail  = 3
	exitInterrupted = 130
)

// Env is everything the commands take from the process: streams, the
// environment and whether the streams are terminals. Tests pass their own.
type Env struct {
	Stdin            io.Reader
	Stdout, Stderr   io.Writer
	Getenv           func(string) string
	IsTerminal       bool // stdout is a terminal: colour, live progress
	StdinIsTerminal  bool // prompts are allowed
	StderrIsTerminal bool // diagnostics on stderr may be coloured
	Width            int  // columns of the terminal stdout is, 0 when unknown
}

// exitError carries a process exit code out of a command. The command has
// already printed whatever explains it.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// exitWith returns an error that makes Main exit with code.
func exitWith(code int) error {
	if code == exitOK {
		return nil
	}
	return exitError{code: code}
}

// Main runs cicdgen with args (args[0] is the program name) and returns the
// process exit code.
func Main(args []string, env Env) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	app := newApp(&env)
	err := app.RunContext(ctx, args)
	if err == nil {
		return exitOK
	}
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	// Any other error comes from parsing the command line: usage. A command
	// that did something (apply after deploying) returns an exitError with
	// its outcome instead, even when its report could not be written.
	fmt.Fprintf(env.Stderr, "cicdgen: %v\n", err)
	return exitUsage
}

func newApp(env *Env) *cli.App {
	app := &cli.App{
		Name:            "cicdgen",
		Usage:           "compile system.yaml into a multi-account CI/CD system on AWS, and deploy it",
		Version:         version.String(),
		Action:          rootAction(env),
		Writer:          env.Stdout,
		ErrWriter:       env.Stderr,
		HideHelpCommand: true,
		ExitErrHandler:  func(*cli.Context, error) {}, // Main maps errors to exit codes
		OnUsageError:    onUsageError(env),
		Commands: []*cli.Command{
			validateCommand(env),
			buildCommand(env),
			applyCommand(env),
			diffCommand(env),
			preflightCommand(env),
			schemaCommand(env),
			initCommand(env),
			graphCommand(env),
			statusCommand(env),
			destroyCommand(env),
			rulesCommand(env),
			completionCommand(env),
		},
	}
	for _, cmd := range app.Commands {
		cmd.OnUsageError = onUsageError(env)
	}
	return app
}
