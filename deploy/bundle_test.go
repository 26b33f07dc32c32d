package deploy

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cicdgen/cicdgen/compiler"
	"github.com/cicdgen/cicdgen/manifest"
	"github.com/cicdgen/cicdgen/schema"
)

func TestLoadDirChecksTemplates(t *testing.T) {
	cases := map[string]struct {
		change func(dir string) error
		want   string
	}{
		"an intact build loads": {change: func(string) error { return nil }},
		"a template changed after the build is refused": {
			change: func(dir string) error {
				return os.WriteFile(filepath.Join(dir, "shop-pipeline-x.json"), []byte(`{"Resources": {}}`), 0o644)
			},
			want: "changed after the build",
		},
		"a missing template is refused": {
			change: func(dir string) error { return os.Remove(filepath.Join(dir, "shop-ecs-dev-x.json")) },
			want:   "read template of stack shop-ecs-dev-x",
		},
		"a directory without a manifest is refused": {
			change: func(dir string) error { return os.Remove(filepath.Join(dir, "manifest.json")) },
			want:   "read manifest",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			entries, err := os.ReadDir("testdata/seed")
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				data, err := os.ReadFile(filepath.Join("testdata/seed", e.Name()))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := tc.change(dir); err != nil {
				t.Fatal(err)
			}
			b, err := LoadDir(dir)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("LoadDir: %v", err)
			case tc.want == "" && len(b.Templates) != len(b.Manifest.Stacks):
				t.Errorf("%d templates for %d stacks", len(b.Templates), len(b.Manifest.Stacks))
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestSelect(t *testing.T) {
	b, err := LoadDir("testdata/seed")
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		sel     Selection
		want    []string
		wantErr string
	}{
		"nothing selected means every stack, dependencies first": {
			want: []string{"shop-pipeline-x", "shop-monitoring-x", "shop-artifacts-us-west-2-x", "shop-roles-dev-x", "shop-secrets-dev-x", "shop-ecs-dev-x",
				"shop-roles-staging-x", "shop-secrets-staging-x", "shop-ecs-staging-x", "shop-roles-prod-x", "shop-secrets-prod-x", "shop-ecs-prod-x"},
		},
		"an environment brings only its own stacks, not the tooling stacks they depend on": {
			sel:  Selection{Environments: []string{"dev"}},
			want: []string{"shop-roles-dev-x", "shop-secrets-dev-x", "shop-ecs-dev-x"},
		},
		"a tooling stack named with an environment comes too": {
			sel:  Selection{Environments: []string{"dev"}, Stacks: []string{"pipeline"}},
			want: []string{"shop-pipeline-x", "shop-roles-dev-x", "shop-secrets-dev-x", "shop-ecs-dev-x"},
		},
		"a stack by kind brings its dependencies": {
			sel:  Selection{Stacks: []string{"ecs-prod"}},
			want: []string{"shop-pipeline-x", "shop-artifacts-us-west-2-x", "shop-roles-prod-x", "shop-secrets-prod-x", "shop-ecs-prod-x"},
		},
		"no-deps keeps only what was named": {
			sel:  Selection{Stacks: []string{"shop-ecs-prod-x", "monitoring"}, NoDeps: true},
			want: []string{"shop-monitoring-x", "shop-ecs-prod-x"},
		},
		"an unknown environment is an error naming the known ones": {
			sel:     Selection{Environments: []string{"qa"}},
			wantErr: "environments: [dev staging prod]",
		},
		"an unknown stack is an error": {
			sel:     Selection{Stacks: []string{"ecs-qa"}},
			wantErr: `no stack is called "ecs-qa"`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := b.Select(tc.sel)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got  %v\nwant %v", got, tc.want)
			}
		})
	}
}

// In the shape the compiler builds, an environment's service stack depends
// on the pipeline stack, which depends on every environment's roles stack:
// selecting an environment must not reach the others through it.
func TestSelectAnEnvironmentNeverReachesAnother(t *testing.T) {
	stack := func(name, env, id string, deps ...string) manifest.Stack {
		return manifest.Stack{Name: name, Kind: strings.TrimSuffix(strings.TrimPrefix(name, "shop-"), "-x"), Environment: env,
			Account: manifest.Account{Key: env, ID: id}, Region: "us-east-1", DependsOn: deps}
	}
	b := &Bundle{Manifest: manifest.Manifest{Stacks: []manifest.Stack{
		stack("shop-pipeline-x", "", toolingID, "shop-roles-dev-x", "shop-roles-prod-x"),
		stack("shop-roles-dev-x", "dev", devID),
		stack("shop-secrets-dev-x", "dev", devID),
		stack("shop-ecs-dev-x", "dev", devID, "shop-pipeline-x", "shop-secrets-dev-x"),
		stack("shop-roles-prod-x", "prod", prodID),
		stack("shop-ecs-prod-x", "prod", prodID, "shop-pipeline-x"),
	}}}
	cases := map[string]struct {
		sel  Selection
		want []string
	}{
		"an environment alone":                 {sel: Selection{Environments: []string{"dev"}}, want: []string{"shop-roles-dev-x", "shop-secrets-dev-x", "shop-ecs-dev-x"}},
		"an environment and the pipeline":      {sel: Selection{Environments: []string{"dev"}, Stacks: []string{"pipeline"}}, want: []string{"shop-roles-dev-x", "shop-pipeline-x", "shop-secrets-dev-x", "shop-ecs-dev-x"}},
		"a stack alone brings all it needs":    {sel: Selection{Stacks: []string{"ecs-dev"}}, want: []string{"shop-roles-dev-x", "shop-roles-prod-x", "shop-pipeline-x", "shop-secrets-dev-x", "shop-ecs-dev-x"}},
		"two environments bring both, no more": {sel: Selection{Environments: []string{"dev", "prod"}}, want: []string{"shop-roles-dev-x", "shop-roles-prod-x", "shop-secrets-dev-x", "shop-ecs-dev-x", "shop-ecs-prod-x"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := b.Select(tc.sel)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got  %v\nwant %v", got, tc.want)
			}
		})
	}
}

func TestBundlePlaceholders(t *testing.T) {
	cases := map[string]struct {
		file string
		want []string // paths that must be named
	}{
		"the seed example's placeholders are recorded and named": {
			file: "../examples/seed/system.yaml",
			want: []string{"$.accounts.tooling: ", "$.accounts.dev: ", "$.source.connection: ", "$.source.repository: "},
		},
		"a system of real values holds none": {
			file: "../examples/multi-region/system.yaml",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			sys, ds := schema.LoadFile(tc.file)
			if sys == nil || ds.HasErrors() {
				t.Fatalf("load %s: %v", tc.file, ds)
			}
			a, ds := compiler.Compile(sys)
			if ds.HasErrors() {
				t.Fatal(ds)
			}
			dir := filepath.Join(t.TempDir(), "out")
			if err := compiler.WriteOutput(dir, a, manifest.FormatJSON); err != nil {
				t.Fatal(err)
			}
			b, err := LoadDir(dir) // as apply DIR reads it
			if err != nil {
				t.Fatal(err)
			}
			got := b.Placeholders()
			if len(tc.want) == 0 && len(got) != 0 {
				t.Errorf("placeholders %q in a system of real values", got)
			}
			for _, prefix := range tc.want {
				if !slices.ContainsFunc(got, func(p string) bool { return strings.HasPrefix(p, prefix) }) {
					t.Errorf("no placeholder at %s in %q", prefix, got)
				}
			}
		})
	}
}
