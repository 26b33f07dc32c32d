package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/cicdgen/cicdgen/compiler"
	"github.com/cicdgen/cicdgen/manifest"
)

// defaultOutputDir is where build writes when -o is not given.
const defaultOutputDir = "out"

// buildCommand is `cicdgen build [FILE] [-o DIR] [--format json|yaml]`:
// validate, compile and write one template per stack plus manifest.json.
func buildCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "build",
		Usage:     "validate, compile and write the templates and manifest.json",
		ArgsUsage: "[FILE]",
		Description: "Compiles FILE (default system.yaml) into one CloudFormation template per\n" +
			"stack plus manifest.json, written into DIR (default out/). DIR is replaced\n" +
			"atomically: on error its previous content is untouched. Diagnostics go to\n" +
			"stderr. Exit status: 0 built (warnings allowed), 1 errors, 2 usage.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: defaultOutputDir, Usage: "write the templates and manifest.json into `DIR`"},
			&cli.StringFlag{Name: "format", Value: manifest.FormatJSON, Usage: "template format: json or yaml"},
			strictFlag(),
			diagnosticsFormatFlag(),
			colorFlag(),
		},
		Action: func(c *cli.Context) error {
			files, err := fileArgs(c, env, 1)
			if err != nil {
				return err
			}
			format := c.String("format")
			if format != manifest.FormatJSON && format != manifest.FormatYAML {
				return usageError(c, env, "invalid --format %q: use json or yaml", format)
			}
			dir := c.String("output")
			if dir == "" {
				return usageError(c, env, "the output directory (-o) is empty")
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
			if err := compiler.WriteOutput(dir, a, format); err != nil {
				fmt.Fprintf(env.Stderr, "cicdgen build: %v\n", err)
				return exitWith(exitInputErrors)
			}
			fmt.Fprintf(env.Stdout, "wrote %d stacks and %s to %s\n", len(a.Stacks), manifest.File, dir)
			return nil
		},
	}
}
