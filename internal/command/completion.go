package command

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/cicdgen/cicdgen/compiler"
	"github.com/cicdgen/cicdgen/diag"
	"github.com/cicdgen/cicdgen/internal/version"
	"github.com/cicdgen/cicdgen/manifest"
)

// completionShells are the shells `cicdgen completion` writes a script for.
func completionShells() []string { return []string{"bash", "zsh", "fish"} }

// flagChoices returns the values the flag called name takes, for
// completion, or nil when any value goes.
func flagChoices(name string) []string {
	switch name {
	case FormatFlagName:
		return diag.Formats()
	case "color":
		return []string{ColorAuto, ColorAlways, ColorNever}
	case templateFormatFlag:
		return []string{manifest.FormatJSON, manifest.FormatYAML}
	case graphFormatFlag:
		return []string{compiler.GraphDot, compiler.GraphMermaid}
	case "require-approval":
		return []string{ApprovalNever, ApprovalBroadening, ApprovalAny}
	case "events":
		return []string{eventsAll, eventsFailed, eventsNone}
	}
	return nil
}

// flagPathKind says whether the value of the flag called name is a
// directory or a file.
func flagPathKind(name string) (dir, file bool) {
	switch name {
	case "output", "dir":
		return true, false
	case "summary-json":
		return false, true
	}
	return false, false
}

// completionCommand is `cicdgen completion bash|zsh|fish`: print a shell
// completion script.
func completionCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print the shell completion script for bash, zsh or fish",
		ArgsUsage: "SHELL",
		Description: "Prints a completion script that completes commands, flags, flag values\n" +
			"(--format, --color, ...) and system.yaml files. Load it:\n\n" +
			"   bash:  source <(cicdgen completion bash)     # in ~/.bashrc\n" +
			"   zsh:   source <(cicdgen completion zsh)      # in ~/.zshrc, after compinit\n" +
			"   fish:  cicdgen completion fish > ~/.config/fish/completions/cicdgen.fish",
		Action: func(c *cli.Context) error {
			pos, err := commandArgs(c, env)
			if err != nil {
				return err
			}
			if len(pos) != 1 {
				return UsageError(c, env, "give one shell: %s", strings.Join(completionShells(), ", "))
			}
			spec := completionSpec(c.App)
			var write func(io.Writer, *appSpec) error
			switch pos[0] {
			case "bash":
				write = writeBashCompletion
			case "zsh":
				write = writeZshCompletion
			case "fish":
				write = writeFishCompletion
			default:
				msg := fmt.Sprintf("unknown shell %q: use %s", pos[0], strings.Join(completionShells(), ", "))
				return UsageError(c, env, "%s", msg)
			}
			if err := write(env.Stdout, spec); err != nil {
				fmt.Fprintf(env.Stderr, "cicdgen completion: write the script: %v\n", err)
				return ExitWith(ExitInputErrors)
			}
			return nil
		},
	}
}

// appSpec is what completion knows of the command line.
type appSpec struct {
	name     string
	commands []commandSpec
}

// commandSpec is one command: its flags and what its arguments are.
type commandSpec struct {
	name, usage string
	flags       []flagSpec
	args        argKind
	argChoices  []string // args == choiceArgs
}

// argKind is what a command's positional arguments are.
type argKind int

const (
	noArgs     argKind = iota
	yamlArgs           // system.yaml files (and directories, for FILE|DIR)
	choiceArgs         // one of argChoices
)

// flagSpec is one flag.
type flagSpec struct {
	names      []string // as typed without dashes; long names first
	usage      string
	takesValue bool
	repeatable bool
	choices    []string
	dir, file  bool // the value is a directory, a file
}

