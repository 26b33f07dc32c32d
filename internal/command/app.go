package command

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/cicdgen/cicdgen/internal/version"
)

// Exit codes of SPEC.md.
const (
	ExitOK          = 0
	ExitInputErrors = 1
	ExitUsage       = 2
	ExitDeployFail  = 3
	ExitInterrupted = 130
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
	// PaceNow and PaceSleep are the clock by which the commands that call
	// AWS pace their calls (deploy.AWSOptions); nil means the real clock.
	// Tests pass a virtual one, so that pacing never waits on the wall
	// clock.
	PaceNow   func() time.Time
	PaceSleep func(ctx context.Context, d time.Duration) error
}

// ProcessEnv is the Env of the running process: its standard streams and
// environment, and whether each stream is a terminal.
func ProcessEnv() Env {
	width, _, err := term.GetSize(int(os.Stdout.Fd()))
	if err != nil {
		width = 0
	}
	return Env{
		Stdin:            os.Stdin,
		Stdout:           os.Stdout,
		Stderr:           os.Stderr,
		Getenv:           os.Getenv,
		IsTerminal:       term.IsTerminal(int(os.Stdout.Fd())),
		StdinIsTerminal:  term.IsTerminal(int(os.Stdin.Fd())),
		StderrIsTerminal: term.IsTerminal(int(os.Stderr.Fd())),
		Width:            width,
	}
}

// ExitError carries a process exit code out of a command. The command has
// already printed whatever explains it.
type ExitError struct{ code int }

func (e ExitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// ExitWith returns an error that makes Main exit with code.
func ExitWith(code int) error {
	if code == ExitOK {
		return nil
	}
	return ExitError{code: code}
}

// Actions are the actions of the commands that call AWS (AWSCommands), by
// command name. The cicdgen-aws binary runs with them; the cicdgen binary,
// without them, hands those commands over to cicdgen-aws.
type Actions map[string]func(env *Env) cli.ActionFunc

// Main runs the cicdgen binary with args (args[0] is the program name) and
// returns the process exit code. A command that calls AWS is handed over to
// the cicdgen-aws binary, which replaces this process where the system
// allows it (handover.go).
func Main(args []string, env Env) int {
	if len(args) > 1 && isAWSCommand(args[1]) {
		return handOver(args, env)
	}
	return Run(args, env, nil)
}

// Run runs cicdgen with args (args[0] is the program name), the commands
// that call AWS running actions, and returns the process exit code. With
// actions nil (the cicdgen binary) those commands are handed over to
// cicdgen-aws: Main hands them over when args[1] names one, Run when the
// command comes later. cicdgen-aws passes an action for each of them and
// never hands over, which would run itself again.
func Run(args []string, env Env, actions Actions) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	app := NewApp(&env)
	for _, cmd := range app.Commands {
		switch act, ok := actions[cmd.Name]; {
		case ok:
			cmd.Action = act(&env)
		case actions == nil && isAWSCommand(cmd.Name):
			cmd.Action = func(*cli.Context) error { return ExitWith(handOver(args, env)) }
		}
	}
	err := app.RunContext(ctx, args)
	if err == nil {
		return ExitOK
	}
	var ee ExitError
	if errors.As(err, &ee) {
		return ee.code
	}
	// Any other error comes from parsing the command line: usage. A command
	// that did something (apply after deploying) returns an exitError with
	// its outcome instead, even when its report could not be written.
	fmt.Fprintf(env.Stderr, "cicdgen: %v\n", err)
	return ExitUsage
}

// NewApp is cicdgen's command line: every command with its definition, and
// the actions of the commands that do not call AWS (Run gives the others
// theirs).
func NewApp(env *Env) *cli.App {
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
