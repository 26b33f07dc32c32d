//go:build unix

package command

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
