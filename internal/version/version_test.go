package version

import (
	"runtime/debug"
	"testing"
)

func TestResolve(t *testing.T) {
	rev := "0123456789abcdef0123456789abcdef01234567"
	tests := map[string]struct {
		stamped string
		info    *debug.BuildInfo
		want    string
	}{
		"a stamped version wins": {
			stamped: "v1.2.3",
			info:    &debug.BuildInfo{Main: debug.Module{Version: "v1.0.0"}},
			want:    "v1.2.3",
		},
		"go install of a tag gives the module version": {
			info: &debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}},
			want: "v1.4.0",
		},
		"a local build with a revision": {
			info: &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: rev}}},
			want: "devel+0123456789ab",
		},
		"a local build with changes": {
			info: &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: "true"}}},
			want: "devel+0123456789ab-dirty",
		},
		"a local build without VCS information": {
			info: &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}},
			want: "devel",
		},
		"no build information": {want: "devel"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := resolve(tc.stamped, tc.info); got != tc.want {
				t.Errorf("resolve = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestStringOfATestBinaryIsNotARelease(t *testing.T) {
	if v := String(); IsRelease(v) {
		t.Errorf("String() = %q in a test binary, a release version", v)
	}
}

func TestIsRelease(t *testing.T) {
	tests := map[string]bool{
		"v1.2.3":                               true,
		"v0.1.0":                               true,
		"v1.3.0-rc.1":                          true,
		"v10.20.30+meta":                       true,
		"devel":                                false,
		"devel+0123456789ab":                   false,
		"1.2.3":                                false,
		"v1.2":                                 false,
		"v1.2.x":                               false,
		"v0.0.0-20260101120000-abcdef123456":   false,
		"v1.2.4-0.20260101120000-abcdef123456": false,
		"":                                     false,
	}
	for v, want := range tests {
		if got := IsRelease(v); got != want {
			t.Errorf("IsRelease(%q) = %v, want %v", v, got, want)
		}
	}
}
