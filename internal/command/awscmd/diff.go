package awscmd

import (
	"github.com/urfave/cli/v2"

	"github.com/cicdgen/cicdgen/deploy"
	"github.com/cicdgen/cicdgen/internal/command"
)

// diffAction runs `cicdgen diff`.
func diffAction(env *Env) cli.ActionFunc {
	return func(c *cli.Context) error { return runDeploy(c, env, true) }
}

// writePlan writes the plan of a dry run (diff, apply --dry-run): each
// stack's changes, then the review of the deployed templates (policies
// that widen, protected environments, blue/green traffic resets), where
// the reporter's output goes; it records the review in doc.
func writePlan(c *cli.Context, env *Env, r *command.Reporter, b *deploy.Bundle, f deploy.ClientFactory, sel deploy.Selection, res *deploy.Result, doc *deployDocument) error {
	var rv *deploy.Review
	var reviewErr error
	if !res.Interrupted {
		rv, reviewErr = deploy.ReadReview(c.Context, b, f, sel, c.Int("concurrency"))
	}
	plan := deploy.NewPlan(res, rv, reviewErr)
	doc.Security, doc.Protected, doc.Traffic, doc.ReviewError = plan.Security, plan.Protected, plan.Traffic, plan.ReviewError
	if err := deploy.WritePlan(r.Out(), plan, deploy.PlanStyle{Color: r.OutColor(), Width: env.Width}); err != nil {
		return err
	}
	return newline(r.Out())
}
