package main

import (
	"io"

	"github.com/urfave/cli/v2"

	"github.com/cicdgen/cicdgen/deploy"
	"github.com/cicdgen/cicdgen/diag"
)

// statusCommand is `cicdgen status [FILE|DIR]`: every stack's state, the
// service URLs and the pipeline's last execution.
func statusCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "status",
		Usage:     "show every stack's state, each environment's service URL and the pipeline's last execution",
		ArgsUsage: "[FILE|DIR]",
		Description: "Reads, for FILE (a system.yaml, compiled in memory; default system.yaml) or\n" +
			"DIR (the output of cicdgen build), each stack in its account and region: its\n" +
			"state, its last update and whether its deployed template is the built one\n" +
			"(current), differs from it (stale: apply would change it) or is missing (not\n" +
			"deployed); each environment's service URL (its load balancer's); the\n" +
			"pipeline's console URL and its last execution per stage.\n\n" +
			"Exit status: 0 shown, 1 input errors or output that could not be written,\n" +
			"2 usage, 3 a stack could not be read or is in a failed state.",
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "env", Usage: "only the stacks of environment `E` (repeatable), with the stacks they depend on"},
			diagFormatFlag(),
			strictFlag(),
			colorFlag(),
		},
		Action: func(c *cli.Context) error {
			op, err := newOperation(c, env)
			if err != nil {
				return err
			}
			doc := &statusDocument{Stacks: []deploy.StackStatus{}, Environments: []deploy.EnvironmentStatus{}}
			return op.r.conclude(doc, runStatus(c, op, doc))
		},
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
		return op.r.fail(exitUsage, "%v", err)
	}
	doc.setStatus(st)
	if op.r.format != diag.FormatJSON {
		if err := deploy.WriteStatus(op.out, st); err != nil {
			return op.r.fail(exitInputErrors, "%v", err)
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

// writeAccessPoints writes what apply prints when it is done: each selected
// environment's service URL and the pipeline's console URL. It reads the
// stacks' outputs once more (not their templates, not the pipeline's
// state); a stack that cannot be read shows as not deployed.
func writeAccessPoints(c *cli.Context, b *deploy.Bundle, f deploy.ClientFactory, sel deploy.Selection, w io.Writer) error {
	st, err := deploy.ReadStatus(c.Context, b, f, deploy.StatusOptions{Selection: sel, SkipTemplates: true, SkipPipeline: true})
	if err != nil {
		return err
	}
	if len(st.Environments) == 0 && st.Pipeline == nil {
		return nil
	}
	if err := newline(w); err != nil {
		return err
	}
	return deploy.WriteStatusBrief(w, st)
}