// completionSpec describes app's visible commands and flags.
func completionSpec(app *cli.App) *appSpec {
	spec := &appSpec{name: app.Name}
	for _, c := range app.Commands {
		if c.Hidden {
			continue
		}
		cs := commandSpec{name: c.Name, usage: c.Usage}
		switch {
		case c.Name == "completion":
			cs.args, cs.argChoices = choiceArgs, completionShells()
		case strings.Contains(c.ArgsUsage, "FILE"):
			cs.args = yamlArgs
		}
		for _, f := range c.Flags {
			if vf, ok := f.(cli.VisibleFlag); ok && !vf.IsVisible() {
				continue
			}
			cs.flags = append(cs.flags, newFlagSpec(f))
		}
		cs.flags = append(cs.flags, flagSpec{names: []string{"help", "h"}, usage: "show help"})
		spec.commands = append(spec.commands, cs)
	}
	return spec
}

// newFlagSpec describes f.
func newFlagSpec(f cli.Flag) flagSpec {
	names := append([]string(nil), f.Names()...)
	sort.SliceStable(names, func(i, j int) bool { return len(names[i]) > 1 && len(names[j]) == 1 })
	fs := flagSpec{names: names, usage: oneLine(f)}
	if _, isBool := f.(*cli.BoolFlag); !isBool {
		fs.takesValue = true
	}
	if _, isSlice := f.(*cli.StringSliceFlag); isSlice {
		fs.repeatable = true
	}
	fs.choices = flagChoices(names[0])
	fs.dir, fs.file = flagPathKind(names[0])
	return fs
}

// oneLine is a flag's usage without urfave/cli's `NAME` marks, cut at the
// first semicolon so that menus stay short.
func oneLine(f cli.Flag) string {
	u := ""
	if df, ok := f.(cli.DocGenerationFlag); ok {
		u = df.GetUsage()
	}
	u = strings.ReplaceAll(u, "`", "")
	if i := strings.Index(u, ";"); i > 0 {
		u = u[:i]
	}
	return strings.TrimSpace(u)
}

// dashedNames returns the flag's names as typed: --long, -s.
func (f flagSpec) dashedNames() []string {
	out := make([]string, len(f.names))
	for i, n := range f.names {
		out[i] = dashed(n)
	}
	return out
}

// commandFlagWords returns every flag of cs as typed, for word lists.
func (cs commandSpec) commandFlagWords() []string {
	var out []string
	for _, f := range cs.flags {
		out = append(out, f.dashedNames()...)
	}
	return out
}

// header is the comment that opens every script.
func completionHeader(shell, load string) string {
	return fmt.Sprintf("# %s completion for cicdgen %s, written by `cicdgen completion %s`.\n# Load it with: %s\n", shell, version.String(), shell, load)
}

