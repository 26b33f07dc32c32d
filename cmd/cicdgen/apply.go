package main

import "github.com/urfave/cli/v2"

// applyCommand is the `cicdgen apply` command. (Owner replaces this placeholder.)
func applyCommand(env *Env) *cli.Command {
	return &cli.Command{Name: "apply", Action: func(*cli.Context) error { return exitWith(exitUsage) }}
}
