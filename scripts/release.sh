#!/usr/bin/env bash
# release.sh VERSION: prepare a cicdgen release on this machine (see
# docs/releasing.md): pin VERSION in scripts/release-version, commit, tag,
# build the archives with make dist and check the stamped version. It pushes
# nothing: it prints the commands that publish the release.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

version="${1:-}"
if ! [[ "$version" =~ ^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]]; then
	echo "usage: scripts/release.sh vX.Y.Z (a semantic version tag)" >&2
	exit 2
fi
major="${version%%.*}"

if [ -n "$(git status --porcelain)" ]; then
	echo "release.sh: the work tree has changes; commit or stash them first" >&2
	exit 1
fi
if git rev-parse -q --verify "refs/tags/$version" >/dev/null; then
	echo "release.sh: tag $version exists already" >&2
	exit 1
fi

make test
printf '%s\n' "$version" > scripts/release-version
git add scripts/release-version
git commit -q -m "Release $version"
git tag -a "$version" -m "cicdgen $version"
make dist

# The archive of this machine must print the stamped version.
goos="$(go env GOOS)"
goarch="$(go env GOARCH)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
tar -xzf "dist/cicdgen_${version}_${goos}_${goarch}.tar.gz" -C "$tmp" cicdgen cicdgen-aws
for bin in cicdgen cicdgen-aws; do
	got="$("$tmp/$bin" --version)"
	if [ "$got" != "cicdgen version $version" ]; then
		echo "release.sh: the built $bin says \"$got\", not \"cicdgen version $version\"" >&2
		exit 1
	fi
done
(cd dist && sha256sum -c SHA256SUMS)

cat <<EOT

Built $version into dist/. To publish it:

  git push origin HEAD "$version"
  gh release create "$version" dist/*.tar.gz dist/*.zip dist/SHA256SUMS --title "cicdgen $version" --verify-tag
  docker buildx build --platform linux/amd64,linux/arm64 --build-arg VERSION="$version" \\
    -t ghcr.io/cicdgen/cicdgen:"$version" --push .
  GOPROXY=https://proxy.golang.org go list -m github.com/cicdgen/cicdgen@"$version"
EOT
if [[ "$version" != *-* ]]; then
	cat <<EOT

A release (not a pre-release): move the major tag that @$major and the
image's :$major follow:

  git tag -f -a "$major" -m "cicdgen $version" "$version^{}" && git push -f origin "$major"
  docker buildx imagetools create -t ghcr.io/cicdgen/cicdgen:"$major" ghcr.io/cicdgen/cicdgen:"$version"
EOT
fi