// writeBashCompletion writes a bash completion script.
func writeBashCompletion(w io.Writer, spec *appSpec) error {
	var b strings.Builder
	b.WriteString(completionHeader("bash", "source <(cicdgen completion bash)"))
	b.WriteString(`
# _cicdgen_paths OPTION: complete paths of compgen OPTION (-d, -f), one a
# line, so that names with spaces stay whole.
_cicdgen_paths() {
    compopt -o filenames 2>/dev/null
    local IFS=$'\n'
    COMPREPLY=($(compgen "$1" -- "$cur"))
}

# _cicdgen_yaml: complete directories and YAML files.
_cicdgen_yaml() {
    compopt -o filenames 2>/dev/null
    local IFS=$'\n'
    COMPREPLY=($(compgen -d -- "$cur"; compgen -f -X '!*.y*ml' -- "$cur"))
}

_cicdgen() {
    local cur prev cmd i
    cur="${COMP_WORDS[COMP_CWORD]}"
    prev="${COMP_WORDS[COMP_CWORD-1]}"
    # --flag=value: bash splits the word at "=" (COMP_WORDBREAKS).
    if [[ "$cur" == "=" ]]; then
        cur=""
    elif [[ "$prev" == "=" ]] && ((COMP_CWORD > 1)); then
        prev="${COMP_WORDS[COMP_CWORD-2]}"
    fi
    cmd=""
    for ((i = 1; i < COMP_CWORD; i++)); do
        case "${COMP_WORDS[i]}" in
            -*) ;;
            *) cmd="${COMP_WORDS[i]}"; break ;;
        esac
    done
    COMPREPLY=()
    case "$cmd" in
`)
	var names []string
	for _, c := range spec.commands {
		names = append(names, c.name)
	}
	fmt.Fprintf(&b, "        \"\")\n            COMPREPLY=($(compgen -W %s -- \"$cur\"))\n            ;;\n",
		shellQuote(strings.Join(append(names, "--help", "-h", "--version", "-v"), " ")))
	for _, c := range spec.commands {
		fmt.Fprintf(&b, "        %s)\n            case \"$prev\" in\n", c.name)
		for _, f := range c.flags {
			if !f.takesValue {
				continue
			}
			pattern := strings.Join(f.dashedNames(), "|")
			switch {
			case len(f.choices) > 0:
				fmt.Fprintf(&b, "                %s) COMPREPLY=($(compgen -W %s -- \"$cur\")); return ;;\n", pattern, shellQuote(strings.Join(f.choices, " ")))
			case f.dir:
				fmt.Fprintf(&b, "                %s) _cicdgen_paths -d; return ;;\n", pattern)
			case f.file:
				fmt.Fprintf(&b, "                %s) _cicdgen_paths -f; return ;;\n", pattern)
			default:
				fmt.Fprintf(&b, "                %s) return ;;\n", pattern)
			}
		}
		b.WriteString("            esac\n")
		fmt.Fprintf(&b, "            if [[ \"$cur\" == -* ]]; then\n                COMPREPLY=($(compgen -W %s -- \"$cur\"))\n",
			shellQuote(strings.Join(c.commandFlagWords(), " ")))
		switch c.args {
		case yamlArgs:
			b.WriteString("            else\n                _cicdgen_yaml\n")
		case choiceArgs:
			fmt.Fprintf(&b, "            else\n                COMPREPLY=($(compgen -W %s -- \"$cur\"))\n", shellQuote(strings.Join(c.argChoices, " ")))
		}
		b.WriteString("            fi\n            ;;\n")
	}
	b.WriteString("    esac\n}\n\ncomplete -F _cicdgen cicdgen\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// shellQuote quotes s for a POSIX shell (bash, zsh): single quotes.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// zshBracketEscape escapes s for the description inside [...] of an
// _arguments spec, before shell quoting.
func zshBracketEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `[`, `\[`, `]`, `\]`).Replace(s)
}

// zshDescribeEscape escapes s for the name or description of a _describe
// entry (NAME:DESCRIPTION), before shell quoting.
func zshDescribeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `:`, `\:`).Replace(s)
}

