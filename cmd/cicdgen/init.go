package main

import "github.com/urfave/cli/v2"

// initCommand is the `cicdgen init` command. (Owner replaces this placeholder.)
func initCommand(env *Env) *cli.Command {
	return &cli.Command{Name: "init", Action: func(*cli.Context) error { return exitWith(exitUsage) }}
}
