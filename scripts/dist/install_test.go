package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeRelease serves a release of version whose cicdgen and cicdgen-aws are
// shell scripts printing their version, with SHA256SUMS (tampered when
// asked). It counts the requests.
func fakeRelease(t *testing.T, version string, tamper bool) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	bin := []byte("#!/bin/sh\necho \"cicdgen version " + version + "\"\n")
	var archive bytes.Buffer
	bins := []archiveFile{{name: "cicdgen", mode: 0o755, data: bin}, {name: "cicdgen-aws", mode: 0o755, data: bin}}
	if err := writeTarGz(&archive, bins, time.Unix(0, 0)); err != nil {
		t.Fatal(err)
	}
	name := archiveName(version, runtime.GOOS, runtime.GOARCH)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, name), archive.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	sums, err := checksums(dir, []string{name})
	if err != nil {
		t.Fatal(err)
	}
	if tamper {
		sums = append([]byte("0"), sums[1:]...)
	}
	files := map[string][]byte{"/" + version + "/" + name: archive.Bytes(), "/" + version + "/" + sumsFile: sums}
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		body, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv, &requests
}

// runInstall runs scripts/install.sh against the server and returns its
// output and whether it succeeded.
func runInstall(t *testing.T, srv *httptest.Server, dir string, args ...string) (string, bool) {
	t.Helper()
	cmd := exec.Command("sh", append([]string{filepath.Join("..", "install.sh"), "-d", dir}, args...)...)
	cmd.Env = append(os.Environ(), "CICDGEN_DOWNLOAD_URL="+srv.URL)
	out, err := cmd.CombinedOutput()
	return string(out), err == nil
}

func TestInstallScript(t *testing.T) {
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		t.Fatalf("install.sh is tested on linux and darwin, not %s", runtime.GOOS)
	}
	const version = "v9.8.7"
	cases := map[string]struct {
		tamper    bool
		version   string
		wantOK    bool
		wantOut   string
		installed bool
	}{
		"a release is installed":            {version: version, wantOK: true, wantOut: "installed cicdgen v9.8.7", installed: true},
		"a wrong checksum installs nothing": {version: version, tamper: true, wantOut: "checksum mismatch"},
		"a release that does not exist":     {version: "v9.9.9", wantOut: "cannot download"},
		"a version that is not a tag":       {version: "latest", wantOut: "not a release tag"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			srv, _ := fakeRelease(t, version, tc.tamper)
			dir := filepath.Join(t.TempDir(), "bin")
			out, ok := runInstall(t, srv, dir, tc.version)
			if ok != tc.wantOK || !strings.Contains(out, tc.wantOut) {
				t.Fatalf("install.sh %s: ok %v, output:\n%s\nwant ok %v and %q", tc.version, ok, out, tc.wantOK, tc.wantOut)
			}
			for _, bin := range []string{"cicdgen", "cicdgen-aws"} {
				got, err := exec.Command(filepath.Join(dir, bin), "--version").Output()
				if tc.installed != (err == nil) {
					t.Fatalf("installed %s: %v %s", bin, err, got)
				}
				if tc.installed && strings.TrimSpace(string(got)) != "cicdgen version "+version {
					t.Errorf("the installed %s says %q", bin, got)
				}
			}
		})
	}
}

func TestInstallScriptCaches(t *testing.T) {
	srv, requests := fakeRelease(t, "v1.0.0", false)
	dir := t.TempDir()
	if out, ok := runInstall(t, srv, dir, "v1.0.0"); !ok {
		t.Fatalf("first install: %s", out)
	}
	first := requests.Load()
	out, ok := runInstall(t, srv, dir, "v1.0.0")
	if !ok || requests.Load() != first || !strings.Contains(out, "cicdgen v1.0.0 is in "+dir) {
		t.Errorf("second install: ok %v, %d more requests, output:\n%s", ok, requests.Load()-first, out)
	}
	if first != 2 {
		t.Errorf("first install made %d requests, want 2 (archive and %s)", first, sumsFile)
	}
}
