package compiler

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	goccy "github.com/goccy/go-yaml"
	yamlv3 "gopkg.in/yaml.v3"

	"github.com/cicdgen/cicdgen/manifest"
)

// compileTest compiles baseSystem with the test builders.
func compileTest(t *testing.T) *Assembly {
	t.Helper()
	sys := loadYAML(t, baseSystem)
	a, ds := compileWith(sys, testStacks(sys, nil))
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	return a
}

func TestOutputs(t *testing.T) {
	a := compileTest(t)
	a.Stack("unit-ecs-dev-t").Parameters[manifest.ImageURIParameter] = Parameter{Value: "ignored"}
	for _, format := range []string{"", manifest.FormatJSON, manifest.FormatYAML} {
		t.Run("format "+format, func(t *testing.T) {
			out, err := Outputs(a, format)
			if err != nil {
				t.Fatal(err)
			}
			ext := ".json"
			if format == manifest.FormatYAML {
				ext = ".yaml"
			}
			var want []string
			for _, s := range a.Stacks {
				want = append(want, s.Name+ext)
			}
			want = append(want, "unit-ecs-dev-t.config.json", "unit-ecs-euprod-t.config.json", "unit-secrets-euprod-t.config.json", manifest.File)
			sort.Strings(want)
			var got []string
			for name := range out.Files {
				got = append(got, name)
			}
			sort.Strings(got)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("files are %v, want %v", got, want)
			}
			m, err := manifest.Read(out.Files[manifest.File])
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(m, out.Manifest) {
				t.Errorf("manifest.json does not decode to Output.Manifest")
			}
			if m.System != "unit" || m.Suffix != "t" || m.Region != "us-east-1" || len(m.Stacks) != len(a.Stacks) {
				t.Errorf("manifest header is %+v", m)
			}
			for i, ms := range m.Stacks {
				s := a.Stacks[i]
				sum := sha256.Sum256(out.Files[ms.Template])
				if ms.Name != s.Name || ms.Template != s.Name+ext || ms.SHA256 != hex.EncodeToString(sum[:]) {
					t.Errorf("manifest stack %d is %+v", i, ms)
				}
				if ms.DependsOn == nil || ms.Parameters == nil || ms.Tags == nil {
					t.Errorf("manifest stack %s has a null list or map", ms.Name)
				}
			}
			pipeline := m.Stacks[0]
			if p := pipeline.Parameters["ArtifactKeyArnEuWest1"]; p.FromOutput == nil || p.FromOutput.Stack != "unit-artifacts-eu-west-1-t" {
				t.Errorf("the pipeline's cross-region parameter is %+v", p)
			}
			prod := m.Stacks[len(m.Stacks)-1]
			if prod.Account.Role != "arn:aws:iam::401234567892:role/deployer" || !prod.TerminationProtection {
				t.Errorf("the prod ecs stack is %+v", prod)
			}
			var cfg manifest.TemplateConfiguration
			if err := json.Unmarshal(out.Files["unit-ecs-dev-t.config.json"], &cfg); err != nil {
				t.Fatal(err)
			}
			wantCfg := manifest.TemplateConfiguration{
				Parameters: map[string]string{"Flavor": "plain"},
				Tags:       map[string]string{"team": "core", "cicdgen:system": "unit", "cicdgen:suffix": "t", "cicdgen:environment": "dev"},
			}
			if !reflect.DeepEqual(cfg, wantCfg) {
				t.Errorf("the template configuration is %+v, want %+v", cfg, wantCfg)
			}
			if !bytes.HasSuffix(out.Files[manifest.File], []byte("}\n")) {
				t.Errorf("manifest.json does not end in a newline")
			}
		})
	}
	t.Run("an unknown format is an error", func(t *testing.T) {
		if _, err := Outputs(a, "xml"); err == nil || !strings.Contains(err.Error(), `"xml"`) {
			t.Errorf("got %v", err)
		}
	})
}

