package awscmd

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/cicdgen/cicdgen/deploy"
	"github.com/cicdgen/cicdgen/internal/command"
)

// What the commands that call AWS share: the system they read (a
// system.yaml or a build directory), the reporter of --format (text, or one
// JSON document on stdout: docs/json.md) and the AWS factory.

// operation is a system for apply, diff, status or destroy (preflight reads
// only its command line through it): newOperation reads the command line,
// load the system and the AWS configuration.
type operation struct {
	r       *command.Reporter
	file    string
	bundle  *deploy.Bundle
	factory *deploy.AWS
	// out is where the text report and the progress go: stdout, or stderr
	// when stdout carries the document.
	out io.Writer
}

// newOperation reads FILE|DIR (default system.yaml), then runs check, the
// command's own checks of its flags (nil: none), once the flags after FILE
// are parsed, then reads --format; its errors are usage errors.
func newOperation(c *cli.Context, env *Env, check func() error) (*operation, error) {
	args, err := command.FileArgs(c, env, 1)
	if err != nil {
		return nil, err
	}
	if check != nil {
		if err := check(); err != nil {
			return nil, err
		}
	}
	r, err := command.NewReporter(c, env, command.FormatFlagName)
	if err != nil {
		return nil, command.UsageError(c, env, "%v", err)
	}
	return &operation{r: r, file: args[0], out: r.Out()}, nil
}

// load reads the system and the AWS configuration, reporting failures
// through the reporter.
func (op *operation) load(c *cli.Context) error {
	b, err := loadBundle(op.r, op.file)
	if err != nil {
		return err
	}
	factory, err := newAWS(c.Context, op.r.Env)
	if err != nil {
		return op.r.Fail(command.ExitDeployFail, "%v", err)
	}
	op.bundle, op.factory = b, factory
	return nil
}

// newAWS loads the AWS configuration from env's environment, the calls
// paced by env's clock.
func newAWS(ctx context.Context, env *Env) (*deploy.AWS, error) {
	return deploy.NewAWS(ctx, deploy.AWSOptions{Getenv: env.Getenv, Now: env.PaceNow, Sleep: env.PaceSleep})
}

// readLine reads one line of env.Stdin, or returns ctx's error when ctx is
// done first.
func readLine(ctx context.Context, env *Env) (string, error) {
	type answer struct {
		line string
		err  error
	}
	got := make(chan answer, 1)
	go func() {
		line, err := bufio.NewReader(env.Stdin).ReadString('\n')
		got <- answer{line, err}
	}()
	select {
	case <-ctx.Done():
		return "", ctx.Err()
	case a := <-got:
		if a.err != nil && (a.err != io.EOF || a.line == "") {
			return "", fmt.Errorf("read the answer: %w", a.err)
		}
		return strings.TrimSpace(a.line), nil
	}
}
