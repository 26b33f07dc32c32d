// Package scalesystem writes the large system.yaml that the scale tests,
// the benchmarks and `make bench-process` compile: one definition, so that
// the figures of the Go benchmarks and of the whole process are of the
// same system.
package scalesystem

import (
	"fmt"
	"strings"
)

// YAML returns a system.yaml of n environments in (n+1)/2 accounts of an
// organization, in waves of five, across three regions, each with a managed
// secret; the first of every wave needs an approval and the last five are
// protected. It compiles to 4 + 3n stacks.
func YAML(n int) string {
	var b strings.Builder
	b.WriteString(`version: 1
name: scale
suffix: s
region: us-east-1
organization: o-a1b2c3d4e5
tags: {team: platform}
accounts:
  tooling: "500000000000"
`)
	for i := 1; i <= (n+1)/2; i++ {
		fmt.Fprintf(&b, "  a%d: \"5%011d\"\n", i, i)
	}
	b.WriteString(`source:
  connection: arn:aws:codeconnections:us-east-1:500000000000:connection/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d
  repository: scale/app
test: {}
notifications:
  approvals: [release@scale.example]
  failures: [oncall@scale.example]
service:
  name: app
  port: 8080
  secrets: {API_KEY: managed}
environments:
`)
	regions := []string{"us-east-1", "eu-west-1", "ap-southeast-2"}
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "  - {name: e%d, account: a%d, region: %s, wave: w%d, approval: %t, protect: %t}\n",
			i, i/2+1, regions[i%len(regions)], i/5, i%5 == 0, i >= n-5)
	}
	return b.String()
}
