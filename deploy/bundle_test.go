package deploy

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
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
		"an environment brings the stacks it depends on": {
			sel:  Selection{Environments: []string{"dev"}},
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

func TestPlaceholderAccounts(t *testing.T) {
	b, err := LoadDir("testdata/seed")
	if err != nil {
		t.Fatal(err)
	}
	if got := b.PlaceholderAccounts(); len(got) != 0 {
		t.Errorf("real-looking ids reported as placeholders: %v", got)
	}
	b.Manifest.Stacks[0].Account.ID = "123456789012"
	b.Manifest.Stacks[3].Account.ID = "111111111111"
	got := b.PlaceholderAccounts()
	if len(got) != 2 || !strings.Contains(got[0], "123456789012") || !strings.Contains(got[1], "111111111111") {
		t.Errorf("got %v", got)
	}
}

func TestBundlePlaceholders(t *testing.T) {
	cases := map[string]struct {
		account string
		value   string
		want    []string
	}{
		"real values hold no placeholder": {
			account: toolingID, value: "arn:aws:codeconnections:us-east-1:210987654321:connection/4f7c1d2e",
		},
		"a placeholder account id is named": {
			account: "123456789012", value: "x",
			want: []string{"account ids tooling (123456789012)"},
		},
		"an example connection ARN in a template is named": {
			account: toolingID, value: "arn:aws:codestar-connections:us-east-1:210987654321:connection/example",
			want: []string{`"arn:aws:codestar-connections:us-east-1:210987654321:connection/example" in stack par-s0-x`},
		},
		"the example repository in a template is named": {
			account: toolingID, value: "myorg/myapp",
			want: []string{`"myorg/myapp" in stack par-s0-x`},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			b := independent(1)
			b.Manifest.Stacks[0].Account.ID = tc.account
			b.Templates["par-s0-x"] = []byte(fmt.Sprintf(`{"Resources": {"P": {"Type": "AWS::CodePipeline::Pipeline", "Properties": {"Value": [%q]}}}}`, tc.value))
			if got := b.Placeholders(); !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
