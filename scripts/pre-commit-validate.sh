#!/bin/sh
# The entry of the pre-commit hook cicdgen-validate (.pre-commit-hooks.yaml):
# `cicdgen validate FILE...` with the cicdgen release that the hook's rev pins
# (scripts/release-version), downloaded once, checksum-verified, into
# ${XDG_CACHE_HOME:-~/.cache}/cicdgen/VERSION. Before the first release the
# pin is "unreleased" and the hook's own checkout is built (Go needed).
set -eu

here="$(cd "$(dirname "$0")" && pwd)"
version="$(tr -d '[:space:]' < "$here/release-version")"
if [ "$version" = unreleased ]; then
	dir="$here/../.cache/pre-commit"
	if [ ! -x "$dir/cicdgen" ]; then
		(cd "$here/.." && go build -trimpath -o "$dir/cicdgen" ./cmd/cicdgen) >&2
	fi
else
	dir="${XDG_CACHE_HOME:-${HOME:-.}/.cache}/cicdgen/$version"
	sh "$here/install.sh" -d "$dir" "$version" >/dev/null
fi
bin="$dir/cicdgen"
if [ -x "$dir/cicdgen.exe" ]; then
	bin="$dir/cicdgen.exe"
fi
exec "$bin" validate "$@"
