package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/cicdgen/cicdgen/diag"
)

// validateCommand is `cicdgen validate [FILE...]`: the schema and semantic
// checks, then a compile in memory, so that what only the templates can show
// (an override whose path is not in its stack, a quota) fails validate as it
// would fail build. Nothing is written. Exit 0 when there are no errors
// (warnings allowed), 1 when there are, 2 for a usage error.
func validateCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "validate",
		Usage:     "check system.yaml against the schema and the semantic checks",
		ArgsUsage: "[FILE...]",
		Description: "Checks each FILE (default system.yaml; - reads standard input) and prints\n" +
			"every problem with its position, compiling in memory so that overrides and\n" +
			"CloudFormation quotas are checked too. Placeholder values are warnings, errors\n" +
			"under --strict. Exit status: 0 valid (warnings allowed), 1 errors, 2 usage.\n\n" +
			"With --format json or sarif the report goes to stdout, as do github\n" +
			"annotations; text goes to stderr.",
		Flags: []cli.Flag{diagFormatFlag(), strictFlag(), maxSizeFlag(), colorFlag()},
		Action: func(c *cli.Context) error {
			files, err := fileArgs(c, env, 0)
			if err != nil {
				return err
			}
			r, err := newReporter(c, env, "format")
			if err != nil {
				return usageError(c, env, "%v", err)
			}
			var all diag.Diagnostics
			var valid []string
			for _, f := range files {
				_, ds := compileSystem(env, r, f)
				if !ds.HasErrors() {
					valid = append(valid, f)
				}
				all = append(all, ds...)
			}
			out := env.Stderr
			if r.machineReadable() {
				out = env.Stdout
			}
			if err := r.print(out, all); err != nil {
				return err
			}
			if r.format == diag.FormatText {
				for _, f := range valid {
					fmt.Fprintf(env.Stdout, "%s: valid\n", f)
				}
			}
			if all.HasErrors() {
				return exitWith(exitInputErrors)
			}
			return nil
		},
	}
}
