//go:build unix

package command

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cicdgen/cicdgen/internal/version"
)

// TestFindAWSBinary finds cicdgen-aws next to the running executable (its
// symbolic links resolved) before PATH, and only an executable file.
func TestFindAWSBinary(t *testing.T) {
	writeFile := func(t *testing.T, path string, mode os.FileMode) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
	}
	onPath := "/elsewhere/bin/" + AWSBinary
	tests := map[string]struct {
		// setup lays out dir and returns the running executable.
		setup  func(t *testing.T, dir string) string
		path   bool   // cicdgen-aws is on PATH (at onPath)
		want   string // relative to dir, or onPath, or "" for not found
		wantOK bool
	}{
		"next to cicdgen": {
			setup: func(t *testing.T, dir string) string {
				writeFile(t, filepath.Join(dir, "bin", "cicdgen"), 0o755)
				writeFile(t, filepath.Join(dir, "bin", AWSBinary), 0o755)
				return filepath.Join(dir, "bin", "cicdgen")
			},
			path: true, want: filepath.Join("bin", AWSBinary), wantOK: true,
		},
		"next to the target of a symbolic link to cicdgen": {
			setup: func(t *testing.T, dir string) string {
				writeFile(t, filepath.Join(dir, "opt", "cicdgen"), 0o755)
				writeFile(t, filepath.Join(dir, "opt", AWSBinary), 0o755)
				if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(filepath.Join(dir, "opt", "cicdgen"), filepath.Join(dir, "bin", "cicdgen")); err != nil {
					t.Fatal(err)
				}
				return filepath.Join(dir, "bin", "cicdgen")
			},
			path: true, want: filepath.Join("opt", AWSBinary), wantOK: true,
		},
		"on PATH when not next to cicdgen": {
			setup: func(t *testing.T, dir string) string {
				writeFile(t, filepath.Join(dir, "cicdgen"), 0o755)
				return filepath.Join(dir, "cicdgen")
			},
			path: true, want: onPath, wantOK: true,
		},
		"on PATH when the one next to cicdgen is not executable": {
			setup: func(t *testing.T, dir string) string {
				writeFile(t, filepath.Join(dir, "cicdgen"), 0o755)
				writeFile(t, filepath.Join(dir, AWSBinary), 0o644)
				return filepath.Join(dir, "cicdgen")
			},
			path: true, want: onPath, wantOK: true,
		},
		"nowhere": {
			setup: func(t *testing.T, dir string) string {
				writeFile(t, filepath.Join(dir, "cicdgen"), 0o755)
				return filepath.Join(dir, "cicdgen")
			},
			path: false, wantOK: false,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			dir, err := filepath.EvalSymlinks(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			self := tc.setup(t, dir)
			lookPath := func(file string) (string, error) {
				if tc.path && file == AWSBinary {
					return onPath, nil
				}
				return "", errors.New("not found")
			}
			got, err := findAWSBinary(self, lookPath)
			if !tc.wantOK {
				if !errors.Is(err, errNoAWSBinary) {
					t.Fatalf("found %q (%v), want errNoAWSBinary", got, err)
				}
				return
			}
			want := tc.want
			if want != onPath {
				want = filepath.Join(dir, want)
			}
			if err != nil || got != want {
				t.Errorf("findAWSBinary = %q, %v; want %q", got, err, want)
			}
		})
	}
}

// TestHandOverWithoutAWSBinary: a command that calls AWS, with cicdgen-aws
// neither next to the executable (the test binary) nor on PATH, says in one
// line what is missing and how to install it, and exits 2.
func TestHandOverWithoutAWSBinary(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	for _, name := range AWSCommands() {
		t.Run(name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Main([]string{"cicdgen", name, "--help"}, Env{Stdout: &stdout, Stderr: &stderr, Getenv: os.Getenv})
			want := "cicdgen: " + name + " needs the cicdgen-aws binary, found neither next to cicdgen nor on PATH; install both: go install github.com/cicdgen/cicdgen/cmd/...@"
			if code != ExitUsage || !strings.HasPrefix(stderr.String(), want) || strings.Count(stderr.String(), "\n") != 1 || stdout.Len() != 0 {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 2 and one line starting %q", code, stdout.String(), stderr.String(), want)
			}
		})
	}
}

func TestHandOverEnviron(t *testing.T) {
	got := handOverEnviron([]string{"A=1", HandedOverByVar + "=v0.0.1", "B=2", HandedOverByVar + "="}, "v1.2.3")
	want := []string{"A=1", "B=2", HandedOverByVar + "=v1.2.3"}
	if !slices.Equal(got, want) {
		t.Errorf("handOverEnviron = %q, want %q", got, want)
	}
}

func TestCheckHandOver(t *testing.T) {
	own := version.String()
	tests := map[string]struct {
		by         string
		wantRefuse bool
	}{
		"run directly":                     {"", false},
		"handed over by the same version":  {own, false},
		"handed over by a release":         {"v0.0.1", true},
		"handed over by another dev build": {version.Devel + "+0123456789ab", true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var stderr bytes.Buffer
			env := Env{Stderr: &stderr, Getenv: func(k string) string {
				if k == HandedOverByVar {
					return tc.by
				}
				return ""
			}}
			code, refused := CheckHandOver([]string{AWSBinary, "apply", "out"}, env)
			if refused != tc.wantRefuse {
				t.Fatalf("refused = %v, want %v (%s)", refused, tc.wantRefuse, stderr.String())
			}
			if !refused {
				if stderr.Len() != 0 {
					t.Errorf("stderr %q, want nothing", stderr.String())
				}
				return
			}
			line := stderr.String()
			if code != ExitUsage || strings.Count(line, "\n") != 1 || !strings.Contains(line, "cicdgen "+tc.by+" handed apply over to ") ||
				!strings.Contains(line, "which is version "+own) {
				t.Errorf("exit %d, stderr %q; want exit 2 and one line naming both versions", code, line)
			}
		})
	}
}
