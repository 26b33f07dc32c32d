#!/usr/bin/env bash
# moto-test.sh: apply and diff against moto_server, an independent fake of
# AWS (pip install 'moto[server]'), through AWS_ENDPOINT_URL with dummy
# credentials, as any user of a local emulator would. Opt-in: it runs only
# with CICDGEN_MOTO=1 (make moto-test); make test never needs moto.
#
# What moto implements decides what is checked: its change-set executions
# record no stack outputs (so no exports), so the stacks that import from
# others (monitoring, ecs) cannot be created there; the stacks that import
# nothing are created, then found unchanged.
set -euo pipefail

if [[ "${CICDGEN_MOTO:-}" != 1 ]]; then
	echo "moto-test: skipped (set CICDGEN_MOTO=1, or run make moto-test)"
	exit 0
fi
command -v moto_server >/dev/null || { echo "moto-test: moto_server is not on PATH (pip install 'moto[server]')" >&2; exit 1; }

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
moto_pid=
cleanup() {
	if [[ -n "$moto_pid" ]]; then kill "$moto_pid" 2>/dev/null || true; wait "$moto_pid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
fail() { echo "moto-test: FAIL: $*" >&2; exit 1; }

go build -o "$work/" "$root/cmd/cicdgen" "$root/cmd/cicdgen-aws"
cp "$root/examples/minimal/system.yaml" "$work/system.yaml"
account=$(sed -n 's/^  tooling: "\([0-9]*\)".*/\1/p' "$work/system.yaml")

port=$(free_port)
MOTO_ACCOUNT_ID=$account moto_server -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto_pid=$!
for _ in $(seq 50); do
	curl -fs -o /dev/null "http://127.0.0.1:$port/moto-api/" && break
	sleep 0.2
done

export AWS_ENDPOINT_URL=http://127.0.0.1:$port AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
	AWS_REGION=eu-central-1 AWS_EC2_METADATA_DISABLED=true AWS_PROFILE= AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
cd "$work"
stacks=(--stack roles-live --stack pipeline --no-deps)

echo "moto-test: apply creates the stacks that import nothing"
./cicdgen apply system.yaml "${stacks[@]}" --yes --events failed >apply1.out 2>&1 || { rc=$?; cat apply1.out; fail "first apply exited $rc"; }
grep -q '2 stacks: 2 created' apply1.out || { cat apply1.out; fail "first apply did not create 2 stacks"; }
if grep -q 'WARN' apply1.out; then cat apply1.out; fail "an SDK WARN line leaked"; fi

echo "moto-test: a second apply finds them unchanged, one JSON document on stdout"
./cicdgen apply system.yaml "${stacks[@]}" --yes --format json >apply2.json 2>apply2.err || { rc=$?; cat apply2.err; fail "second apply exited $rc"; }
python3 - apply2.json <<'EOF' || fail "apply --format json is not one document of 2 unchanged stacks"
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["version"] == 1, doc
assert [s["result"] for s in doc["stacks"]] == ["unchanged"] * 2, doc["stacks"]
assert doc["inProgress"] == [] and all(s["changes"] == [] for s in doc["stacks"]), doc
EOF

echo "moto-test: diff --format json prints one parseable document"
./cicdgen diff system.yaml "${stacks[@]}" --format json >diff.json 2>diff.err || { rc=$?; cat diff.err; fail "diff exited $rc"; }
python3 -c 'import json, sys; json.load(open(sys.argv[1]))' diff.json || fail "diff --format json is not JSON"

echo "moto-test: with the endpoint refusing connections, apply fails within 30 seconds naming it"
closed=$(free_port)
start=$(date +%s)
status=0
AWS_ENDPOINT_URL=http://127.0.0.1:$closed timeout 60 ./cicdgen apply system.yaml >refused.out 2>refused.err || status=$?
took=$(($(date +%s) - start))
[[ $status -ne 0 && $status -ne 124 ]] || fail "apply against a refusing endpoint exited $status"
((took <= 30)) || fail "apply against a refusing endpoint took ${took}s"
grep -q "http://127.0.0.1:$closed" refused.err || { cat refused.err; fail "the message does not name the endpoint"; }
echo "moto-test: ok (refused endpoint reported in ${took}s, exit $status)"
