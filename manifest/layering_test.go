package manifest

import (
	"go/build"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// module is this module's path.
const module = "github.com/cicdgen/cicdgen"

// importsOf returns every package the non-test files of the module's
// package dir import, directly or through other packages of the module.
func importsOf(t *testing.T, dir string) []string {
	t.Helper()
	seen := map[string]bool{}
	var visit func(dir string)
	visit = func(dir string) {
		pkg, err := build.ImportDir(filepath.Join("..", filepath.FromSlash(dir)), 0)
		if err != nil {
			t.Fatalf("read package %s: %v", dir, err)
		}
		for _, imp := range pkg.Imports {
			if seen[imp] {
				continue
			}
			seen[imp] = true
			if rel, ok := strings.CutPrefix(imp, module+"/"); ok {
				visit(rel)
			}
		}
	}
	visit(dir)
	out := make([]string, 0, len(seen))
	for imp := range seen {
		out = append(out, imp)
	}
	slices.Sort(out)
	return out
}

// TestLayering keeps the layering of docs/architecture.md: manifest and
// diag import only the standard library, and deploy reaches neither the
// compiler nor goformation, directly or not.
func TestLayering(t *testing.T) {
	notStdlib := func(imp string) bool { return strings.Contains(strings.Split(imp, "/")[0], ".") }
	goformation := func(imp string) bool { return strings.HasPrefix(imp, "github.com/awslabs/goformation") }
	// The walk follows the module's packages: it finds goformation
	// through the compiler.
	if !slices.ContainsFunc(importsOf(t, "cmd/cicdgen"), goformation) {
		t.Fatal("cmd/cicdgen does not reach goformation: the walk misses indirect imports")
	}
	tests := map[string]struct {
		dir       string
		forbidden func(imp string) bool
	}{
		"manifest imports only the standard library": {"manifest", notStdlib},
		"diag imports only the standard library":     {"diag", notStdlib},
		"deploy does not depend on the compiler or goformation": {"deploy", func(imp string) bool {
			return strings.HasPrefix(imp, module+"/compiler") || goformation(imp)
		}},
		"schema depends on no other package of the module than diag": {"schema", func(imp string) bool {
			return strings.HasPrefix(imp, module+"/") && imp != module+"/diag"
		}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			imports := importsOf(t, tc.dir)
			if len(imports) == 0 {
				t.Fatalf("%s imports nothing: the test reads the wrong directory", tc.dir)
			}
			for _, imp := range imports {
				if tc.forbidden(imp) {
					t.Errorf("%s depends on %s", tc.dir, imp)
				}
			}
		})
	}
}
