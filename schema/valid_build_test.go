package schema_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cicdgen/cicdgen/compiler"
	"github.com/cicdgen/cicdgen/diag"
	"github.com/cicdgen/cicdgen/manifest"
	"github.com/cicdgen/cicdgen/schema"
)

// TestValidSystemsCompile holds testdata/valid to what users expect of a
// valid file: `cicdgen build` succeeds on it, not only `cicdgen validate`.
func TestValidSystemsCompile(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "valid", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".yaml"), func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			sys, ds := schema.Load(file, src)
			if sys == nil || ds.HasErrors() {
				t.Fatalf("does not load: %v", ds)
			}
			a, ds := compiler.Compile(sys)
			for _, d := range ds {
				if d.Severity == diag.Error {
					t.Errorf("compile: %s", d.Error())
				}
			}
			if a == nil {
				t.Fatal("Compile returned no assembly")
			}
			if _, err := compiler.Outputs(a, manifest.FormatJSON); err != nil {
				t.Errorf("render the templates: %v", err)
			}
		})
	}
}
