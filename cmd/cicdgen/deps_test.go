package main

import (
	"os/exec"
	"strings"
	"testing"
)

// goformationRegistry is goformation's root package. It registers every
// resource type goformation generates, 1,400-odd packages' worth: linking
// it tripled the binary and its start-up. The compiler uses goformation's
// service packages and compiler/cfn instead.
const goformationRegistry = "github.com/awslabs/goformation/v7/cloudformation"

// TestCicdgenLinksNoAWSSDK keeps the AWS SDK and deploy out of the cicdgen
// binary, and goformation's registry out of both binaries, so that they
// start and build within the budget of the README's Performance section;
// cicdgen-aws, which runs the commands that call AWS, links the SDK.
func TestCicdgenLinksNoAWSSDK(t *testing.T) {
	const deployPkg = "github.com/cicdgen/cicdgen/deploy"
	awsOrDeploy := func(pkg string) bool {
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
				if awsOrDeploy(pkg) {
					linked = append(linked, pkg)
				}
				if pkg == goformationRegistry || pkg == "github.com/awslabs/goformation/v7" {
					t.Errorf("%s links goformation's registry of every resource type (%s); use compiler/cfn", tc.pkg, pkg)
				}
			}
			if got := len(linked) > 0; got != tc.wantLinks {
				t.Errorf("%s links the AWS SDK or deploy: %v, want %v (%s)", tc.pkg, got, tc.wantLinks, strings.Join(linked, " "))
			}
		})
	}
}