// writeZshCompletion writes a zsh completion script, usable from fpath (as
// _cicdgen) or sourced.
func writeZshCompletion(w io.Writer, spec *appSpec) error {
	var b strings.Builder
	b.WriteString("#compdef cicdgen\n")
	b.WriteString(completionHeader("zsh", "source <(cicdgen completion zsh), after compinit;\n# or save it as _cicdgen in a directory of $fpath."))
	b.WriteString("\n_cicdgen() {\n    local curcontext=\"$curcontext\" state line\n    typeset -A opt_args\n    local -a commands\n    commands=(\n")
	for _, c := range spec.commands {
		fmt.Fprintf(&b, "        %s\n", shellQuote(zshDescribeEscape(c.name)+":"+zshDescribeEscape(c.usage)))
	}
	b.WriteString("    )\n")
	b.WriteString("    _arguments -C \\\n" +
		"        '(- *)'{-h,--help}'[show help]' \\\n" +
		"        '(- *)'{-v,--version}'[print the version]' \\\n" +
		"        '1: :->command' \\\n" +
		"        '*:: :->args'\n")
	b.WriteString("    case $state in\n        command)\n            _describe -t commands 'cicdgen command' commands\n            ;;\n        args)\n            case $line[1] in\n")
	for _, c := range spec.commands {
		fmt.Fprintf(&b, "                %s)\n                    _arguments \\\n", c.name)
		for _, f := range c.flags {
			for _, s := range zshFlagSpecs(f) {
				fmt.Fprintf(&b, "                        %s \\\n", s)
			}
		}
		switch c.args {
		case yamlArgs:
			b.WriteString("                        '*:system.yaml:_files -g \"*.(yaml|yml)\"'\n")
		case choiceArgs:
			fmt.Fprintf(&b, "                        %s\n", shellQuote("1:"+c.name+":("+strings.Join(c.argChoices, " ")+")"))
		default:
			b.WriteString("                        '*: :'\n")
		}
		b.WriteString("                    ;;\n")
	}
	b.WriteString("            esac\n            ;;\n    esac\n}\n\n")
	b.WriteString("if [[ \"${funcstack[1]}\" == _cicdgen ]]; then\n    _cicdgen \"$@\"\nelse\n    compdef _cicdgen cicdgen\nfi\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// zshFlagSpecs returns the _arguments specs of f, one per name, quoted.
func zshFlagSpecs(f flagSpec) []string {
	exclude := ""
	if !f.repeatable {
		exclude = "(" + strings.Join(f.dashedNames(), " ") + ")"
	} else {
		exclude = "*"
	}
	action := ""
	switch {
	case len(f.choices) > 0:
		action = "(" + strings.Join(f.choices, " ") + ")"
	case f.dir:
		action = "_files -/"
	case f.file:
		action = "_files"
	}
	var out []string
	for _, name := range f.dashedNames() {
		spec := exclude + name
		if f.takesValue {
			if len(name) == 2 {
				spec += "+"
			} else {
				spec += "="
			}
		}
		spec += "[" + zshBracketEscape(f.usage) + "]"
		if f.takesValue {
			spec += ":" + strings.ToLower(f.names[0]) + ":" + action
		}
		out = append(out, shellQuote(spec))
	}
	return out
}

// fishQuote quotes s for fish: single quotes, with \ and ' escaped.
func fishQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// writeFishCompletion writes a fish completion script.
func writeFishCompletion(w io.Writer, spec *appSpec) error {
	var b strings.Builder
	b.WriteString(completionHeader("fish", "cicdgen completion fish > ~/.config/fish/completions/cicdgen.fish"))
	b.WriteString(`
# __cicdgen_yaml: the YAML files and directories that start with the token.
function __cicdgen_yaml
    set -l token (commandline -ct)
    set -l paths $token*.yaml $token*.yml $token*/
    printf '%s\n' $paths
end

complete -c cicdgen -f
`)
	b.WriteString("complete -c cicdgen -n __fish_use_subcommand -s h -l help -d 'show help'\n")
	b.WriteString("complete -c cicdgen -n __fish_use_subcommand -s v -l version -d 'print the version'\n")
	for _, c := range spec.commands {
		fmt.Fprintf(&b, "complete -c cicdgen -n __fish_use_subcommand -a %s -d %s\n", c.name, fishQuote(c.usage))
	}
	for _, c := range spec.commands {
		cond := fishQuote("__fish_seen_subcommand_from " + c.name)
		for _, f := range c.flags {
			line := "complete -c cicdgen -n " + cond
			for _, n := range f.names {
				if len(n) == 1 {
					line += " -s " + n
				} else {
					line += " -l " + n
				}
			}
			switch {
			case len(f.choices) > 0:
				line += " -x -a " + fishQuote(strings.Join(f.choices, " "))
			case f.dir:
				line += " -x -a '(__fish_complete_directories)'"
			case f.file:
				line += " -r -F"
			case f.takesValue:
				line += " -x"
			}
			b.WriteString(line + " -d " + fishQuote(f.usage) + "\n")
		}
		switch c.args {
		case yamlArgs:
			fmt.Fprintf(&b, "complete -c cicdgen -n %s -a '(__cicdgen_yaml)'\n", cond)
		case choiceArgs:
			fmt.Fprintf(&b, "complete -c cicdgen -n %s -a %s\n", cond, fishQuote(strings.Join(c.argChoices, " ")))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
