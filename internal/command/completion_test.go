package command

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// completionScript writes the script of shell into dir and returns its path.
func completionScript(t *testing.T, dir, shell string) string {
	t.Helper()
	code, stdout, stderr := runCLI(t, "completion", shell)
	if code != 0 || stderr != "" {
		t.Fatalf("completion %s: exit %d\n%s", shell, code, stderr)
	}
	path := filepath.Join(dir, "cicdgen."+shell)
	if err := os.WriteFile(path, []byte(stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// completionDir is a directory with a system.yaml, another YAML file, a
// file that is not YAML and a subdirectory, to complete paths in.
func completionDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"system.yaml", "other.yml", "notes.txt"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// visibleCommands names the commands of cicdgen that help lists.
func visibleCommands() []string {
	var out []string
	for _, c := range NewApp(&Env{}).Commands {
		if !c.Hidden {
			out = append(out, c.Name)
		}
	}
	return out
}

// sortedWords returns the words of s, sorted, joined by spaces.
func sortedWords(s string) string {
	w := strings.Fields(s)
	sort.Strings(w)
	return strings.Join(w, " ")
}

func TestBashCompletion(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatalf("bash is needed to check the bash completion script: %v", err)
	}
	work := completionDir(t)
	script := completionScript(t, t.TempDir(), "bash")
	if out, err := exec.Command(bash, "-n", script).CombinedOutput(); err != nil {
		t.Fatalf("bash -n rejects the script: %v\n%s", err, out)
	}
	// Each case is the words of a command line, the last being completed.
	cases := map[string]struct {
		words []string
		want  string
	}{
		"a command":                        {[]string{"cicdgen", "val"}, "validate"},
		"the commands":                     {[]string{"cicdgen", ""}, strings.Join(append(visibleCommands(), "--help", "-h", "--version", "-v"), " ")},
		"a flag of the command":            {[]string{"cicdgen", "apply", "--conc"}, "--concurrency"},
		"a flag after FILE":                {[]string{"cicdgen", "apply", "system.yaml", "--dry"}, "--dry-run"},
		"the values of --format":           {[]string{"cicdgen", "validate", "--format", ""}, "text json sarif github"},
		"a value after --format=":          {[]string{"cicdgen", "validate", "--format", "=", "js"}, "json"},
		"the values of --template-format":  {[]string{"cicdgen", "build", "--template-format", ""}, "json yaml"},
		"the values of --graph-format":     {[]string{"cicdgen", "graph", "--graph-format", "m"}, "mermaid"},
		"YAML files and directories":       {[]string{"cicdgen", "build", ""}, "sub other.yml system.yaml"},
		"a directory for -o":               {[]string{"cicdgen", "build", "-o", ""}, "sub"},
		"nothing to suggest for --env":     {[]string{"cicdgen", "apply", "--env", ""}, ""},
		"the shells":                       {[]string{"cicdgen", "completion", ""}, "bash zsh fish"},
		"no file for a command without it": {[]string{"cicdgen", "schema", ""}, ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			words := make([]string, len(tc.words))
			for i, w := range tc.words {
				words[i] = shellQuote(w)
			}
			prog := "source " + shellQuote(script) + "\n" +
				"COMP_WORDS=(" + strings.Join(words, " ") + ")\n" +
				"COMP_CWORD=$((${#COMP_WORDS[@]} - 1))\n" +
				"_cicdgen\n" +
				`printf '%s\n' "${COMPREPLY[*]}"` + "\n"
			cmd := exec.Command(bash, "--norc", "--noprofile", "-c", prog)
			cmd.Dir = work
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("bash: %v\n%s", err, out)
			}
			if got := sortedWords(string(out)); got != sortedWords(tc.want) {
				t.Errorf("completions %q, want %q", got, tc.want)
			}
		})
	}
}

