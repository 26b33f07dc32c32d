package awscmd

import "github.com/urfave/cli/v2"

// diffAction runs `cicdgen diff`.
func diffAction(env *Env) cli.ActionFunc {
	return func(c *cli.Context) error { return runDeploy(c, env, true) }
}
