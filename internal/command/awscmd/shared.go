package awscmd

import (
	"io"

	"github.com/urfave/cli/v2"

	"github.com/cicdgen/cicdgen/compiler"
	"github.com/cicdgen/cicdgen/diag"
	"github.com/cicdgen/cicdgen/internal/command"
	"github.com/cicdgen/cicdgen/schema"
)

// What the actions take from package command, under the names they had
// when every command was in one package.

// Exit codes of SPEC.md.
const (
	exitInputErrors = command.ExitInputErrors
	exitUsage       = command.ExitUsage
	exitDeployFail  = command.ExitDeployFail
	exitInterrupted = command.ExitInterrupted
)

// formatFlagName is the name of the --format flag.
const formatFlagName = command.FormatFlagName

// Values of --color.
const (
	colorAuto   = command.ColorAuto
	colorAlways = command.ColorAlways
)

// Values of apply's --require-approval.
const (
	approvalNever      = command.ApprovalNever
	approvalBroadening = command.ApprovalBroadening
	approvalAny        = command.ApprovalAny
)

type (
	reporter  = command.Reporter
	docHeader = command.DocHeader
	exitError = command.ExitError
)

func exitWith(code int) error { return command.ExitWith(code) }

func usageError(c *cli.Context, env *Env, format string, args ...any) error {
	return command.UsageError(c, env, format, args...)
}

func fileArgs(c *cli.Context, env *Env, max int) ([]string, error) {
	return command.FileArgs(c, env, max)
}

func newReporter(c *cli.Context, env *Env, formatFlag string) (*reporter, error) {
	return command.NewReporter(c, env, formatFlag)
}

func loadSystem(env *Env, r *reporter, path string) (*schema.System, diag.Diagnostics) {
	return command.LoadSystem(env, r, path)
}

func compileSystem(env *Env, r *reporter, path string) (*compiler.Assembly, diag.Diagnostics) {
	return command.CompileSystem(env, r, path)
}

func writeDocument(w io.Writer, doc command.Document) error { return command.WriteDocument(w, doc) }
