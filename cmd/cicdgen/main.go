// Command cicdgen compiles a declarative system.yaml into the CloudFormation
// templates of a multi-account CI/CD system on AWS, and deploys them.
package main

import (
	"os"
	"runtime/debug"

	"golang.org/x/term"

	"github.com/cicdgen/cicdgen/schema"
)

func main() {
	// cicdgen lives for milliseconds and allocates most of its memory at
	// once: collecting less often makes a build measurably faster (about a
	// sixth for the seed example) for a few more megabytes. GOGC still wins.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	// Compile system.yaml's JSON Schema while the command line is parsed and
	// the file read.
	schema.Prepare()
	width, _, err := term.GetSize(int(os.Stdout.Fd()))
	if err != nil {
		width = 0
	}
	os.Exit(Main(os.Args, Env{
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
