package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/cicdgen/cicdgen/deploy"
)

// Values of apply's --require-approval, as CDK's.
const (
	approvalNever      = "never"
	approvalBroadening = "broadening"
	approvalAny        = "any"
)

// approvalFlags are the flags of apply's review before anything executes.
func approvalFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "require-approval", Value: approvalBroadening, EnvVars: []string{"CICDGEN_REQUIRE_APPROVAL"},
			Usage: "which changes are shown and confirmed first: never, broadening (IAM or resource policies that widen, protected environments) or any (any policy change, protected environments); without a terminal they need --yes"},
		&cli.BoolFlag{Name: "allow-traffic-reset", Usage: "let apply modify or replace the listener rules and target groups of a deployed blue/green service (it resets production traffic)"},
	}
}

// reviewBeforeApply runs before apply executes anything: the blue/green
// traffic guard (unless --allow-traffic-reset) and the confirmation of
// widening or protected-environment changes (--require-approval). It
// returns nil to go on, or the exit error; it prints why it stops.
func reviewBeforeApply(c *cli.Context, env *Env, b *deploy.Bundle, f deploy.ClientFactory, opts deploy.Options) error {
	mode := c.String("require-approval")
	if mode == "" { // CICDGEN_REQUIRE_APPROVAL set empty
		mode = approvalBroadening
	}
	switch mode {
	case approvalNever, approvalBroadening, approvalAny:
	default:
		return usageError(c, env, "invalid --require-approval %q: use never, broadening or any", mode)
	}
	ctx := c.Context
	rv, err := deploy.ReadReview(ctx, b, f, opts.Selection, opts.Concurrency)
	if err != nil {
		return stopBeforeApply(ctx, env, fmt.Errorf("read the deployed templates: %w", err))
	}
	if !c.Bool("allow-traffic-reset") {
		guardOpts := opts
		guardOpts.Reporter = nil
		err := deploy.GuardTraffic(ctx, b, f, rv, guardOpts)
		var reset *deploy.TrafficResetError
		switch {
		case errors.As(err, &reset):
			fmt.Fprintf(env.Stderr, "cicdgen apply: %v\n", err)
			return exitWith(exitInputErrors)
		case err != nil:
			return stopBeforeApply(ctx, env, err)
		}
	}
	var asked []deploy.SecurityChange
	switch mode {
	case approvalBroadening:
		asked = deploy.Widening(rv.Security)
	case approvalAny:
		asked = rv.Security
	}
	if mode == approvalNever || len(asked) == 0 && len(rv.Protected) == 0 {
		return nil
	}
	writeApprovalRequest(env.Stdout, asked, rv.Protected)
	if c.Bool("yes") {
		return nil
	}
	if !env.StdinIsTerminal {
		fmt.Fprintf(env.Stderr, "cicdgen apply: these changes need approval (--require-approval %s) and stdin is not a terminal, so nobody can be asked: run again with --yes to approve them\n", mode)
		return exitWith(exitUsage)
	}
	ask, stop := prompter(env)
	defer stop()
	ok, err := ask(ctx, "Deploy these changes?")
	switch {
	case ctx.Err() != nil:
		return exitWith(exitInterrupted)
	case err != nil:
		fmt.Fprintf(env.Stderr, "cicdgen apply: %v\n", err)
		return exitWith(exitUsage)
	case !ok:
		fmt.Fprintln(env.Stderr, "cicdgen apply: not approved; nothing was changed")
		return exitWith(exitUsage)
	}
	return nil
}

// stopBeforeApply reports a failure of the review: nothing was changed.
func stopBeforeApply(ctx context.Context, env *Env, err error) error {
	if ctx.Err() != nil {
		return exitWith(exitInterrupted)
	}
	fmt.Fprintf(env.Stderr, "cicdgen apply: %v; nothing was changed\n", err)
	return exitWith(exitDeployFail)
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
