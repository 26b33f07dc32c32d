package main

import "github.com/urfave/cli/v2"

// schemaCommand is the `cicdgen schema` command. (Owner replaces this placeholder.)
func schemaCommand(env *Env) *cli.Command {
	return &cli.Command{Name: "schema", Action: func(*cli.Context) error { return exitWith(exitUsage) }}
}
