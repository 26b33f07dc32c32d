package awscmd

import (
	"github.com/urfave/cli/v2"

	"github.com/cicdgen/cicdgen/deploy"
	"github.com/cicdgen/cicdgen/diag"
)

// statusAction runs `cicdgen status`.
func statusAction(env *Env) cli.ActionFunc {
	return func(c *cli.Context) error {
		op, err := newOperation(c, env)
		if err != nil {
			return err
		}
		doc := &statusDocument{Stacks: []deploy.StackStatus{}, Environments: []deploy.EnvironmentStatus{}}
		return op.r.Conclude(doc, runStatus(c, op, doc))
	}
}

// runStatus reads the state of the system and reports it in doc.
func runStatus(c *cli.Context, op *operation, doc *statusDocument) error {
	if err := op.load(c); err != nil {
		return err
	}
	st, err := deploy.ReadStatus(c.Context, op.bundle, op.factory, deploy.StatusOptions{
		Selection: deploy.Selection{Environments: c.StringSlice("env")},
	})
	if err != nil {
		return op.r.Fail(exitUsage, "%v", err)
	}
	doc.setStatus(st)
	if op.r.Format != diag.FormatJSON {
		if err := deploy.WriteStatus(op.out, st); err != nil {
			return op.r.Fail(exitInputErrors, "%v", err)
		}
	}
	if c.Context.Err() != nil {
		return exitWith(exitInterrupted)
	}
	if deploy.StatusFailed(st) {
		return exitWith(exitDeployFail)
	}
	return nil
}
