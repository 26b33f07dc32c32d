package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/cicdgen/cicdgen/compiler"
)

// graphCommand is `cicdgen graph [FILE] [--format dot|mermaid]`: the stacks
// of the system and their dependencies.
func graphCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "graph",
		Usage:     "print the stacks and their dependencies (dot or mermaid)",
		ArgsUsage: "[FILE]",
		Description: "Compiles FILE (default system.yaml) and prints its stacks, grouped by\n" +
			"account, with an edge from each stack to the stacks that depend on it:\n\n" +
			"   cicdgen graph | dot -Tsvg > stacks.svg\n" +
			"   cicdgen graph --format mermaid",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Value: compiler.GraphDot, Usage: "graph format: dot or mermaid"},
			strictFlag(), maxSizeFlag(),
			diagnosticsFormatFlag(),
			colorFlag(),
		},
		Action: func(c *cli.Context) error {
			files, err := fileArgs(c, env, 1)
			if err != nil {
				return err
			}
			format := c.String("format")
			if format != compiler.GraphDot && format != compiler.GraphMermaid {
				return usageError(c, env, "invalid --format %q: use dot or mermaid", format)
			}
			r, err := newReporter(c, env, "diagnostics")
			if err != nil {
				return usageError(c, env, "%v", err)
			}
			a, ds := compileSystem(env, r, files[0])
			if err := r.print(env.Stderr, ds); err != nil {
				return err
			}
			if a == nil {
				return exitWith(exitInputErrors)
			}
			g, err := compiler.Graph(a, format)
			if err != nil {
				return fmt.Errorf("graph: %w", err)
			}
			if !strings.HasSuffix(g, "\n") {
				g += "\n"
			}
			if _, err := io.WriteString(env.Stdout, g); err != nil {
				return fmt.Errorf("write graph: %w", err)
			}
			return nil
		},
	}
}
