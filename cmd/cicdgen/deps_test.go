package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestCicdgenLinksNoAWSSDK keeps the AWS SDK and deploy out of the cicdgen
// binary, so that it starts and builds within the budget of the README's
// Performance section; cicdgen-aws, which runs the commands that call
// AWS, links them.
func TestCicdgenLinksNoAWSSDK(t *testing.T) {
	const deployPkg = "github.com/cicdgen/cicdgen/deploy"
	forbidden := func(pkg string) bool {
		return strings.HasPrefix(pkg, "github.com/aws/") || pkg == deployPkg || strings.HasPrefix(pkg, deployPkg+"/")
	}
	tests := map[string]struct {
		pkg       string
		wantLinks bool
	}{
		"cicdgen links neither the AWS SDK nor deploy":              {pkg: "../cicdgen", wantLinks: false},
		"cicdgen-aws links them (the check reads the dependencies)": {pkg: "../cicdgen-aws", wantLinks: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			out, err := exec.Command("go", "list", "-deps", tc.pkg).Output()
			if err != nil {
				t.Fatalf("go list -deps %s: %v", tc.pkg, err)
			}
			var linked []string
			for _, pkg := range strings.Fields(string(out)) {
				if forbidden(pkg) {
					linked = append(linked, pkg)
				}
			}
			if got := len(linked) > 0; got != tc.wantLinks {
				t.Errorf("%s links the AWS SDK or deploy: %v, want %v (%s)", tc.pkg, got, tc.wantLinks, strings.Join(linked, " "))
			}
		})
	}
}
