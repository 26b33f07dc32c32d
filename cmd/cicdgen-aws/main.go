// Command cicdgen-aws is cicdgen with the commands that call AWS (apply,
// diff, preflight, status, destroy) and every other command. The cicdgen
// binary hands those commands over to it; it is installed beside cicdgen.
package main

import (
	"os"

	"golang.org/x/term"

	"github.com/cicdgen/cicdgen/internal/command"
	"github.com/cicdgen/cicdgen/internal/command/awscmd"

	// Collect garbage less often: a seed build is about a sixth faster.
	_ "github.com/cicdgen/cicdgen/internal/shortlived"
)

func main() {
	width, _, err := term.GetSize(int(os.Stdout.Fd()))
	if err != nil {
		width = 0
	}
	os.Exit(awscmd.Main(os.Args, command.Env{
		Stdin:            os.Stdin,
		Stdout:           os.Stdout,
		Stderr:           os.Stderr,
		Getenv:           os.Getenv,
		IsTerminal:       term.IsTerminal(int(os.Stdout.Fd())),
		StdinIsTerminal:  term.IsTerminal(int(os.Stdin.Fd())),
		StderrIsTerminal: term.IsTerminal(int(os.Stderr.Fd())),
		Width:            width,
	}))
}
