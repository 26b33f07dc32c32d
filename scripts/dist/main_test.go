package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var sampleFiles = []archiveFile{
	{name: "cicdgen", mode: 0o755, data: []byte("binary")},
	{name: "README.md", mode: 0o644, data: []byte("# cicdgen\n")},
}

func TestArchivesAreReproducibleAndComplete(t *testing.T) {
	mtime := time.Unix(1767225600, 0).UTC()
	writers := map[string]func(io.Writer, []archiveFile, time.Time) error{
		"tar.gz": writeTarGz,
		"zip":    writeZip,
	}
	for name, write := range writers {
		t.Run(name, func(t *testing.T) {
			var a, b bytes.Buffer
			if err := write(&a, sampleFiles, mtime); err != nil {
				t.Fatal(err)
			}
			if err := write(&b, sampleFiles, mtime); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Fatal("two archives of the same files differ")
			}
			got := readArchive(t, name, a.Bytes(), mtime)
			for _, f := range sampleFiles {
				if got[f.name] != string(f.data) {
					t.Errorf("%s holds %q, want %q", f.name, got[f.name], f.data)
				}
			}
		})
	}
}

// readArchive returns the files of an archive by name, checking each
// entry's mode and time.
func readArchive(t *testing.T, kind string, data []byte, mtime time.Time) map[string]string {
	t.Helper()
	modes := map[string]os.FileMode{}
	for _, f := range sampleFiles {
		modes[f.name] = os.FileMode(f.mode)
	}
	out := map[string]string{}
	check := func(name string, mode os.FileMode, mt time.Time) {
		if mode.Perm() != modes[name] {
			t.Errorf("%s: mode %v, want %v", name, mode.Perm(), modes[name])
		}
		if !mt.Equal(mtime) {
			t.Errorf("%s: time %v, want %v", name, mt, mtime)
		}
	}
	if kind == "zip" {
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range zr.File {
			check(f.Name, f.Mode(), f.Modified)
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(rc)
			rc.Close()
			out[f.Name] = string(b)
		}
		return out
	}
	gz, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if hdr.Uid != 0 || hdr.Gid != 0 || hdr.Uname != "" {
			t.Errorf("%s: owner %d/%d %q", hdr.Name, hdr.Uid, hdr.Gid, hdr.Uname)
		}
		check(hdr.Name, hdr.FileInfo().Mode(), hdr.ModTime)
		b, _ := io.ReadAll(tr)
		out[hdr.Name] = string(b)
	}
	return out
}

func TestChecksumsReadBySha256sum(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{"b.zip": "two", "a.tar.gz": "one"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := checksums(dir, []string{"b.zip", "a.tar.gz"})
	if err != nil {
		t.Fatal(err)
	}
	want := "7692c3ad3540bb803c020b3aee66cd8887123234ea0c6e7143c0add73ff431ed  a.tar.gz\n" +
		"3fc4ccfe745870e2c0d99f71f30ff0656c8dedd41cc1d7d3d376b0dbe685e2f3  b.zip\n"
	if string(got) != want {
		t.Errorf("SHA256SUMS:\n%s\nwant:\n%s", got, want)
	}
}

func TestArchiveName(t *testing.T) {
	cases := map[[3]string]string{
		{"v1.2.3", "linux", "amd64"}:   "cicdgen_v1.2.3_linux_amd64.tar.gz",
		{"v1.2.3", "darwin", "arm64"}:  "cicdgen_v1.2.3_darwin_arm64.tar.gz",
		{"v1.2.3", "windows", "amd64"}: "cicdgen_v1.2.3_windows_amd64.zip",
	}
	for in, want := range cases {
		if got := archiveName(in[0], in[1], in[2]); got != want {
			t.Errorf("archiveName%v = %q, want %q", in, got, want)
		}
	}
}
