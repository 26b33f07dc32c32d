package command

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/cicdgen/cicdgen/schema"
)

// schemaCommand is `cicdgen schema`: print the JSON Schema of system.yaml,
// for editors (yaml-language-server) and other tools.
func schemaCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "schema",
		Usage:     "print the JSON Schema of system.yaml",
		ArgsUsage: " ",
		Description: "Prints the JSON Schema (2020-12) of system.yaml v1 to stdout. Save it next to\n" +
			"your system.yaml and point your editor at it:\n\n" +
			"   cicdgen schema > system.schema.json\n" +
			"   # yaml-language-server: $schema=system.schema.json",
		Action: func(c *cli.Context) error {
			pos, err := commandArgs(c, env)
			if err != nil {
				return err
			}
			if len(pos) > 0 {
				return UsageError(c, env, "schema takes no arguments, got %q", pos[0])
			}
			if _, err := env.Stdout.Write(schema.JSONSchema()); err != nil {
				return fmt.Errorf("write schema: %w", err)
			}
			return nil
		},
	}
}
