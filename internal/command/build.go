package command

import (
	"fmt"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/cicdgen/cicdgen/compiler"
	"github.com/cicdgen/cicdgen/diag"
	"github.com/cicdgen/cicdgen/manifest"
)

// defaultOutputDir is where build writes when -o is not given.
const defaultOutputDir = "out"

// templateFormatFlag is build's flag for the format of the templates.
const templateFormatFlag = "template-format"

// buildCommand is `cicdgen build [FILE] [-o DIR] [--template-format json|yaml]`:
// validate, compile and write one template per stack plus manifest.json.
func buildCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "build",
		Usage:     "validate, compile and write the templates and manifest.json",
		ArgsUsage: "[FILE]",
		Description: "Compiles FILE (default system.yaml) into one CloudFormation template per\n" +
			"stack plus manifest.json, written into DIR (default out/). DIR is replaced\n" +
			"atomically: on error its previous content is untouched. Diagnostics go to\n" +
			"stderr (--format json: one document on stdout). Exit status: 0 built\n" +
			"(warnings allowed), 1 errors, 2 usage.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: defaultOutputDir, Usage: "write the templates and manifest.json into `DIR`"},
			&cli.StringFlag{Name: templateFormatFlag, Value: manifest.FormatJSON, Usage: "template `FORMAT`: json or yaml"},
			diagFormatFlag(),
			strictFlag(), maxSizeFlag(),
			colorFlag(),
			legacyDiagnosticsFormatFlag(),
		},
		Action: func(c *cli.Context) error {
			files, err := FileArgs(c, env, 1)
			if err != nil {
				return err
			}
			format, err := outputFormat(c, env, templateFormatFlag, [2]string{manifest.FormatJSON, manifest.FormatYAML}, manifest.FormatYAML)
			if err != nil {
				return err
			}
			dir := c.String("output")
			if dir == "" {
				return UsageError(c, env, "the output directory (-o) is empty")
			}
			r, err := NewReporter(c, env, FormatFlagName)
			if err != nil {
				return UsageError(c, env, "%v", err)
			}
			doc := &buildDocument{Stacks: []stackEntry{}}
			return r.Conclude(doc, runBuild(env, r, files[0], dir, format, doc))
		},
	}
}

// runBuild compiles file and writes its output into dir.
func runBuild(env *Env, r *Reporter, file, dir, format string, doc *buildDocument) error {
	a, _, err := CompileAndEmit(env, r, file)
	if err != nil {
		return err
	}
	if err := compiler.WriteOutput(dir, a, format); err != nil {
		return r.Fail(ExitInputErrors, "%v", err)
	}
	doc.Output = dir
	doc.Manifest = filepath.Join(dir, manifest.File)
	doc.Stacks = stackEntries(a, format)
	fmt.Fprintf(r.Out(), "wrote %s and %s to %s\n", diag.Plural(len(a.Stacks), "stack"), manifest.File, dir)
	return nil
}
