package main

import "github.com/urfave/cli/v2"

// buildCommand is the `cicdgen build` command. (Owner replaces this placeholder.)
func buildCommand(env *Env) *cli.Command {
	return &cli.Command{Name: "build", Action: func(*cli.Context) error { return exitWith(exitUsage) }}
}
