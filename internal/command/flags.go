package command

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/cicdgen/cicdgen/diag"
	"github.com/cicdgen/cicdgen/internal/version"
	"github.com/cicdgen/cicdgen/schema"
)

// defaultSystemFile is the file commands read when no FILE is given.
const defaultSystemFile = "system.yaml"

// Values of the --color flag.
const (
	ColorAuto   = "auto"
	ColorAlways = "always"
	ColorNever  = "never"
)

// FormatFlagName is the flag that chooses the form of the diagnostics, and
// of everything else a command prints, in every command that has it.
const FormatFlagName = "format"

// legacyDiagnosticsFlag is build's and graph's old name of --format; it
// still works, with a warning, until the next release.
const legacyDiagnosticsFlag = "diagnostics"

// diagFormatFlag is the --format flag: text, json, sarif or github.
func diagFormatFlag() *cli.StringFlag {
	return &cli.StringFlag{
		Name:  FormatFlagName,
		Value: diag.FormatText,
		Usage: "output `FORM`: " + strings.Join(diag.Formats(), ", ") + " (json: one JSON document on stdout, see docs/json.md)",
	}
}

// legacyDiagnosticsFormatFlag is the hidden, deprecated --diagnostics flag
// of build and graph.
func legacyDiagnosticsFormatFlag() *cli.StringFlag {
	return &cli.StringFlag{Name: legacyDiagnosticsFlag, Hidden: true, Usage: "deprecated: use --format"}
}

