package awscmd

import (
	"errors"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/cicdgen/cicdgen/deploy"
	"github.com/cicdgen/cicdgen/diag"
	"github.com/cicdgen/cicdgen/internal/command"
)

// statusAction runs `cicdgen status`.
func statusAction(env *Env) cli.ActionFunc {
	return func(c *cli.Context) error {
		op, err := newOperation(c, env, nil)
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
		code := command.ExitUsage // a selection that names nothing
		if errors.As(err, new(*deploy.EndpointError)) {
			code = command.ExitDeployFail
		}
		return op.r.Fail(code, "%v", err)
	}
	doc.setStatus(st)
	if op.r.Format != diag.FormatJSON {
		if err := deploy.WriteStatus(op.out, st); err != nil {
			return op.r.Fail(command.ExitInputErrors, "%v", err)
		}
	}
	if c.Context.Err() != nil {
		return command.ExitWith(command.ExitInterrupted)
	}
	if deploy.StatusFailed(st) {
		return command.ExitWith(command.ExitDeployFail)
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
