package main

import "github.com/urfave/cli/v2"

// validateCommand is the `cicdgen validate` command. (Owner replaces this placeholder.)
func validateCommand(env *Env) *cli.Command {
	return &cli.Command{Name: "validate", Action: func(*cli.Context) error { return exitWith(exitUsage) }}
}
