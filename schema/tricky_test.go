package schema

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestTrickyValidFilesDecode checks that the unusual but valid files of
// testdata/valid mean what they say, beyond loading without error.
func TestTrickyValidFilesDecode(t *testing.T) {
	cases := map[string]func(t *testing.T, s *System){
		"directives-tags.yaml": func(t *testing.T, s *System) {
			if got := s.Accounts["tooling"].ID; got != "210987654321" {
				t.Errorf("!!str account id = %q", got)
			}
			if got := s.Accounts["dev"].ID; got != "345678901234" {
				t.Errorf("verbatim-tagged account id = %q", got)
			}
			if s.Service.CPU != 256 || s.Service.Port != 8080 {
				t.Errorf("cpu %d, port %d; want 256 and 8080 (!!int \"256\", !!int 0x1F90)", s.Service.CPU, s.Service.Port)
			}
			if s.Tags["team"] != "42" {
				t.Errorf("!!str 42 = %q", s.Tags["team"])
			}
			if want := []string{"ec2:TerminateInstances", "iam:CreateUser", "s3:DeleteBucket"}; !slices.Equal(s.Roles.Deny, want) {
				t.Errorf("deny = %q, want %q", s.Roles.Deny, want)
			}
		},
		"json.yaml": func(t *testing.T, s *System) {
			if len(s.Environments) != 2 || s.Environments[1].Region != "eu-west-1" || s.Environments[1].Service.DesiredCount != 4 {
				t.Errorf("environments = %+v", s.Environments)
			}
		},
		"thirty-environments.yaml": func(t *testing.T, s *System) {
			regions := map[string]bool{}
			for _, e := range s.Environments {
				regions[e.Region] = true
			}
			if len(s.Environments) != 30 || len(regions) != 6 {
				t.Errorf("%d environments in %d regions, want 30 in 6", len(s.Environments), len(regions))
			}
		},
	}
	for name, check := range cases {
		t.Run(name, func(t *testing.T) {
			file := filepath.Join("testdata", "valid", name)
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			sys, ds := Load(file, src)
			if sys == nil || ds.HasErrors() {
				t.Fatalf("does not load: %v", ds)
			}
			check(t, sys)
		})
	}
}
