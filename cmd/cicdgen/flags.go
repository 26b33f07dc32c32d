package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/cicdgen/cicdgen/diag"
	"github.com/cicdgen/cicdgen/schema"
)

// defaultSystemFile is the file commands read when no FILE is given.
const defaultSystemFile = "system.yaml"

// Values of the --color flag.
const (
	colorAuto   = "auto"
	colorAlways = "always"
	colorNever  = "never"
)

// diagFormatFlag is the --format flag of commands whose output is only
// diagnostics.
func diagFormatFlag() *cli.StringFlag {
	return &cli.StringFlag{
		Name:  "format",
		Value: diag.FormatText,
		Usage: "diagnostics format: " + strings.Join(diag.Formats(), ", "),
	}
}

// diagnosticsFormatFlag is the --diagnostics flag of commands whose --format
// chooses something else (build, graph).
func diagnosticsFormatFlag() *cli.StringFlag {
	return &cli.StringFlag{
		Name:  "diagnostics",
		Value: diag.FormatText,
		Usage: "diagnostics format: " + strings.Join(diag.Formats(), ", "),
	}
}

// colorFlag is the --color flag.
func colorFlag() *cli.StringFlag {
	return &cli.StringFlag{
		Name:  "color",
		Value: colorAuto,
		Usage: "colour diagnostics: auto (on a terminal, unless NO_COLOR is set), always or never",
	}
}

// strictFlag is the --strict flag.
func strictFlag() *cli.BoolFlag {
	return &cli.BoolFlag{
		Name:  "strict",
		Usage: "treat warnings (placeholders included) as errors",
	}
}

// maxSizeFlag is the --max-size flag of the commands that read a system.yaml.
func maxSizeFlag() *cli.StringFlag {
	return &cli.StringFlag{
		Name:  "max-size",
		Value: schema.FormatSizeFlag(schema.DefaultMaxBytes),
		Usage: "read a system.yaml of up to `SIZE` (such as 8MiB); larger files are refused before parsing",
	}
}

// useColor resolves a --color value. auto means colour only when stderr (where text diagnostics go) is
// a terminal and NO_COLOR is unset or empty (https://no-color.org).
func useColor(env *Env, mode string) (bool, error) {
	switch mode {
	case colorAlways:
		return true, nil
	case colorNever:
		return false, nil
	case colorAuto, "":
		return env.StderrIsTerminal && env.Getenv("NO_COLOR") == "", nil
	}
	return false, fmt.Errorf("invalid --color %q: use auto, always or never", mode)
}

// reporter prints diagnostics in the form the flags chose.
type reporter struct {
	env     *Env
	format  string
	color   bool
	strict  bool
	sources map[string][]byte
	// maxSize is the largest system.yaml read, in bytes (--max-size).
	maxSize int64
}

// newReporter reads the format (from the flag named formatFlag), --color and,
// when the command has it, --strict.
func newReporter(c *cli.Context, env *Env, formatFlag string) (*reporter, error) {
	format, err := diag.ParseFormat(c.String(formatFlag))
	if err != nil {
		return nil, fmt.Errorf("invalid --%s: %w", formatFlag, err)
	}
	color, err := useColor(env, c.String("color"))
	if err != nil {
		return nil, err
	}
	maxSize := int64(schema.DefaultMaxBytes)
	if text := c.String("max-size"); text != "" {
		if maxSize, err = schema.ParseSize(text); err != nil {
			return nil, fmt.Errorf("invalid --max-size: %w", err)
		}
	}
	return &reporter{env: env, format: format, color: color, strict: c.Bool("strict"), sources: map[string][]byte{}, maxSize: maxSize}, nil
}

// addSource records the contents of file for the caret snippets.
func (r *reporter) addSource(file string, src []byte) { r.sources[file] = src }

// adjust applies --strict: every warning becomes an error.
func (r *reporter) adjust(ds diag.Diagnostics) diag.Diagnostics {
	if r.strict {
		return ds.Promote()
	}
	return ds
}

// print renders ds to w. Text and GitHub output of no diagnostics prints
// nothing; JSON and SARIF always print a document.
func (r *reporter) print(w io.Writer, ds diag.Diagnostics) error {
	return diag.Render(w, ds, diag.RenderOptions{
		Format:      r.format,
		Color:       r.color,
		Sources:     r.sources,
		ToolVersion: version(),
	})
}

// machineReadable reports whether the chosen format is meant for programs.
func (r *reporter) machineReadable() bool {
	return r.format == diag.FormatJSON || r.format == diag.FormatSARIF || r.format == diag.FormatGitHub
}

// usageError prints a short usage message for the command of c and returns
// the error that makes Main exit 2.
func usageError(c *cli.Context, env *Env, format string, args ...any) error {
	name := "cicdgen"
	if c != nil && c.Command != nil && c.Command.Name != "" && c.Command.Name != c.App.Name {
		name += " " + c.Command.Name
	}
	fmt.Fprintf(env.Stderr, "%s: %s\nRun '%s --help' for usage.\n", name, fmt.Sprintf(format, args...), name)
	return exitWith(exitUsage)
}

// positionalArgs returns the positional arguments of c, also parsing the
// flags that follow the first of them, so that `cicdgen validate FILE
// --strict` means what it says. Go's flag parsing stops at the first
// positional argument; this picks up where it stopped. After "--" every
// argument is positional.
func positionalArgs(c *cli.Context) ([]string, error) {
	args := c.Args().Slice()
	var pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			pos = append(pos, a)
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		f := lookupFlag(c.Command.Flags, name)
		if f == nil {
			return nil, fmt.Errorf("flag provided but not defined: -%s", name)
		}
		if _, isBool := f.(*cli.BoolFlag); isBool {
			if !hasValue {
				value = "true"
			}
		} else if !hasValue {
			if i+1 >= len(args) {
				return nil, fmt.Errorf("flag needs an argument: -%s", name)
			}
			i++
			value = args[i]
		}
		// Aliases are separate entries of the flag set: set them all.
		for _, n := range f.Names() {
			if err := c.Set(n, value); err != nil {
				return nil, fmt.Errorf("invalid value %q for flag -%s: %w", value, name, err)
			}
		}
	}
	return pos, nil
}

// lookupFlag returns the flag of flags called name (or aliased so), or nil.
func lookupFlag(flags []cli.Flag, name string) cli.Flag {
	for _, f := range flags {
		for _, n := range f.Names() {
			if n == name {
				return f
			}
		}
	}
	return nil
}

// fileArgs returns the FILE arguments of c (system.yaml when there is none),
// at most max of them (0: any number); more is a usage error.
func fileArgs(c *cli.Context, env *Env, max int) ([]string, error) {
	pos, err := positionalArgs(c)
	if err != nil {
		return nil, usageError(c, env, "%v", err)
	}
	if max > 0 && len(pos) > max {
		return nil, usageError(c, env, "too many arguments: %s", strings.Join(pos, " "))
	}
	if len(pos) == 0 {
		pos = []string{defaultSystemFile}
	}
	return pos, nil
}
