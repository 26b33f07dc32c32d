package main

import "github.com/urfave/cli/v2"

// diffCommand is the `cicdgen diff` command. (Owner replaces this placeholder.)
func diffCommand(env *Env) *cli.Command {
	return &cli.Command{Name: "diff", Action: func(*cli.Context) error { return exitWith(exitUsage) }}
}
