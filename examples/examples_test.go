// Package examples holds example system.yaml files; its test keeps them valid.
package examples

import (
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/cicdgen/cicdgen/compiler"
	"github.com/cicdgen/cicdgen/diag"
	"github.com/cicdgen/cicdgen/schema"
)

// TestExamplesAreValid loads every examples/*/system.yaml: none may have an
// error, the only warnings allowed are the placeholders an example keeps on
// purpose, and each compiles without a diagnostic.
func TestExamplesAreValid(t *testing.T) {
	cases := map[string]struct {
		dir              string
		wantPlaceholders int // warnings with rule "placeholder"
	}{
		"the seed keeps its deliberate placeholders and nothing else": {dir: "seed", wantPlaceholders: 8},
		"the minimal single-account system is clean":                  {dir: "minimal"},
		"the multi-region system is clean":                            {dir: "multi-region"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(tc.dir, "system.yaml")
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			sys, ds := schema.Load(path, src)
			placeholders := 0
			for _, d := range ds {
				if d.Severity == diag.Warning && d.Rule == "placeholder" {
					placeholders++
					continue
				}
				t.Errorf("unexpected diagnostic: %v", d)
			}
			if sys == nil {
				t.Fatalf("Load returned no system")
			}
			if placeholders != tc.wantPlaceholders {
				t.Errorf("%d placeholder warnings, want %d", placeholders, tc.wantPlaceholders)
			}
			a, cds := compiler.Compile(sys)
			for _, d := range cds {
				t.Errorf("compile: %v", d)
			}
			if a == nil || len(a.Stacks) == 0 {
				t.Errorf("compile produced no stacks")
			}
		})
	}
}

// TestEveryExampleIsTested fails when an example directory is added without
// a case above, so that no example goes unchecked.
func TestEveryExampleIsTested(t *testing.T) {
	matches, err := filepath.Glob(filepath.Join("*", "system.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, m := range matches {
		dirs = append(dirs, filepath.Dir(m))
	}
	sort.Strings(dirs)
	want := []string{"minimal", "multi-region", "seed"}
	if len(dirs) != len(want) {
		t.Fatalf("example directories %v, want %v: add new ones to TestExamplesAreValid", dirs, want)
	}
	for i := range want {
		if dirs[i] != want[i] {
			t.Fatalf("example directories %v, want %v: add new ones to TestExamplesAreValid", dirs, want)
		}
	}
}

// TestSeedIsTheReferenceSystem checks the facts of the reference system that
// the README and the issue promise.
func TestSeedIsTheReferenceSystem(t *testing.T) {
	sys, ds := schema.LoadFile(filepath.Join("seed", "system.yaml"))
	if sys == nil || ds.HasErrors() {
		t.Fatalf("seed does not load: %v", ds)
	}
	checks := map[string]struct {
		got, want any
	}{
		"the tooling account is 123456789012":       {sys.Tooling().ID, "123456789012"},
		"dev is account 111111111111":               {sys.Accounts["dev"].ID, "111111111111"},
		"staging is reached through a role":         {sys.Accounts["staging"].Role != "", true},
		"prod is reached through a profile":         {sys.Accounts["prod"].Profile, "prod"},
		"the suffix is dev":                         {sys.Suffix, "dev"},
		"the build image comes from ECR":            {sys.Build.Image, schema.BuildImageECR},
		"the build cache lasts 7 days":              {sys.Build.CacheDays, 7},
		"there is a test stage":                     {sys.Test != nil, true},
		"the service deploys blue/green":            {sys.Service.Deployment, schema.DeploymentBlueGreen},
		"the network spans 2 AZs":                   {sys.Network.AZs, 2},
		"the network has 2 NAT gateways":            {sys.Network.NATGateways, 2},
		"there are three environments":              {len(sys.Environments), 3},
		"dev deploys without approval":              {sys.Environments[0].Approval, false},
		"staging needs an approval":                 {sys.Environments[1].Approval, true},
		"prod needs an approval":                    {sys.Environments[2].Approval, true},
		"prod is protected":                         {sys.Environments[2].Protect, true},
		"ec2:TerminateInstances is denied":          {len(sys.Roles.Deny) > 0 && sys.Roles.Deny[0] == schema.AlwaysDenied, true},
		"failures are notified":                     {len(sys.Notifications.Failures) > 0, true},
		"the connection is the placeholder of SPEC": {sys.Source.Connection, "arn:aws:codestar-connections:us-east-1:123456789012:connection/example"},
		"the repository is the placeholder of SPEC": {sys.Source.Repository, "myorg/myapp"},
	}
	for name, c := range checks {
		t.Run(name, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("got %v, want %v", c.got, c.want)
			}
		})
	}
}
