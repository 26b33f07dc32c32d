package main

import (
	"github.com/urfave/cli/v2"

	"github.com/cicdgen/cicdgen/deploy"
)

// diffCommand is `cicdgen diff [FILE|DIR]`: what apply would change, stack by
// stack and property by property, through change sets that are created,
// read and deleted.
func diffCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "diff",
		Usage:     "show what apply would change, stack by stack and property by property, without changing anything",
		ArgsUsage: "[FILE|DIR]",
		Description: "Creates a change set per stack (of type CREATE for a stack that does not\n" +
			"exist yet), prints its changes — Add, Modify, Replace or Remove per resource\n" +
			"with its logical id and type, and under a Modify each property with its\n" +
			"value before and after; a stack's tag-only changes in one line — and\n" +
			"deletes it. Nothing is executed. A stack that does not exist is shown as\n" +
			"\"to be created\" with its resources, also when it depends on a stack not\n" +
			"deployed yet (its imports would fail a change set).\n\n" +
			"Then: the IAM statements, trust and resource policies that change (+ widens,\n" +
			"as apply's --require-approval broadening asks about), the stacks of protected\n" +
			"environments that change, and any change to the listener rules or target\n" +
			"groups of a deployed blue/green service (apply refuses those without\n" +
			"--allow-traffic-reset). Colour only on a terminal, never under NO_COLOR.\n" +
			"With --format json, stdout holds one JSON document (version, stacks,\n" +
			"security, protected, traffic); progress and diagnostics go to stderr.\n\n" +
			"Exit status: 0 shown, 1 input errors or output that could not be\n" +
			"written, 2 usage, 3 a change set failed, 130 interrupted.",
		Flags:  deployFlags(),
		Action: func(c *cli.Context) error { return runDeploy(c, env, true) },
	}
}

// writePlan writes the plan of a dry run (diff, apply --dry-run): each
// stack's changes, then the review of the deployed templates (policies
// that widen, protected environments, blue/green traffic resets), where
// the reporter's output goes; it records the review in doc.
func writePlan(c *cli.Context, env *Env, r *reporter, b *deploy.Bundle, f deploy.ClientFactory, sel deploy.Selection, res *deploy.Result, doc *deployDocument) error {
	var rv *deploy.Review
	var reviewErr error
	if !res.Interrupted {
		rv, reviewErr = deploy.ReadReview(c.Context, b, f, sel, c.Int("concurrency"))
	}
	plan := deploy.NewPlan(res, rv, reviewErr)
	doc.Security, doc.Protected, doc.Traffic, doc.ReviewError = plan.Security, plan.Protected, plan.Traffic, plan.ReviewError
	color := c.String("color") == colorAlways || c.String("color") == colorAuto && r.outIsTerminal() && env.Getenv("NO_COLOR") == ""
	if err := deploy.WritePlan(r.out(), plan, deploy.PlanStyle{Color: color, Width: env.Width}); err != nil {
		return err
	}
	return newline(r.out())
}
