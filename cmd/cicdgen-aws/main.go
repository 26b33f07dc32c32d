// Command cicdgen-aws is cicdgen with the commands that call AWS (apply,
// diff, preflight, status, destroy) and every other command. The cicdgen
// binary hands those commands over to it; it is installed beside cicdgen.
package main

import (
	"os"

	"github.com/cicdgen/cicdgen/internal/command"
	"github.com/cicdgen/cicdgen/internal/command/awscmd"

	// Collect garbage less often: a seed build is about a sixth faster.
	_ "github.com/cicdgen/cicdgen/internal/shortlived"
)

func main() {
	os.Exit(awscmd.Main(os.Args, command.ProcessEnv()))
}
