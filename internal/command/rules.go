package command

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/cicdgen/cicdgen/diag"
)

// rulesCommand is `cicdgen rules`: list the rule ids diagnostics name, each
// with its summary (the registry of diag/rules.go, also docs/rules.md).
func rulesCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "rules",
		Usage:     "list the rules that diagnostics name, with a summary of each",
		ArgsUsage: " ",
		Description: "Prints every rule id a diagnostic can carry (error[fargate-size]) and the\n" +
			"problem it names, in the order a file is checked: the list of docs/rules.md.",
		Action: func(c *cli.Context) error {
			pos, err := commandArgs(c, env)
			if err != nil {
				return err
			}
			if len(pos) > 0 {
				return UsageError(c, env, "rules takes no arguments, got %q", pos[0])
			}
			rules := diag.Rules()
			width := 0
			for _, r := range rules {
				width = max(width, len(r.ID))
			}
			var b strings.Builder
			for _, r := range rules {
				fmt.Fprintf(&b, "%-*s  %s\n", width, r.ID, r.Summary)
			}
			if _, err := fmt.Fprint(env.Stdout, b.String()); err != nil {
				return fmt.Errorf("write rules: %w", err)
			}
			return nil
		},
	}
}