// TestZshAndFishCompletion checks the scripts with the shells' own parsers,
// and fish's completions, with the shells this machine has (the project's
// machines have both: apt-get install zsh fish).
func TestZshAndFishCompletion(t *testing.T) {
	dir := t.TempDir()
	checks := map[string][]string{
		"zsh":  {"-n"},
		"fish": {"--no-execute"},
	}
	for shell, args := range checks {
		t.Run(shell, func(t *testing.T) {
			script := completionScript(t, dir, shell)
			bin, err := exec.LookPath(shell)
			if err != nil {
				t.Logf("%s is not installed: only the script's generation is checked", shell)
				return
			}
			if out, err := exec.Command(bin, append(args, script)...).CombinedOutput(); err != nil {
				t.Fatalf("%s rejects the script: %v\n%s", shell, err, out)
			}
			if shell != "fish" {
				return
			}
			cases := map[string]string{
				"cicdgen val":                   "validate",
				"cicdgen apply --conc":          "--concurrency",
				"cicdgen graph --graph-format ": "dot mermaid",
				"cicdgen build ":                "other.yml sub/ system.yaml",
			}
			work := completionDir(t)
			for line, want := range cases {
				cmd := exec.Command(bin, "--no-config", "-c", "source "+shellQuote(script)+"; complete -C "+shellQuote(line))
				cmd.Dir = work
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("fish: %v\n%s", err, out)
				}
				var got []string
				for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
					w, _, _ := strings.Cut(l, "\t")
					got = append(got, w)
				}
				if sortedWords(strings.Join(got, " ")) != sortedWords(want) {
					t.Errorf("%q completes to %q, want %q", line, got, want)
				}
			}
		})
	}
}

func TestCompletionCoversEveryCommandAndFlag(t *testing.T) {
	app := NewApp(&Env{})
	for _, shell := range []string{"bash", "zsh", "fish"} {
		_, script, _ := runCLI(t, "completion", shell)
		for _, c := range app.Commands {
			if c.Hidden {
				continue
			}
			if !strings.Contains(script, c.Name) {
				t.Errorf("%s: no command %s", shell, c.Name)
			}
			for _, f := range c.Flags {
				if vf, ok := f.(interface{ IsVisible() bool }); ok && !vf.IsVisible() {
					if strings.Contains(script, "--"+f.Names()[0]) {
						t.Errorf("%s: hidden flag --%s offered", shell, f.Names()[0])
					}
					continue
				}
				name := f.Names()[0]
				if shell == "fish" {
					name = "-l " + name
				} else {
					name = "--" + name
				}
				if !strings.Contains(script, name) {
					t.Errorf("%s: no flag %s of %s", shell, name, c.Name)
				}
			}
		}
	}
}

func TestCompletionUsage(t *testing.T) {
	cases := map[string]struct {
		args []string
		want string
	}{
		"no shell":         {[]string{"completion"}, "cicdgen: give one shell: bash, zsh, fish (see cicdgen completion --help)\n"},
		"an unknown shell": {[]string{"completion", "tcsh"}, "cicdgen: unknown shell \"tcsh\": use bash, zsh, fish (see cicdgen completion --help)\n"},
		"two shells":       {[]string{"completion", "bash", "zsh"}, "cicdgen: give one shell: bash, zsh, fish (see cicdgen completion --help)\n"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tc.args...)
			if code != ExitUsage || stdout != "" || stderr != tc.want {
				t.Errorf("exit %d, stdout %q, stderr %q; want 2 and %q", code, stdout, stderr, tc.want)
			}
		})
	}
}

// TestReadmeCommandTableListsEveryFlag keeps the README's command table in
// step with the flags: every visible command has a row naming each of its
// visible flags, and no other.
func TestReadmeCommandTableListsEveryFlag(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(readme), "| command | flags |\n|---|---|\n")
	if !ok {
		t.Fatal("README.md has no command table")
	}
	table, _, _ = strings.Cut(table, "\n\n")
	rows := map[string]string{}
	for _, row := range strings.Split(table, "\n") {
		cells := strings.Split(strings.ReplaceAll(row, `\|`, "/"), "|")
		if len(cells) < 3 {
			t.Fatalf("a row that is not a table row: %q", row)
		}
		words := strings.Fields(strings.Trim(cells[1], " `"))
		if len(words) < 2 {
			t.Fatalf("a row without a command: %q", row)
		}
		rows[words[1]] = cells[2]
	}
	flagWord := regexp.MustCompile("`-{1,2}[a-z][a-z-]*")
	for _, c := range NewApp(&Env{}).Commands {
		if c.Hidden {
			continue
		}
		row, ok := rows[c.Name]
		if !ok {
			t.Errorf("no row for %s", c.Name)
			continue
		}
		want := map[string]bool{}
		for _, f := range c.Flags {
			if vf, ok := f.(interface{ IsVisible() bool }); ok && !vf.IsVisible() {
				continue
			}
			for _, n := range f.Names() {
				want[dashed(n)] = true
			}
		}
		got := map[string]bool{}
		for _, w := range flagWord.FindAllString(row, -1) {
			got[strings.TrimPrefix(w, "`")] = true
		}
		for f := range want {
			if !got[f] {
				t.Errorf("the row of %s lacks %s", c.Name, f)
			}
		}
		for f := range got {
			if !want[f] {
				t.Errorf("the row of %s names %s, which it does not take", c.Name, f)
			}
		}
	}
}
