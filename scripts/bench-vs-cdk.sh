#!/usr/bin/env bash
# Times `cicdgen build` of the seed example against `cdk synth` of the same
# system written as a CDK app (scripts/cdkseed), side by side in one run:
# the rounds interleave the two, so that the machine's load weighs on both
# alike. Needs Go, Node.js and npm. The CDK packages are installed once from
# the npm registry into $CICDGEN_CDK_CACHE, by default
# ~/.cache/cicdgen/cdkseed: outside the repository, whose gofmt check would
# otherwise walk the Go templates in node_modules.
#
#	scripts/bench-vs-cdk.sh [rounds] [cicdgen runs per round]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
rounds="${1:-5}"
per_round="${2:-10}"
cache="${CICDGEN_CDK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cicdgen/cdkseed}"
mkdir -p "$cache"
cp scripts/cdkseed/app.js scripts/cdkseed/cdk.json scripts/cdkseed/cdk.context.json \
	scripts/cdkseed/package.json scripts/cdkseed/package-lock.json "$cache/"
if [ ! -x "$cache/node_modules/.bin/cdk" ]; then
	(cd "$cache" && npm ci --no-audit --no-fund)
fi
go build -o "$cache/cicdgen" ./cmd/cicdgen
go build -o "$cache/startbench" ./scripts/startbench

# No telemetry, no credential or metadata look-ups: synth needs no AWS.
export CDK_DISABLE_CLI_TELEMETRY=true AWS_EC2_METADATA_DISABLED=true
echo "load: $(uptime)"
echo "cdk: $("$cache/node_modules/.bin/cdk" --version 2>/dev/null), node $(node --version), $(go version)"
"$cache/startbench" -n "$rounds" -warmup 1 -- \
	env -C "$cache" node_modules/.bin/cdk synth -q --no-notices -o "$cache/cdk.out" --- \
	"x$per_round" "$cache/cicdgen" build "$root/examples/seed/system.yaml" -o "$cache/out"
echo "load: $(uptime)"
