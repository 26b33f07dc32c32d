package command

import (
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/cicdgen/cicdgen/compiler"
	"github.com/cicdgen/cicdgen/diag"
)

// graphFormatFlag is graph's flag for the form of the graph.
const graphFormatFlag = "graph-format"

// graphCommand is `cicdgen graph [FILE] [--graph-format dot|mermaid]`: the
// stacks of the system and their dependencies.
func graphCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "graph",
		Usage:     "print the stacks and their dependencies (dot or mermaid)",
		ArgsUsage: "[FILE]",
		Description: "Compiles FILE (default system.yaml) and prints its stacks, grouped by\n" +
			"account, with an edge from each stack to the stacks that depend on it:\n\n" +
			"   cicdgen graph | dot -Tsvg > stacks.svg\n" +
			"   cicdgen graph --graph-format mermaid\n\n" +
			"With --format json, one JSON document holds the stacks, their dependencies\n" +
			"and the graph.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: graphFormatFlag, Value: compiler.GraphDot, Usage: "graph `FORMAT`: dot or mermaid"},
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
			format, err := outputFormat(c, env, graphFormatFlag, [2]string{compiler.GraphDot, compiler.GraphMermaid}, compiler.GraphDot, compiler.GraphMermaid)
			if err != nil {
				return err
			}
			r, err := NewReporter(c, env, FormatFlagName)
			if err != nil {
				return UsageError(c, env, "%v", err)
			}
			doc := &graphDocument{GraphFormat: format, Stacks: []stackEntry{}}
			return r.Conclude(doc, runGraph(env, r, files[0], doc))
		},
	}
}

// runGraph compiles file and prints its graph in doc.GraphFormat: in the
// JSON document, else where the reporter's output goes.
func runGraph(env *Env, r *Reporter, file string, doc *graphDocument) error {
	a, _, err := CompileAndEmit(env, r, file)
	if err != nil {
		return err
	}
	g, err := compiler.Graph(a, doc.GraphFormat)
	if err != nil {
		return r.Fail(ExitInputErrors, "%v", err)
	}
	if !strings.HasSuffix(g, "\n") {
		g += "\n"
	}
	doc.Graph = g
	doc.Stacks = stackEntries(a, "")
	if r.Format == diag.FormatJSON {
		return nil
	}
	if _, err := io.WriteString(r.Out(), g); err != nil {
		return r.Fail(ExitInputErrors, "write graph: %v", err)
	}
	return nil
}
