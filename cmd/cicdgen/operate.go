package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/cicdgen/cicdgen/deploy"
	"github.com/cicdgen/cicdgen/diag"
)

// What status and destroy share: the system they read (a system.yaml or a
// build directory), an output form (text or one JSON document on stdout)
// and the AWS factory.

// Values of --format of status and destroy.
const (
	outputText = "text"
	outputJSON = "json"
)

// outputFormatFlag is the --format flag of a command whose output is a
// report: text, or one JSON document on stdout.
func outputFormatFlag() *cli.StringFlag {
	return &cli.StringFlag{
		Name:  "format",
		Value: outputText,
		Usage: "output: text, or json (one document on stdout; diagnostics and progress go to stderr)",
	}
}

// operation is a loaded system ready for status or destroy.
type operation struct {
	bundle  *deploy.Bundle
	factory *deploy.AWS
	json    bool
	// out is where the report goes (stdout); progress goes to stdout in
	// text and to stderr under --format json.
	out, progress io.Writer
}

// loadOperation reads FILE|DIR (default system.yaml) and the AWS
// configuration. Diagnostics go to stderr in text, so that stdout holds
// only the report.
func loadOperation(c *cli.Context, env *Env) (*operation, error) {
	args, err := fileArgs(c, env, 1)
	if err != nil {
		return nil, err
	}
	format := c.String("format")
	if format != outputText && format != outputJSON {
		return nil, usageError(c, env, "invalid --format %q: use text or json", format)
	}
	color, err := useColor(env, c.String("color"))
	if err != nil {
		return nil, usageError(c, env, "%v", err)
	}
	// Diagnostics in text on stderr, whatever the report's form.
	r := &reporter{env: env, format: diag.FormatText, color: color, strict: c.Bool("strict"), sources: map[string][]byte{}}
	b, err := loadBundle(r, args[0])
	if err != nil {
		return nil, err
	}
	factory, err := deploy.NewAWS(c.Context, deploy.AWSOptions{Getenv: env.Getenv})
	if err != nil {
		fmt.Fprintf(env.Stderr, "cicdgen %s: %v\n", c.Command.Name, err)
		return nil, exitWith(exitDeployFail)
	}
	op := &operation{bundle: b, factory: factory, json: format == outputJSON, out: env.Stdout, progress: env.Stdout}
	if op.json {
		op.progress = env.Stderr
	}
	return op, nil
}

// writeJSON writes v as one indented JSON document.
func writeJSON(w io.Writer, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode output: %w", err)
	}
	if _, err := w.Write(append(data, '\n')); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

// readLine reads one line of env.Stdin, or returns ctx's error when ctx is
// done first.
func readLine(ctx context.Context, env *Env) (string, error) {
	type answer struct {
		line string
		err  error
	}
	got := make(chan answer, 1)
	go func() {
		line, err := bufio.NewReader(env.Stdin).ReadString('\n')
		got <- answer{line, err}
	}()
	select {
	case <-ctx.Done():
		return "", ctx.Err()
	case a := <-got:
		if a.err != nil && (a.err != io.EOF || a.line == "") {
			return "", fmt.Errorf("read the answer: %w", a.err)
		}
		return strings.TrimSpace(a.line), nil
	}
}