// colorFlag is the --color flag.
func colorFlag() *cli.StringFlag {
	return &cli.StringFlag{
		Name:  "color",
		Value: ColorAuto,
		Usage: "`WHEN` to colour diagnostics: auto (on a terminal, unless NO_COLOR is set), always or never",
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

// useColor resolves a --color value for the diagnostics: auto means colour
// only when stderr (where text diagnostics go) is a terminal and NO_COLOR is
// unset or empty (https://no-color.org).
func useColor(env *Env, mode string) (bool, error) {
	return colorFor(env, mode, env.StderrIsTerminal)
}

// colorFor resolves a --color value for a stream that is a terminal or not
// (terminal): auto means colour only on a terminal, and when NO_COLOR is
// unset or empty.
func colorFor(env *Env, mode string, terminal bool) (bool, error) {
	switch mode {
	case ColorAlways:
		return true, nil
	case ColorNever:
		return false, nil
	case ColorAuto, "":
		return terminal && env.Getenv("NO_COLOR") == "", nil
	}
	return false, fmt.Errorf("invalid --color %q: use auto, always or never", mode)
}

// deprecatedFormat handles a --format value of its old meaning in build
// (a template format) and graph (a graph format): when --format is one of
// values, it warns on stderr, resets --format to text and returns the
// value, for the flag newFlag that replaced it.
func deprecatedFormat(c *cli.Context, env *Env, newFlag string, values ...string) (string, bool) {
	v := c.String(FormatFlagName)
	for _, old := range values {
		if v == old {
			fmt.Fprintf(env.Stderr, "cicdgen %s: warning: --format %s is deprecated and goes in the next release; use --%s %s (--format now chooses the diagnostics: %s)\n",
				c.Command.Name, v, newFlag, v, strings.Join(diag.Formats(), ", "))
			_ = c.Set(FormatFlagName, diag.FormatText) // a flag the command defines: cannot fail
			return v, true
		}
	}
	return "", false
}

// outputFormat returns the value of the command's own format flag newFlag
// (build's --template-format, graph's --graph-format), one of allowed (two
// values), honouring the old spelling --format for the legacy values; an
// unknown value is a usage error.
func outputFormat(c *cli.Context, env *Env, newFlag string, allowed [2]string, legacy ...string) (string, error) {
	format := c.String(newFlag)
	if old, ok := deprecatedFormat(c, env, newFlag, legacy...); ok {
		format = old
	}
	if format != allowed[0] && format != allowed[1] {
		return "", UsageError(c, env, "invalid --%s %q: use %s or %s", newFlag, format, allowed[0], allowed[1])
	}
	return format, nil
}

// Reporter prints what a command has to say in the form --format chose.
// With text and github, diagnostics are printed as they come (text on
// stderr, annotations on stdout) and the rest goes to stdout. With json and
// sarif, stdout carries exactly one document, printed at the end by
// conclude, and everything meant for people goes to stderr.
type Reporter struct {
	Env       *Env
	Command   string // the command's name, as the document names it
	Format    string // --format
	color     bool   // the diagnostics are coloured
	colorMode string // --color
	strict    bool
	sources   map[string][]byte
	// maxSize is the largest system.yaml read, in bytes (--max-size).
	maxSize int64
	Kept    diag.Diagnostics // every diagnostic emitted, for the documents
	failure string           // the first failure that is not a diagnostic
}

// NewReporter reads the format (from the flag named formatFlag), --color and,
// when the command has it, --strict. A deprecated --diagnostics given
// without --format is used, with a warning.
func NewReporter(c *cli.Context, env *Env, formatFlag string) (*Reporter, error) {
	value := c.String(formatFlag)
	if lookupFlag(c.Command.Flags, legacyDiagnosticsFlag) != nil && c.IsSet(legacyDiagnosticsFlag) {
		fmt.Fprintf(env.Stderr, "cicdgen %s: warning: --%s is deprecated and goes in the next release; use --%s\n", c.Command.Name, legacyDiagnosticsFlag, FormatFlagName)
		if !c.IsSet(formatFlag) {
			value = c.String(legacyDiagnosticsFlag)
		}
	}
	format, err := diag.ParseFormat(value)
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
	return &Reporter{
		maxSize:   maxSize,
		Env:       env,
		Command:   c.Command.Name,
		Format:    format,
		color:     color,
		colorMode: c.String("color"),
		strict:    c.Bool("strict"),
		sources:   map[string][]byte{},
	}, nil
}

// addSource records the contents of file for the caret snippets.
func (r *Reporter) addSource(file string, src []byte) { r.sources[file] = src }

// Adjust applies --strict: every warning becomes an error.
func (r *Reporter) Adjust(ds diag.Diagnostics) diag.Diagnostics {
	if r.strict {
		return ds.Promote()
	}
	return ds
}

// print renders ds to w. Text and GitHub output of no diagnostics prints
// nothing; JSON and SARIF always print a document.
func (r *Reporter) print(w io.Writer, ds diag.Diagnostics) error {
	return diag.Render(w, ds, diag.RenderOptions{
		Format:      r.Format,
		Color:       r.color,
		Sources:     r.sources,
		ToolVersion: version.String(),
	})
}

// Document reports whether stdout carries one document (json, sarif).
func (r *Reporter) document() bool {
	return r.Format == diag.FormatJSON || r.Format == diag.FormatSARIF
}

// Out is where the command writes what people read: stdout, unless stdout
// carries a document.
func (r *Reporter) Out() io.Writer {
	if r.document() {
		return r.Env.Stderr
	}
	return r.Env.Stdout
}

// OutIsTerminal reports whether out() is a terminal.
func (r *Reporter) OutIsTerminal() bool {
	if r.document() {
		return r.Env.StderrIsTerminal
	}
	return r.Env.IsTerminal
}

// OutColor reports whether what the command writes to Out() is coloured:
// --color as for the diagnostics, auto judged by whether Out() is a
// terminal.
func (r *Reporter) OutColor() bool {
	color, _ := colorFor(r.Env, r.colorMode, r.OutIsTerminal()) // NewReporter checked the mode
	return color
}

// Emit shows ds: text on stderr and github annotations on stdout at once;
// json and sarif print them in the document. All are kept for the
// documents (--summary-json too).
func (r *Reporter) Emit(ds diag.Diagnostics) error {
	r.Kept = append(r.Kept, ds...)
	switch r.Format {
	case diag.FormatJSON, diag.FormatSARIF:
		return nil
	case diag.FormatGitHub:
		return r.print(r.Env.Stdout, ds)
	}
	return r.print(r.Env.Stderr, ds)
}

// Fail prints "cicdgen COMMAND: message" on stderr, records the message for
// the document's error field and returns the error that exits with code.
func (r *Reporter) Fail(code int, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	fmt.Fprintf(r.Env.Stderr, "cicdgen %s: %s\n", r.Command, msg)
	if r.failure == "" {
		r.failure = msg
	}
	return ExitWith(code)
}

// FillHeader fills in doc's header as Conclude prints it: the command, the
// diagnostics emitted and, unless doc says what stopped the command, the
// first failure.
func (r *Reporter) FillHeader(doc Document) {
	h := doc.header()
	h.Fill(r.Command, r.Kept)
	if h.Error == "" {
		h.Error = r.failure
	}
}

// Conclude prints the command's document (json: doc with its header
// filled in; sarif: the log of the diagnostics; text and github: nothing)
// and returns err, the command's outcome. A document that cannot be
// written turns success into exit 1.
func (r *Reporter) Conclude(doc Document, err error) error {
	var werr error
	switch r.Format {
	case diag.FormatJSON:
		r.FillHeader(doc)
		werr = WriteDocument(r.Env.Stdout, doc)
	case diag.FormatSARIF:
		werr = r.print(r.Env.Stdout, r.Kept)
	}
	if werr != nil {
		fmt.Fprintf(r.Env.Stderr, "cicdgen %s: %v\n", r.Command, werr)
		if err == nil {
			return ExitWith(ExitInputErrors)
		}
	}
	return err
}

// commandPath is "cicdgen" or "cicdgen COMMAND", for messages.
func commandPath(c *cli.Context) string {
	if c != nil && c.Command != nil && c.Command.Name != "" && c.App != nil && c.Command.Name != c.App.Name {
		return "cicdgen " + c.Command.Name
	}
	return "cicdgen"
}

// UsageError prints one line, the problem and where the help is, and
// returns the error that makes Main exit 2.
func UsageError(c *cli.Context, env *Env, format string, args ...any) error {
	fmt.Fprintf(env.Stderr, "cicdgen: %s (see %s --help)\n", fmt.Sprintf(format, args...), commandPath(c))
	return ExitWith(ExitUsage)
}

// onUsageError replaces the command-line parser's usage output (the
// message, then the whole help) with one line that says how to fix it.
func onUsageError(env *Env) cli.OnUsageErrorFunc {
	return func(c *cli.Context, err error, _ bool) error {
		flags := c.App.Flags
		if c.Command != nil && c.Command.Name != c.App.Name {
			flags = c.Command.Flags
		}
		return UsageError(c, env, "%s", flagProblem(err, flags))
	}
}

// Messages of Go's flag package, which urfave/cli passes on.
const (
	flagUndefinedPrefix = "flag provided but not defined: -"
	flagNeedsArgPrefix  = "flag needs an argument: -"
)

// flagProblem rewrites a flag-parsing error in cicdgen's words: the flag
// spelled as the user spells it (--name, -n) and, for an unknown flag, the
// closest flag the command has.
func flagProblem(err error, flags []cli.Flag) string {
	msg := err.Error()
	switch {
	case strings.HasPrefix(msg, flagUndefinedPrefix):
		name := strings.TrimPrefix(msg, flagUndefinedPrefix)
		out := "unknown flag " + dashed(name)
		if s := closestFlag(name, flags); s != "" {
			out += "; did you mean " + dashed(s) + "?"
		}
		return out
	case strings.HasPrefix(msg, flagNeedsArgPrefix):
		return "flag " + dashed(strings.TrimPrefix(msg, flagNeedsArgPrefix)) + " needs a value"
	}
	var ve *flagValueError
	if errors.As(err, &ve) {
		return ve.Error()
	}
	// invalid value "x" for flag -concurrency: parse error
	if v, rest, ok := strings.Cut(msg, " for flag -"); ok && strings.HasPrefix(v, "invalid value ") {
		name, _, _ := strings.Cut(rest, ":")
		return v + " for " + dashed(name) + expectedValue(lookupFlag(flags, name))
	}
	return msg
}

// expectedValue says what a flag's value must look like, after a value that
// was not.
func expectedValue(f cli.Flag) string {
	switch f.(type) {
	case *cli.IntFlag, *cli.Int64Flag, *cli.UintFlag, *cli.Uint64Flag:
		return ": give a whole number"
	case *cli.DurationFlag:
		return ": give a duration such as 500ms, 2s or 1m"
	case *cli.BoolFlag:
		return ": give true or false"
	}
	return ""
}

// dashed spells a flag name as it is typed: -o, --output.
func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// closestFlag returns the name of the visible flag of flags that is a
// likely typo of name, or "".
func closestFlag(name string, flags []cli.Flag) string {
	var names []string
	for _, f := range flags {
		if vf, ok := f.(cli.VisibleFlag); ok && !vf.IsVisible() {
			continue
		}
		for _, n := range f.Names() {
			if len(n) > 1 {
				names = append(names, n)
			}
		}
	}
	names = append(names, "help")
	return diag.Closest(name, names)
}

// flagValueError is a bad value given to a flag after FILE, where
// positionalArgs parses flags itself.
type flagValueError struct {
	value, name string
	flag        cli.Flag
	err         error
}

func (e *flagValueError) Error() string {
	return fmt.Sprintf("invalid value %q for %s%s", e.value, dashed(e.name), expectedValue(e.flag))
}

func (e *flagValueError) Unwrap() error { return e.err }

// positionalArgs returns the positional arguments of c, also parsing the
// flags that follow the first of them, so that `cicdgen validate FILE
// --strict` means what it says. Go's flag parsing stops at the first
// positional argument; this picks up where it stopped. After "--" every
// argument is positional. Its errors read as the parser's do.
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
			return nil, errors.New(flagUndefinedPrefix + name)
		}
		if _, isBool := f.(*cli.BoolFlag); isBool {
			if !hasValue {
				value = "true"
			}
		} else if !hasValue {
			if i+1 >= len(args) {
				return nil, errors.New(flagNeedsArgPrefix + name)
			}
			i++
			value = args[i]
		}
		// Aliases are separate entries of the flag set: set them all.
		for _, n := range f.Names() {
			if err := c.Set(n, value); err != nil {
				return nil, &flagValueError{value: value, name: name, flag: f, err: err}
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

// commandArgs returns the positional arguments of c (see positionalArgs);
// a flag error among them is a usage error, in one line.
func commandArgs(c *cli.Context, env *Env) ([]string, error) {
	pos, err := positionalArgs(c)
	if err != nil {
		return nil, UsageError(c, env, "%s", flagProblem(err, c.Command.Flags))
	}
	return pos, nil
}

// FileArgs returns the FILE arguments of c (system.yaml when there is none),
// at most max of them (0: any number); more is a usage error.
func FileArgs(c *cli.Context, env *Env, max int) ([]string, error) {
	pos, err := commandArgs(c, env)
	if err != nil {
		return nil, err
	}
	if max > 0 && len(pos) > max {
		return nil, UsageError(c, env, "too many arguments: %s", strings.Join(pos, " "))
	}
	if len(pos) == 0 {
		pos = []string{defaultSystemFile}
	}
	return pos, nil
}
