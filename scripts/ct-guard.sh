#!/usr/bin/env bash
# ct-guard.sh DIR — run AWS Control Tower's proactive controls (cfn-guard rules)
# over every CloudFormation template in DIR and list the rules that fail, per
# template. cfn-guard and the rules come from the npm package
# @cdklabs/cdk-validator-cfnguard (pinned), installed once into .cache/.
#
# Exit status: 0 when it ran (failures are listed, not fatal: README.md
# documents each remaining failure and its reason), 2 when it could not run.
set -euo pipefail

dir=${1:?usage: scripts/ct-guard.sh DIR}
root=$(cd "$(dirname "$0")/.." && pwd)
cache="$root/.cache/cfnguard"
version=0.0.62
pkg="$cache/node_modules/@cdklabs/cdk-validator-cfnguard"

if [ ! -x "$pkg/bin/ubuntu/x86_64/cfn-guard" ]; then
  command -v npm >/dev/null || { echo "ct-guard: npm is needed to fetch cfn-guard" >&2; exit 2; }
  mkdir -p "$cache"
  (cd "$cache" && npm install --no-audit --no-fund --silent "@cdklabs/cdk-validator-cfnguard@$version" >/dev/null)
fi
case "$(uname -m)" in
  x86_64) guard="$pkg/bin/ubuntu/x86_64/cfn-guard" ;;
  aarch64|arm64) guard="$pkg/bin/ubuntu/aarch64/cfn-guard" ;;
  *) echo "ct-guard: no cfn-guard binary for $(uname -m)" >&2; exit 2 ;;
esac
rules="$pkg/rules/control-tower/cfn-guard"

total=0
all=()
for tpl in "$dir"/*.json "$dir"/*.yaml; do
  [ -e "$tpl" ] || continue
  case "$(basename "$tpl")" in manifest.json|*.config.json) continue ;; esac
  # One rule file at a time: a rule that does not apply to the template's
  # resource types is skipped by cfn-guard and reported as SKIP.
  failed=()
  while IFS= read -r rule; do
    if ! "$guard" validate --rules "$rule" --data "$tpl" --show-summary none >/dev/null 2>&1; then
      failed+=("$(basename "$rule" .guard)")
    fi
  done < <(find "$rules" -name '*.guard' | sort)
  total=$((total + ${#failed[@]}))
  all+=("${failed[@]}")
  printf '%s: %d failed%s\n' "$(basename "$tpl")" "${#failed[@]}" "${failed[*]:+ (${failed[*]})}"
done
echo "total failed rule checks: $total"
printf '%s\n' "${all[@]}" | sort -u | grep -c . | sed 's/^/distinct failed rules: /' || true
printf '%s\n' "${all[@]}" | sort -u | grep . | sed 's/^/  /' || true
