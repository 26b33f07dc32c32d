#!/usr/bin/env bash
# moto-test.sh: apply and diff against moto_server, an independent fake of
# AWS (pip install 'moto[server]'), through AWS_ENDPOINT_URL with dummy
# credentials, as any user of a local emulator would. Opt-in: it runs only
# with CICDGEN_MOTO=1 (make moto-test); make test never needs moto.
#
# What moto implements decides what is checked: its change-set executions
# record no stack outputs (so no exports), so only systems whose stacks
# import nothing deploy there (the minimal example: no managed secrets), and
# status finds the service URL through the load balancer, not the outputs.
# Checked: apply, a no-op re-apply, diff, status, destroy twice, and a
# refusing endpoint.
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

echo "moto-test: apply of the whole system, then status lists every stack and the service URL"
./cicdgen apply system.yaml --yes --events failed >apply3.out 2>&1 || { rc=$?; cat apply3.out; fail "apply of the whole system exited $rc"; }
./cicdgen status system.yaml --format json >status.json 2>status.err || { rc=$?; cat status.err; fail "status exited $rc"; }
python3 - status.json <<'EOF' || fail "status --format json does not list every stack deployed and the service URL"
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["version"] == 1, doc
assert len(doc["stacks"]) == 4 and all(s["state"].endswith("_COMPLETE") for s in doc["stacks"]), doc["stacks"]
assert all(e["serviceUrl"].startswith("http") for e in doc["environments"]), doc["environments"]
EOF

echo "moto-test: destroy --yes leaves no stack, and a second destroy is a no-op"
./cicdgen destroy system.yaml --yes >destroy1.out 2>&1 || { rc=$?; cat destroy1.out; fail "destroy exited $rc"; }
./cicdgen destroy system.yaml --yes >destroy2.out 2>&1 || { rc=$?; cat destroy2.out; fail "second destroy exited $rc"; }
grep -q '4 stacks: 4 absent' destroy2.out || { cat destroy2.out; fail "the second destroy found something to delete"; }
./cicdgen status system.yaml --format json >status2.json 2>/dev/null || true
python3 - status2.json <<'EOF' || fail "stacks are left after destroy"
import json, sys
doc = json.load(open(sys.argv[1]))
assert all(s["state"] == "NOT_DEPLOYED" for s in doc["stacks"]), doc["stacks"]
EOF

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
