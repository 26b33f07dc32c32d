package awscmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/cicdgen/cicdgen/deploy"
	"github.com/cicdgen/cicdgen/internal/command"
)

// reviewBeforeApply runs before apply executes anything: the blue/green
// traffic guard (unless --allow-traffic-reset) and the confirmation of
// widening or protected-environment changes (--require-approval). It
// returns nil to go on, or the exit error; it prints why it stops.
func reviewBeforeApply(c *cli.Context, env *Env, r *command.Reporter, b *deploy.Bundle, f deploy.ClientFactory, opts deploy.Options) error {
	mode := c.String("require-approval")
	if mode == "" { // CICDGEN_REQUIRE_APPROVAL set empty
		mode = command.ApprovalBroadening
	}
	switch mode {
	case command.ApprovalNever, command.ApprovalBroadening, command.ApprovalAny:
	default:
		return command.UsageError(c, env, "invalid --require-approval %q: use never, broadening or any", mode)
	}
	ctx := c.Context
	rv, err := deploy.ReadReview(ctx, b, f, opts.Selection, opts.Concurrency)
	if err != nil {
		return stopBeforeApply(ctx, r, fmt.Errorf("read the deployed templates: %w", err))
	}
	if !c.Bool("allow-traffic-reset") {
		guardOpts := opts
		guardOpts.Reporter = nil
		err := deploy.GuardTraffic(ctx, b, f, rv, guardOpts)
		var reset *deploy.TrafficResetError
		switch {
		case errors.As(err, &reset):
			return r.Fail(command.ExitInputErrors, "%v", err)
		case err != nil:
			return stopBeforeApply(ctx, r, err)
		}
	}
	var asked []deploy.SecurityChange
	switch mode {
	case command.ApprovalBroadening:
		asked = deploy.Widening(rv.Security)
	case command.ApprovalAny:
		asked = rv.Security
	}
	if mode == command.ApprovalNever || len(asked) == 0 && len(rv.Protected) == 0 {
		return nil
	}
	writeApprovalRequest(r.Out(), asked, rv.Protected)
	if c.Bool("yes") {
		return nil
	}
	if !env.StdinIsTerminal {
		return r.Fail(command.ExitUsage, "these changes need approval (--require-approval %s) and stdin is not a terminal, so nobody can be asked: run again with --yes to approve them", mode)
	}
	// opts.Confirm is the prompter deployBundle set up on this condition
	// (a terminal on stdin, no --yes): one reader of stdin, so that input
	// typed ahead is not lost between two. It asks where the progress goes:
	// stderr when stdout carries a document.
	ok, err := opts.Confirm(ctx, "Deploy these changes?")
	switch {
	case ctx.Err() != nil:
		return command.ExitWith(command.ExitInterrupted)
	case err != nil:
		return r.Fail(command.ExitUsage, "%v", err)
	case !ok:
		return r.Fail(command.ExitUsage, "not approved; nothing was changed")
	}
	return nil
}

// stopBeforeApply reports a failure of the review: nothing was changed.
func stopBeforeApply(ctx context.Context, r *command.Reporter, err error) error {
	if ctx.Err() != nil {
		return command.ExitWith(command.ExitInterrupted)
	}
	return r.Fail(command.ExitDeployFail, "%v; nothing was changed", err)
}

// writeApprovalRequest shows what apply asks approval for.
func writeApprovalRequest(w io.Writer, security []deploy.SecurityChange, protected []string) {
	if len(security) > 0 {
		fmt.Fprintf(w, "IAM statements, trust and resource policies that change (%d):\n", len(security))
		for _, s := range security {
			fmt.Fprintf(w, "  %s\n", s)
		}
	}
	if len(protected) > 0 {
		fmt.Fprintf(w, "Stacks of protected environments that change: %s\n", strings.Join(protected, ", "))
	}
}
