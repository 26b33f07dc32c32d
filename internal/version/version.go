// Package version says which cicdgen this binary is. It is a leaf package
// (the standard library only) so that any layer can record it: the command
// line prints it, SARIF logs name it and a build's manifest can pin the
// cicdgen that the pipeline installs.
package version

import (
	"runtime/debug"
	"strings"
)

// stamped is the release version, set when linking a release build:
//
//	go build -ldflags "-X github.com/cicdgen/cicdgen/internal/version.stamped=v1.2.3"
//
// `make dist` does so. It is empty in every other build and never changes
// at run time.
var stamped string

// Devel is the version of a build that has neither a stamped version nor a
// module version: a local `go build` or `go run`.
const Devel = "devel"

// String returns the version of this binary:
//   - the stamped version of a release build (make dist), such as v1.2.3;
//   - else the module version of a `go install …@v1.2.3` build;
//   - else "devel", followed by "+" and the first 12 characters of the VCS
//     revision when the build recorded one (and "-dirty" when the work tree
//     had changes).
func String() string {
	info, _ := debug.ReadBuildInfo()
	return resolve(stamped, info)
}

// IsRelease reports whether v names a release (v1.2.3 or a pre-release
// such as v1.3.0-rc.1), not a development build nor a Go pseudo-version.
func IsRelease(v string) bool {
	if !strings.HasPrefix(v, "v") || strings.HasPrefix(v, Devel) {
		return false
	}
	core, _, _ := strings.Cut(strings.TrimPrefix(v, "v"), "+")
	core, pre, _ := strings.Cut(core, "-")
	parts := strings.Split(core, ".")
	if len(parts) != 3 {
		return false
	}
	for _, p := range parts {
		if p == "" || strings.Trim(p, "0123456789") != "" {
			return false
		}
	}
	// A pseudo-version (v0.0.0-20260101120000-abcdef123456) is a commit, not a release.
	return !isPseudo(pre)
}

// isPseudo reports whether the pre-release part of a version is the
// timestamp-revision tail of a Go pseudo-version.
func isPseudo(pre string) bool {
	i := strings.LastIndex(pre, "-")
	if i < 0 {
		return false
	}
	stamp, rev := pre[:i], pre[i+1:]
	if j := strings.LastIndex(stamp, "."); j >= 0 {
		stamp = stamp[j+1:] // v1.2.4-0.20260101120000-abcdef123456
	}
	return len(stamp) == 14 && strings.Trim(stamp, "0123456789") == "" && len(rev) == 12
}

// resolve picks the version from what the linker stamped and what the Go
// toolchain recorded.
func resolve(stamped string, info *debug.BuildInfo) string {
	if stamped != "" {
		return stamped
	}
	if info == nil {
		return Devel
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var revision string
	var modified bool
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if len(revision) < 12 {
		return Devel
	}
	v := Devel + "+" + revision[:12]
	if modified {
		v += "-dirty"
	}
	return v
}
