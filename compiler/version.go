package compiler

import (
	"runtime/debug"
	"strings"
)

// DevelVersion is the version ToolVersion reports for a binary that carries
// no module version: a test binary, or `go build` outside a module version.
const DevelVersion = "devel"

// linkedVersion is set at link time by release builds that do not come from
// `go install …@vX.Y.Z` (-ldflags "-X github.com/cicdgen/cicdgen/compiler.linkedVersion=vX.Y.Z").
// It is never assigned at run time.
var linkedVersion string

// ToolVersion returns the version of the cicdgen that runs: the linked
// version when the build set one, else the main module's version from the
// binary's build information (vX.Y.Z for `go install …@vX.Y.Z`), else
// DevelVersion. The compiler records it in the pipeline (CICDGEN_VERSION of
// the CodeBuild projects) and in manifest.json, so that the pipeline
// installs exactly this version. It depends on the binary only, so output
// stays deterministic.
func ToolVersion() string {
	if linkedVersion != "" {
		return linkedVersion
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		return moduleVersion(info.Main.Version)
	}
	return DevelVersion
}

// moduleVersion returns v when it is a module version `go install` can
// fetch (vX.Y.Z or a pseudo-version; not one of a modified work tree,
// +dirty), else DevelVersion.
func moduleVersion(v string) string {
	if !strings.HasPrefix(v, "v") || strings.HasSuffix(v, "+dirty") {
		return DevelVersion
	}
	return v
}
