package compiler

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/cicdgen/cicdgen/compiler/internal/cfnvalidate"
	"github.com/cicdgen/cicdgen/manifest"
	"github.com/cicdgen/cicdgen/schema"
)

// schemaFile holds the resource provider schemas of the types the compiler
// uses; go generate (see doc.go) regenerates it from AWS's schemas.
var schemaFile = filepath.Join("testdata", "cfn-schemas", "schemas.json")

// TestTemplatesMatchResourceSchemas validates every stack of every golden
// case: each resource against its type's schema, each reference inside its
// template, and the imports, exports and parameters across its stacks.
func TestTemplatesMatchResourceSchemas(t *testing.T) {
	reg, err := cfnvalidate.Load(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range goldenCases(t) {
		t.Run(c.name, func(t *testing.T) {
			a, _, _ := compileCase(t, c)
			problems := validateAssembly(t, reg, a)
			for _, p := range problems {
				t.Error(p)
			}
		})
	}
	// The language tests' valid systems, written from the specification by
	// other hands than the golden cases, compile into valid templates too.
	for _, v := range validSystems(t) {
		t.Run("valid/"+v.name, func(t *testing.T) {
			for _, p := range validateAssembly(t, reg, v.assembly) {
				t.Error(p)
			}
		})
	}
	t.Run("a generated system of 30 environments in waves and an organization", func(t *testing.T) {
		a, ds := Compile(loadScale(t, 30))
		if ds.HasErrors() {
			t.Fatal(ds)
		}
		for _, p := range validateAssembly(t, reg, a) {
			t.Error(p)
		}
	})
}

// namedAssembly is a compiled system and the name of its test case.
type namedAssembly struct {
	name     string
	assembly *Assembly
}

// validSystems compiles every system of ../schema/testdata/valid.
func validSystems(t *testing.T) []namedAssembly {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "schema", "testdata", "valid", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no valid systems under ../schema/testdata/valid: %v", err)
	}
	var out []namedAssembly
	for _, file := range files {
		sys, ds := schema.LoadFile(file)
		if sys == nil || ds.HasErrors() {
			t.Fatalf("%s does not load: %v", file, ds)
		}
		a, ds := Compile(sys)
		if ds.HasErrors() {
			t.Fatalf("%s: %v", file, ds)
		}
		out = append(out, namedAssembly{"valid-" + strings.TrimSuffix(filepath.Base(file), ".yaml"), a})
	}
	return out
}

// validateAssembly returns every schema and reference problem of a's stacks,
// each prefixed with its stack.
func validateAssembly(t testing.TB, reg *cfnvalidate.Registry, a *Assembly) []string {
	t.Helper()
	var out []string
	stacks := make([]cfnvalidate.Stack, 0, len(a.Stacks))
	for _, s := range a.Stacks {
		v, err := decodeJSON(s.Body)
		if err != nil {
			t.Fatalf("%s: %v", s.Name, err)
		}
		doc := v.(map[string]any)
		for _, p := range reg.Template(doc) {
			out = append(out, s.Name+": "+p.String())
		}
		params := map[string]cfnvalidate.ParameterValue{}
		for name, p := range s.Parameters {
			if p.FromOutput != nil {
				params[name] = cfnvalidate.ParameterValue{FromStack: p.FromOutput.Stack, FromOutput: p.FromOutput.Output}
			} else {
				params[name] = cfnvalidate.ParameterValue{Literal: true}
			}
		}
		stacks = append(stacks, cfnvalidate.Stack{
			Name: s.Name, Account: s.Account.ID, Region: s.Region, DependsOn: s.DependsOn,
			Template: doc, Parameters: params,
		})
	}
	for _, p := range cfnvalidate.CheckAssembly(stacks) {
		out = append(out, p.String())
	}
	return out
}

// TestCfnLint runs AWS's template linter, cfn-lint, over the templates of
// every golden case and valid system. It is opt-in, as it takes a minute of
// CPU: `make cfn-lint` (CICDGEN_CFN_LINT=1) runs it and then requires
// cfn-lint on PATH (`pip install cfn-lint`).
func TestCfnLint(t *testing.T) {
	if os.Getenv("CICDGEN_CFN_LINT") != "1" {
		t.Skip("cfn-lint is opt-in: run make cfn-lint (CICDGEN_CFN_LINT=1)")
	}
	lint, err := exec.LookPath("cfn-lint")
	if err != nil {
		t.Fatal("CICDGEN_CFN_LINT=1 but cfn-lint is not on PATH; install it with pip install cfn-lint")
	}
	root := t.TempDir()
	systems := validSystems(t)
	for _, c := range goldenCases(t) {
		a, _, _ := compileCase(t, c)
		systems = append(systems, namedAssembly{c.name, a})
	}
	var templates []string
	for _, sys := range systems {
		dir := filepath.Join(root, sys.name)
		if err := WriteOutput(dir, sys.assembly, manifest.FormatJSON); err != nil {
			t.Fatal(err)
		}
		for _, s := range sys.assembly.Stacks {
			templates = append(templates, filepath.Join(dir, manifest.TemplateFile(s.Name, manifest.FormatJSON)))
		}
	}
	// cfn-lint uses one core: two halves in parallel take half the time.
	half := len(templates) / 2
	var wg sync.WaitGroup
	for _, part := range [][]string{templates[:half], templates[half:]} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := exec.Command(lint, append([]string{"--format", "parseable"}, part...)...).CombinedOutput()
			if err != nil {
				t.Errorf("cfn-lint: %v\n%s", err, strings.ReplaceAll(string(out), root+string(filepath.Separator), ""))
			}
		}()
	}
	wg.Wait()
}
