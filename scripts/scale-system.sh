#!/usr/bin/env bash
# Prints a system.yaml of N environments (default 200) in N/2 accounts and
# three regions, in waves of five, with an organization: the shape of
# compiler's BenchmarkCompileEnvs, for timing `cicdgen build` of a large
# system as a whole process (make bench-process).
set -euo pipefail
n="${1:-200}"
cat <<YAML
version: 1
name: scale
suffix: s
region: us-east-1
organization: o-a1b2c3d4e5
tags: {team: platform}
accounts:
  tooling: "500000000000"
YAML
for ((i = 1; i <= (n + 1) / 2; i++)); do
	printf '  a%d: "5%011d"\n' "$i" "$i"
done
cat <<YAML
source:
  connection: arn:aws:codeconnections:us-east-1:500000000000:connection/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d
  repository: scale/app
test: {}
notifications:
  approvals: [release@scale.example]
  failures: [oncall@scale.example]
service:
  name: app
  port: 8080
environments:
YAML
regions=(us-east-1 eu-west-1 ap-southeast-2)
for ((i = 0; i < n; i++)); do
	approval=false protect=false
	((i % 5 == 0)) && approval=true
	((i >= n - 5)) && protect=true
	printf '  - {name: e%d, account: a%d, region: %s, wave: w%d, approval: %s, protect: %s}\n' \
		"$i" $((i / 2 + 1)) "${regions[i % 3]}" $((i / 5)) "$approval" "$protect"
done
