package main

import "github.com/urfave/cli/v2"

// graphCommand is the `cicdgen graph` command. (Owner replaces this placeholder.)
func graphCommand(env *Env) *cli.Command {
	return &cli.Command{Name: "graph", Action: func(*cli.Context) error { return exitWith(exitUsage) }}
}
