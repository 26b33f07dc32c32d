// Command cicdgen compiles a declarative system.yaml into the CloudFormation
// templates of a multi-account CI/CD system on AWS, and deploys them. It
// links no AWS SDK: the commands that call AWS (apply, diff, preflight,
// status, destroy) are handed over to the cicdgen-aws binary, installed
// beside it.
package main

import (
	"os"

	"golang.org/x/term"

	"github.com/cicdgen/cicdgen/internal/command"

	// Collect garbage less often: a seed build is about a sixth faster.
	_ "github.com/cicdgen/cicdgen/internal/shortlived"
)

func main() {
	width, _, err := term.GetSize(int(os.Stdout.Fd()))
	if err != nil {
		width = 0
	}
	os.Exit(command.Main(os.Args, command.Env{
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