// yamlEquivalent decodes YAML with a reader and returns it as canonical JSON.
func yamlEquivalent(t *testing.T, data []byte, v3 bool) []byte {
	t.Helper()
	var v any
	var err error
	if v3 {
		err = yamlv3.Unmarshal(data, &v)
	} else {
		err = goccy.Unmarshal(data, &v)
	}
	if err != nil {
		t.Fatalf("the YAML does not parse: %v\n%s", err, data)
	}
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	d, err := decodeJSON(raw)
	if err != nil {
		t.Fatal(err)
	}
	b, err := canonicalJSON(d)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestJSONToYAMLKeepsEveryValue(t *testing.T) {
	tricky := []string{
		"", "yes", "No", "ON", "off", "y", "n", "true", "False", "null", "~", "1e3", ".inf", "-.inf", ".nan",
		"12:30", "0x1F", "0o17", "017", "1_000", "+1", "-1", ".5", "2010-09-09", "2012-10-17T00:00:00Z",
		"- x", "a: b", "a:b", "a #b", "a#b", "#c", " lead", "trail ", "x\ty", "a\u2028b", "caf\u00e9",
		"@x", "!Ref y", "%x", "*", "&a", "{a}", "[a]", "|", ">-", "?x", "<<", "=", `"q"`, "'s'", "back\\slash",
		"Fn::Sub", "${AWS::Region}", "arn:aws:s3:::b/*", "ends:", "with: colon", "multi\nline\n", "multi\nline",
		"multi\n\n", "  indented\nx", "line\n  spaced\n", "x\n \ny", "tab\n\tin", "a\r\nb", "\nlead newline",
	}
	doc := map[string]any{}
	list := make([]any, 0, len(tricky))
	for i, s := range tricky {
		doc[s+"key"] = s
		doc[string(rune('A'+i%26))+strings.Repeat("k", i)] = s
		list = append(list, s, map[string]any{"k": s, "n": []any{s}})
	}
	doc["list"] = list
	doc["nested"] = []any{[]any{"a", []any{}}, map[string]any{}, []any{map[string]any{"x": map[string]any{}}}}
	doc["numbers"] = []any{json.Number("5"), json.Number("-1.5"), true, false, nil}
	data, err := canonicalJSON(doc)
	if err != nil {
		t.Fatal(err)
	}
	y, err := JSONToYAML(data)
	if err != nil {
		t.Fatal(err)
	}
	for name, v3 := range map[string]bool{"goccy/go-yaml": false, "yaml.v3": true} {
		t.Run("read back with "+name, func(t *testing.T) {
			if got := yamlEquivalent(t, y, v3); !bytes.Equal(got, data) {
				t.Errorf("the YAML reads back differently:\n%s", firstDifference(data, got))
			}
		})
	}
	t.Run("plain and literal styles are used where safe", func(t *testing.T) {
		for _, want := range []string{"\nFn::Subkey: Fn::Sub\n", "\"multi\\nline\\nkey\": |\n  multi\n  line\n", "  - |-\n    multi\n    line\n", `: "1e3"` + "\n", `: ".inf"` + "\n", `: "yes"` + "\n"} {
			if !bytes.Contains(y, []byte(want)) {
				t.Errorf("the YAML lacks %q", want)
			}
		}
	})
}

func TestYAMLOfEveryGoldenStackReadsBackAsItsJSON(t *testing.T) {
	for _, c := range goldenCases(t) {
		t.Run(c.name, func(t *testing.T) {
			a, _, _ := compileCase(t, c)
			for _, s := range a.Stacks {
				y, err := JSONToYAML(s.Body)
				if err != nil {
					t.Fatal(err)
				}
				if got := yamlEquivalent(t, y, false); !bytes.Equal(got, s.Body) {
					t.Errorf("%s: the YAML reads back differently:\n%s", s.Name, firstDifference(s.Body, got))
				}
			}
		})
	}
}

// readTree returns the files under dir by relative path.
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		rel, _ := filepath.Rel(dir, path)
		out[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// entries returns the names in dir.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

func TestWriteOutput(t *testing.T) {
	a := compileTest(t)
	tests := map[string]struct {
		before  map[string]string // files in out/ before; nil: no out/
		files   map[string][]byte // nil: the assembly's files
		wantErr string
		// kept: out/ must still hold before afterwards
		kept bool
	}{
		"it creates a missing directory": {},
		"it replaces a previous output and drops its stale files": {
			before: map[string]string{manifest.File: "{}", "old-stack.json": "{}"},
		},
		"it fills an empty directory": {
			before: map[string]string{},
		},
		"it refuses a directory that is not a build output": {
			before:  map[string]string{"main.go": "package main"},
			wantErr: "not a cicdgen build output",
			kept:    true,
		},
		"a failing write leaves the previous output untouched": {
			before:  map[string]string{manifest.File: "{}", "old-stack.json": "{}"},
			files:   map[string][]byte{"a.json": []byte("{}"), "sub/b.json": []byte("{}")},
			wantErr: "not a plain file name",
			kept:    true,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			parent := t.TempDir()
			dir := filepath.Join(parent, "out")
			if tc.before != nil {
				if err := os.Mkdir(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				for f, content := range tc.before {
					if err := os.WriteFile(filepath.Join(dir, f), []byte(content), 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			var err error
			if tc.files != nil {
				err = (&manifest.Output{Files: tc.files}).Write(dir)
			} else {
				err = WriteOutput(dir, a, manifest.FormatJSON)
			}
			if got := entries(t, parent); !reflect.DeepEqual(got, []string{"out"}) && !(tc.before == nil && tc.wantErr != "" && len(got) == 0) {
				t.Errorf("the parent directory holds %v, want only out", got)
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got error %v, want one containing %q", err, tc.wantErr)
				}
				if tc.kept && !reflect.DeepEqual(readTree(t, dir), tc.before) {
					t.Errorf("the previous content changed: %v", readTree(t, dir))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			out, _ := Outputs(a, manifest.FormatJSON)
			want := map[string]string{}
			for f, b := range out.Files {
				want[f] = string(b)
			}
			if got := readTree(t, dir); !reflect.DeepEqual(got, want) {
				t.Errorf("out/ holds %d files, want exactly the %d of the build", len(got), len(want))
			}
			info, err := os.Stat(dir)
			if err != nil || info.Mode().Perm() != 0o755 {
				t.Errorf("out/ has mode %v, want 0755", info.Mode().Perm())
			}
		})
	}
}

func TestWriteOutputRefusesAFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out")
	if err := os.WriteFile(path, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := WriteOutput(path, compileTest(t), manifest.FormatJSON)
	if err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Fatalf("got %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "x" {
		t.Errorf("the file changed")
	}
}

// TestBuildIsDeterministic compiles and writes every golden case twice, in
// both formats, and compares the bytes.
func TestBuildIsDeterministic(t *testing.T) {
	for _, c := range goldenCases(t) {
		t.Run(c.name, func(t *testing.T) {
			for _, format := range []string{manifest.FormatJSON, manifest.FormatYAML} {
				var trees [2]map[string]string
				for i := range trees {
					sys := loadSystem(t, c.system)
					a, ds := Compile(sys)
					if ds.HasErrors() {
						t.Fatal(ds)
					}
					dir := filepath.Join(t.TempDir(), "out")
					if err := WriteOutput(dir, a, format); err != nil {
						t.Fatal(err)
					}
					trees[i] = readTree(t, dir)
				}
				if !reflect.DeepEqual(trees[0], trees[1]) {
					t.Errorf("two %s builds differ", format)
				}
			}
		})
	}
}
