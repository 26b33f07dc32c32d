#!/bin/sh
# install.sh: install a cicdgen release's binaries, checksum-verified.
#
#   scripts/install.sh [-d DIR] VERSION
#
# VERSION is a release tag such as v1.2.3. The archive for this machine
# (cicdgen_VERSION_OS_ARCH.tar.gz, .zip on Windows) and the release's
# SHA256SUMS are downloaded from the GitHub release VERSION; the archive's
# checksum must match before anything is installed. Its two binaries go into
# DIR (default: $CICDGEN_INSTALL_DIR, else ~/.local/bin): cicdgen, and
# cicdgen-aws, to which cicdgen hands the commands that call AWS. When DIR
# already holds both at VERSION, nothing is downloaded: DIR is a cache.
#
# CICDGEN_DOWNLOAD_URL replaces https://github.com/cicdgen/cicdgen/releases/download
# (a mirror). The GitHub Action and the pre-commit hook of this repository
# install cicdgen with this script.
set -eu

fail() {
	echo "cicdgen install: $*" >&2
	exit 1
}

dir="${CICDGEN_INSTALL_DIR:-${HOME:-.}/.local/bin}"
if [ "${1:-}" = "-d" ]; then
	[ $# -ge 2 ] || fail "-d needs a directory"
	dir="$2"
	shift 2
fi
[ $# -eq 1 ] || fail "usage: install.sh [-d DIR] VERSION (a release tag such as v1.2.3)"
version="$1"
case "$version" in
v[0-9]*.[0-9]*.[0-9]*) ;;
*) fail "version \"$version\" is not a release tag such as v1.2.3" ;;
esac

case "$(uname -s)" in
Linux) os=linux ;;
Darwin) os=darwin ;;
MINGW* | MSYS* | CYGWIN* | Windows_NT) os=windows ;;
*) fail "no release for $(uname -s): build from source (go install github.com/cicdgen/cicdgen/cmd/...@$version)" ;;
esac
case "$(uname -m)" in
x86_64 | amd64) arch=amd64 ;;
aarch64 | arm64) arch=arm64 ;;
*) fail "no release for $(uname -m): build from source (go install github.com/cicdgen/cicdgen/cmd/...@$version)" ;;
esac
bin=cicdgen
awsbin=cicdgen-aws
ext=tar.gz
if [ "$os" = windows ]; then
	bin=cicdgen.exe
	awsbin=cicdgen-aws.exe
	ext=zip
fi

if [ -x "$dir/$bin" ] && [ "$("$dir/$bin" --version 2>/dev/null || true)" = "cicdgen version $version" ] &&
	[ -x "$dir/$awsbin" ] && [ "$("$dir/$awsbin" --version 2>/dev/null || true)" = "cicdgen version $version" ]; then
	echo "cicdgen $version is in $dir"
	exit 0
fi

archive="cicdgen_${version}_${os}_${arch}.${ext}"
base="${CICDGEN_DOWNLOAD_URL:-https://github.com/cicdgen/cicdgen/releases/download}/$version"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT INT TERM

download() {
	if command -v curl >/dev/null 2>&1; then
		curl -fsSL --retry 3 -o "$2" "$1"
	elif command -v wget >/dev/null 2>&1; then
		wget -q -O "$2" "$1"
	else
		fail "neither curl nor wget is installed"
	fi
}
download "$base/$archive" "$tmp/$archive" || fail "cannot download $base/$archive"
download "$base/SHA256SUMS" "$tmp/SHA256SUMS" || fail "cannot download $base/SHA256SUMS"

want="$(awk -v f="$archive" '$2 == f { print $1 }' "$tmp/SHA256SUMS")"
[ -n "$want" ] || fail "SHA256SUMS of $version does not list $archive"
if command -v sha256sum >/dev/null 2>&1; then
	got="$(sha256sum "$tmp/$archive" | awk '{ print $1 }')"
elif command -v shasum >/dev/null 2>&1; then
	got="$(shasum -a 256 "$tmp/$archive" | awk '{ print $1 }')"
else
	fail "neither sha256sum nor shasum is installed: cannot verify the download"
fi
[ "$got" = "$want" ] || fail "checksum mismatch for $archive: got $got, SHA256SUMS says $want; nothing installed"

mkdir -p "$tmp/x" "$dir"
if [ "$ext" = zip ]; then
	unzip -q -o "$tmp/$archive" "$bin" "$awsbin" -d "$tmp/x"
else
	tar -xzf "$tmp/$archive" -C "$tmp/x" "$bin" "$awsbin"
fi
chmod 0755 "$tmp/x/$bin" "$tmp/x/$awsbin"
mv -f "$tmp/x/$awsbin" "$dir/$awsbin"
mv -f "$tmp/x/$bin" "$dir/$bin"
echo "installed cicdgen $version into $dir"
