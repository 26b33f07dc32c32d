package awscmd

import (
	"github.com/urfave/cli/v2"

	"github.com/cicdgen/cicdgen/compiler"
	"github.com/cicdgen/cicdgen/deploy"
	"github.com/cicdgen/cicdgen/diag"
	"github.com/cicdgen/cicdgen/internal/command"
	"github.com/cicdgen/cicdgen/schema"
)

// preflightAction runs `cicdgen preflight`.
func preflightAction(env *Env) cli.ActionFunc {
	return func(c *cli.Context) error {
		op, err := newOperation(c, env, nil)
		if err != nil {
			return err
		}
		doc := &preflightDocument{Checks: []deploy.Check{}}
		return op.r.Conclude(doc, runPreflight(c, env, op.r, op.file, doc))
	}
}

// runPreflight loads file and makes its checks, recorded in doc.
func runPreflight(c *cli.Context, env *Env, r *command.Reporter, file string, doc *preflightDocument) error {
	sys, ds := command.LoadSystem(env, r, file)
	ds = r.Adjust(ds)
	var placeholders []string
	var others diag.Diagnostics
	for _, d := range ds {
		if d.Rule == schema.RulePlaceholder {
			placeholders = append(placeholders, d.Range.String()+": "+d.Message)
		} else {
			others = append(others, d)
		}
	}
	if err := r.Emit(others); err != nil {
		return err
	}
	if sys == nil || others.HasErrors() {
		return command.ExitWith(command.ExitInputErrors)
	}
	factory, err := newAWS(c.Context, env)
	if err != nil {
		// preflight checks the configuration: one that does not load is a
		// failed check, exit 1.
		return r.Fail(command.ExitInputErrors, "%v", err)
	}
	in := deploy.PreflightFor(sys, placeholders)
	if b := buildInMemory(sys); b != nil {
		in.Roles = deploy.RolesVersionsFrom(b)
		in.AddSecrets(deploy.SecretsWithoutValue(b))
	}
	checks := deploy.Preflight(c.Context, in, factory)
	doc.setChecks(checks)
	// The checks were made: output that cannot be written is reported and
	// exits 1, not 2 (usage).
	if err := deploy.WriteChecks(r.Out(), checks); err != nil {
		return r.Fail(command.ExitInputErrors, "%v", err)
	}
	if r.Format == diag.FormatGitHub {
		if err := deploy.WriteCheckAnnotations(env.Stdout, checks); err != nil {
			return r.Fail(command.ExitInputErrors, "%v", err)
		}
	}
	if deploy.PreflightFailed(checks) {
		return command.ExitWith(command.ExitInputErrors)
	}
	return nil
}

// buildInMemory compiles the system for the checks that read its
// templates (the roles' versions, the secrets created without a value);
// nil when it does not compile (validate and build report why).
func buildInMemory(sys *schema.System) *deploy.Bundle {
	a, ds := compiler.Compile(sys)
	if ds.HasErrors() {
		return nil
	}
	b, err := bundleOf(a)
	if err != nil {
		return nil
	}
	return b
}
