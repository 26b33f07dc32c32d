package compiler

import (
	"strings"

	"github.com/cicdgen/cicdgen/internal/version"
)

// DevelVersion is the version ToolVersion reports for a development build
// (version.Devel, without the revision version.String may add).
const DevelVersion = version.Devel

// ToolVersion returns the version of the cicdgen that runs, as the pipeline
// installs it: the released or module version of this binary
// (version.String: v1.2.3, or the pseudo-version of `go install …@<commit>`),
// or DevelVersion for a development build, which `go install` cannot fetch.
// The compiler records it in the pipeline (CICDGEN_VERSION of the CodeBuild
// projects) and in manifest.json, so that the pipeline runs exactly this
// version. It depends on the binary only, so output stays deterministic.
func ToolVersion() string {
	v := version.String()
	if !strings.HasPrefix(v, "v") {
		return DevelVersion
	}
	return v
}
