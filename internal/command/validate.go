package command

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
			"Text diagnostics go to stderr and a FILE: valid line per valid file to\n" +
			"stdout; --format json, sarif and github print to stdout.",
		Flags: []cli.Flag{diagFormatFlag(), strictFlag(), maxSizeFlag(), colorFlag()},
		Action: func(c *cli.Context) error {
			files, err := FileArgs(c, env, 0)
			if err != nil {
				return err
			}
			r, err := NewReporter(c, env, FormatFlagName)
			if err != nil {
				return UsageError(c, env, "%v", err)
			}
			doc := &validateDocument{Files: []fileVerdict{}}
			return r.Conclude(doc, runValidate(env, r, files, doc))
		},
	}
}

// runValidate checks files and reports each verdict in doc.
func runValidate(env *Env, r *Reporter, files []string, doc *validateDocument) error {
	var all diag.Diagnostics
	for _, f := range files {
		_, ds := CompileSystem(env, r, f)
		name := f
		if f == stdinName {
			name = stdinDisplayName
		}
		doc.Files = append(doc.Files, fileVerdict{File: name, Valid: !ds.HasErrors()})
		all = append(all, ds...)
	}
	if err := r.Emit(all); err != nil {
		return err
	}
	if r.Format == diag.FormatText {
		for _, v := range doc.Files {
			if v.Valid {
				fmt.Fprintf(env.Stdout, "%s: valid\n", v.File)
			}
		}
	}
	if all.HasErrors() {
		return ExitWith(ExitInputErrors)
	}
	return nil
}
