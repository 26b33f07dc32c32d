package compiler

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/cicdgen/cicdgen/compiler/cfn"

	"github.com/cicdgen/cicdgen/schema"
)

// envDocumentedIDs reads the logical-id table at the top of a builder file:
// the rows after the "Logical id" header up to the first line that is not a
// table row, each row's first column (ids separated by ", "; <i> and <j>
// stand for numbers, <ID> for letters and digits).
func envDocumentedIDs(t *testing.T, file string) []*regexp.Regexp {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out []*regexp.Regexp
	inTable := false
	for _, line := range strings.Split(string(src), "\n") {
		if !strings.HasPrefix(line, "//\t") {
			if inTable {
				break
			}
			continue
		}
		row := strings.TrimPrefix(line, "//\t")
		if strings.HasPrefix(row, "Logical id") {
			inTable = true
			continue
		}
		if !inTable || strings.HasPrefix(row, " ") {
			continue // a continuation line
		}
		first, _, _ := strings.Cut(row, "  ")
		for _, id := range strings.Split(first, ", ") {
			pattern := strings.NewReplacer("<i>", `[0-9]+`, "<j>", `[0-9]+`, "<ID>", `[A-Za-z0-9]+`).Replace(regexp.QuoteMeta(id))
			out = append(out, regexp.MustCompile("^"+pattern+"$"))
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s documents no logical ids", file)
	}
	return out
}

func TestEnvLogicalIDsAreDocumented(t *testing.T) {
	variants := []envCase{
		{},
		{service: "  deployment: rolling\n", network: "  nat_gateways: 0\n  flow_logs: false\n"},
		{service: "  certificate: arn:aws:acm:us-east-1:310987654321:certificate/8c1f4d9e-2b3a-4c5d-8e7f-9a0b1c2d3e4f\n  secrets:\n    A: arn:aws:ssm:us-east-1:310987654321:parameter/a\n    API_KEY: managed\n",
			network: "  azs: 3\n  nat_gateways: 0\n"},
		{network: "  azs: 3\n  nat_gateways: 3\n"},
	}
	tests := map[string]struct {
		file  string
		build func(*schema.System, *schema.Environment) (*cfn.Template, map[string]Parameter)
	}{
		"every logical id of the roles stack is documented and every documented one is built":   {"roles.go", buildRoles},
		"every logical id of the secrets stack is documented and every documented one is built": {"secrets.go", buildSecrets},
		"every logical id of the ecs stack is documented and every documented one is built":     {"ecs.go", buildECS},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			documented := envDocumentedIDs(t, tc.file)
			used := make([]bool, len(documented))
			for _, v := range variants {
				sys := envSystem(t, v)
				if tc.file == "secrets.go" && !sys.Environments[0].HasManagedSecrets() {
					continue // no secrets stack
				}
				doc := envBuild(t, sys, "dev", tc.build)
				for _, id := range envResourceIDs(doc) {
					found := false
					for i, re := range documented {
						if re.MatchString(id) {
							found, used[i] = true, true
						}
					}
					if !found {
						t.Errorf("%s is not in the table of %s", id, tc.file)
					}
				}
			}
			for i, re := range documented {
				if !used[i] {
					t.Errorf("%s documents %s, which no test system builds", tc.file, re)
				}
			}
		})
	}
}
