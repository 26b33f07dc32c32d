package compiler

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/cicdgen/cicdgen/diag"
	"github.com/cicdgen/cicdgen/manifest"
	"github.com/cicdgen/cicdgen/schema"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/build")

// diagnosticsFile holds, in a golden want directory, the diagnostics that
// Compile reports for the case (warnings such as template-size), one per line.
const diagnosticsFile = "diagnostics.txt"

// goldenCase is one system.yaml whose whole build output is kept under want.
type goldenCase struct {
	name   string // test name
	system string // path of system.yaml
	want   string // directory of the expected files
}

// goldenCases returns every example of ../examples and every case under
// testdata/build, sorted by name.
func goldenCases(t testing.TB) []goldenCase {
	t.Helper()
	var cases []goldenCase
	examples, err := filepath.Glob(filepath.Join("..", "examples", "*", "system.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, sys := range examples {
		name := "example-" + filepath.Base(filepath.Dir(sys))
		cases = append(cases, goldenCase{name: name, system: sys, want: filepath.Join("testdata", "build", name, "want")})
	}
	own, err := filepath.Glob(filepath.Join("testdata", "build", "*", "system.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, sys := range own {
		dir := filepath.Dir(sys)
		cases = append(cases, goldenCase{name: filepath.Base(dir), system: sys, want: filepath.Join(dir, "want")})
	}
	sort.Slice(cases, func(i, j int) bool { return cases[i].name < cases[j].name })
	if len(cases) < 9 {
		t.Fatalf("found %d golden cases, want the examples and at least six under testdata/build", len(cases))
	}
	return cases
}

// loadSystem loads a system.yaml and fails the test on any error (warnings,
// such as the examples' placeholders, are allowed).
func loadSystem(t testing.TB, path string) *schema.System {
	t.Helper()
	sys, ds := schema.LoadFile(path)
	if ds.HasErrors() || sys == nil {
		t.Fatalf("load %s:\n%s", path, ds.Error())
	}
	return sys
}

// compileCase loads and compiles a golden case and returns its assembly, its
// files (JSON) and its compile diagnostics.
func compileCase(t testing.TB, c goldenCase) (*Assembly, *manifest.Output, diag.Diagnostics) {
	t.Helper()
	sys := loadSystem(t, c.system)
	a, ds := Compile(sys)
	if ds.HasErrors() {
		t.Fatalf("compile %s:\n%s", c.system, ds.Error())
	}
	out, err := Outputs(a, manifest.FormatJSON)
	if err != nil {
		t.Fatalf("outputs of %s: %v", c.system, err)
	}
	return a, out, ds
}

// goldenStacks returns every stack of every golden case, compiled, by
// <case>/<stack name>.
func goldenStacks(t testing.TB) map[string]*Stack {
	t.Helper()
	stacks := map[string]*Stack{}
	for _, c := range goldenCases(t) {
		a, _, _ := compileCase(t, c)
		for _, s := range a.Stacks {
			stacks[c.name+"/"+s.Name] = s
		}
	}
	return stacks
}

func TestGolden(t *testing.T) {
	for _, c := range goldenCases(t) {
		t.Run(c.name, func(t *testing.T) {
			_, out, ds := compileCase(t, c)
			got := map[string][]byte{}
			for name, b := range out.Files {
				got[name] = b
			}
			var text strings.Builder
			for _, d := range ds {
				text.WriteString(d.Error() + "\n")
			}
			if text.Len() > 0 {
				got[diagnosticsFile] = []byte(text.String())
			}
			if *update {
				writeGolden(t, c.want, got)
				return
			}
			compareGolden(t, c.want, got)
		})
	}
}

// writeGolden replaces the files of dir by files, removing stale ones and
// rewriting only what changed.
func writeGolden(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if _, keep := files[e.Name()]; !keep {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
	for name, b := range files {
		path := filepath.Join(dir, name)
		if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, b) {
			continue
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// compareGolden fails for every file of dir that differs from files, is
// missing from it, or is not expected.
func compareGolden(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("%v (run go test ./compiler -update to create it)", err)
	}
	seen := map[string]bool{}
	for _, e := range entries {
		seen[e.Name()] = true
		got, ok := files[e.Name()]
		if !ok {
			t.Errorf("%s: the build no longer writes this file", filepath.Join(dir, e.Name()))
			continue
		}
		want, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the build:\n%s", filepath.Join(dir, e.Name()), firstDifference(want, got))
		}
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if !seen[name] {
			t.Errorf("%s: the build writes this file, but it is not in the golden directory", filepath.Join(dir, name))
		}
	}
}

// firstDifference describes the first differing line of want and got.
func firstDifference(want, got []byte) string {
	w := strings.Split(string(want), "\n")
	g := strings.Split(string(got), "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return "line " + strconv.Itoa(i+1) + ":\n  want: " + wl + "\n  got:  " + gl
		}
	}
	return "(same lines; different bytes)"
}
