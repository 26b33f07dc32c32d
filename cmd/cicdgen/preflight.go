package main

import "github.com/urfave/cli/v2"

// preflightCommand is the `cicdgen preflight` command. (Owner replaces this placeholder.)
func preflightCommand(env *Env) *cli.Command {
	return &cli.Command{Name: "preflight", Action: func(*cli.Context) error { return exitWith(exitUsage) }}
}
