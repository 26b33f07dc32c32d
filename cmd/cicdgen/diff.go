package main

import "github.com/urfave/cli/v2"

// diffCommand is `cicdgen diff [FILE|DIR]`: what apply would change, stack by
// stack, through change sets that are created, read and deleted.
func diffCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "diff",
		Usage:     "show what apply would change, stack by stack, without changing anything",
		ArgsUsage: "[FILE|DIR]",
		Description: "Creates a change set per stack (of type CREATE for a stack that does not\n" +
			"exist yet), prints its changes — Add, Modify or Remove per resource with\n" +
			"its logical id, type and whether it is replaced — and deletes it. Nothing\n" +
			"is executed. A stack whose parameters come from a stack not deployed yet\n" +
			"shows its changes once that stack exists.\n\n" +
			"Exit status: 0 shown, 1 input errors or output that could not be\n" +
			"written, 2 usage, 3 a change set failed, 130 interrupted.",
		Flags:  deployFlags(),
		Action: func(c *cli.Context) error { return runDeploy(c, env, true) },
	}
}
