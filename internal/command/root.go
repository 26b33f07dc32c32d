package command

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/cicdgen/cicdgen/diag"
)

// rootAction runs when no command matched: without arguments it shows the
// help, and `help [COMMAND]` shows the help of the program or a command;
// otherwise the first argument is an unknown command, a usage error
// (exit 2) with a suggestion when a command's name is close.
func rootAction(env *Env) cli.ActionFunc {
	return func(c *cli.Context) error {
		if c.NArg() == 0 {
			return cli.ShowAppHelp(c)
		}
		name := c.Args().First()
		if name == "help" {
			if c.NArg() == 1 {
				return cli.ShowAppHelp(c)
			}
			if c.App.Command(c.Args().Get(1)) != nil {
				return cli.ShowCommandHelp(c, c.Args().Get(1))
			}
			name = c.Args().Get(1)
		}
		msg := "unknown command \"" + name + "\""
		if s := closestCommand(c.App, name); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		}
		return UsageError(c, env, "%s", msg)
	}
}

// closestCommand returns the visible command whose name is a likely typo of
// name, or "".
func closestCommand(app *cli.App, name string) string {
	var names []string
	for _, cmd := range app.Commands {
		if !cmd.Hidden {
			names = append(names, cmd.Name)
		}
	}
	return diag.Closest(name, names)
}
