package main

import (
	"encoding/json"
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
			"problem it names, in the order a file is checked. With --format json, one\n" +
			"document: {\"rules\": [{\"id\": ..., \"summary\": ...}]}.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Value: diag.FormatText, Usage: "text or json"},
		},
		Action: func(c *cli.Context) error {
			pos, err := positionalArgs(c)
			if err != nil {
				return usageError(c, env, "%v", err)
			}
			if len(pos) > 0 {
				return usageError(c, env, "rules takes no arguments, got %q", pos[0])
			}
			rules := diag.Rules()
			switch c.String("format") {
			case diag.FormatJSON:
				enc := json.NewEncoder(env.Stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(struct {
					Rules []diag.RuleInfo `json:"rules"`
				}{rules}); err != nil {
					return fmt.Errorf("write rules: %w", err)
				}
			case diag.FormatText, "":
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
			default:
				return usageError(c, env, "invalid --format %q: use text or json", c.String("format"))
			}
			return nil
		},
	}
}
