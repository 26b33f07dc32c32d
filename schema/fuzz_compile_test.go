package schema_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cicdgen/cicdgen/compiler"
	"github.com/cicdgen/cicdgen/diag"
	"github.com/cicdgen/cicdgen/schema"
)

// hostileSeeds are inputs at and past the loader's limits, and shapes that
// once cost the parser quadratic work or confused it: the fuzzer starts
// from them as well as from the valid systems.
func hostileSeeds() []string {
	return []string{
		"a: " + strings.Repeat("[", 150) + strings.Repeat("]", 150) + "\n",
		strings.Repeat("- ", 150) + "x\n",
		"a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n",
		"a: &a {b: *a}\n",
		"%YAML 1.2\n---\nversion: 1\n",
		"%YAML 2.0\n---\nversion: 1\n",
		"version: !!int \"1\"\nname: !!str 12\n",
		"roles: {deny: [iam:CreateUser, \"a\":b]}\n",
		"name: \"\\e[2J\"\n",
		"\xff\xfev\x00e\x00r\x00",
		"\u00a0name: shop\n",
		"# only a comment\n",
		"a: [1, 2\nb: 3\n",
		"k0: v\nk1: v\nk2: v\n" + strings.Repeat("  x: y\n", 20),
	}
}

// FuzzLoadCompile runs what `cicdgen build` runs, load, check and compile,
// on any input: it must answer with a System and templates, or with at
// least one error, never panic, and every diagnostic must name the file and
// a sane range. The seeds are the valid systems of testdata/valid and
// hostile inputs; new coverage lands in testdata/fuzz/FuzzLoadCompile.
func FuzzLoadCompile(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "valid", "*.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	for _, s := range hostileSeeds() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		const name = "fuzz.yaml"
		sys, ds := schema.Load(name, src)
		if sys == nil && !ds.HasErrors() {
			t.Fatalf("no System and no error: %v", ds)
		}
		if sys != nil && !ds.HasErrors() {
			a, cds := compiler.Compile(sys)
			if a == nil && !cds.HasErrors() {
				t.Fatalf("no assembly and no error: %v", cds)
			}
			ds = append(ds, cds...)
		}
		for _, d := range ds {
			if _, ok := diag.RuleSummary(d.Rule); !ok || d.Message == "" {
				t.Errorf("%v: no registered rule or no message", d)
			}
			if r := d.Range; r.Filename != "" && r.Filename != name {
				t.Errorf("%v: filename %q", d, r.Filename)
			}
			if r := d.Range; r.Known() && (r.Start.Column < 1 || r.End.Line < r.Start.Line) {
				t.Errorf("%v: bad range %+v", d, r)
			}
			if strings.ContainsAny(diag.EscapeText(d.Message), "\x1b\x07\u202e") {
				t.Errorf("%v: escaping leaves a control character", d)
			}
		}
	})
}
