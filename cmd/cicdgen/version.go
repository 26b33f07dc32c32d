package main

import "runtime/debug"

// version returns the version of this binary: the module version when it was
// installed with `go install …@vX.Y.Z`, else "devel" and, when the build
// recorded it, the VCS revision.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return "devel+" + s.Value[:12]
		}
	}
	return "devel"
}
