// Command dist builds cicdgen's release archives: for each platform the
// cross-compiled binaries cicdgen and cicdgen-aws stamped with the version,
// packed with README.md in a
// .tar.gz (a .zip for Windows), and a SHA256SUMS file over the archives.
// The same source and version give the same bytes: binaries are built with
// -trimpath and without VCS or build ids, and archive entries carry a fixed
// time (SOURCE_DATE_EPOCH, else the time of the last commit) and owner.
//
//	go run ./scripts/dist -version v1.2.3 -out dist
//
// `make dist` runs it. docs/releasing.md describes a release.
package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cicdgen/cicdgen/diag"
)

// versionVariable is the variable the linker stamps the version into.
const versionVariable = "github.com/cicdgen/cicdgen/internal/version.stamped"

// defaultPlatforms are the GOOS/GOARCH pairs of a release.
const defaultPlatforms = "linux/amd64,linux/arm64,darwin/amd64,darwin/arm64,windows/amd64,windows/arm64"

// SumsFile is the name of the checksum file, in the format of sha256sum.
const sumsFile = "SHA256SUMS"

func main() {
	version := flag.String("version", "", "the version to stamp, such as v1.2.3 (default: the tag of HEAD, else devel+COMMIT)")
	out := flag.String("out", "dist", "the directory to write the archives into (replaced)")
	platforms := flag.String("platforms", defaultPlatforms, "comma-separated GOOS/GOARCH pairs")
	flag.Parse()
	if err := run(*version, *out, strings.Split(*platforms, ",")); err != nil {
		fmt.Fprintf(os.Stderr, "dist: %v\n", err)
		os.Exit(1)
	}
}

// run builds every platform's archive into out, then SHA256SUMS.
func run(version, out string, platforms []string) error {
	if version == "" {
		version = gitVersion()
	}
	if strings.ContainsAny(version, "/\\ \t\n") {
		return fmt.Errorf("version %q: use a tag such as v1.2.3", version)
	}
	epoch, err := sourceDateEpoch()
	if err != nil {
		return err
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		return fmt.Errorf("run from the repository root: %w", err)
	}
	if err := os.RemoveAll(out); err != nil {
		return err
	}
	work := filepath.Join(out, ".work")
	if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	var archives []string
	for _, p := range platforms {
		goos, goarch, ok := strings.Cut(strings.TrimSpace(p), "/")
		if !ok {
			return fmt.Errorf("platform %q: use GOOS/GOARCH", p)
		}
		fmt.Fprintf(os.Stderr, "dist: building %s/%s\n", goos, goarch)
		var files []archiveFile
		for _, b := range binaries() {
			bin := filepath.Join(work, goos+"-"+goarch, binaryName(b.name, goos))
			if err := build(goos, goarch, version, bin, b.pkg); err != nil {
				return err
			}
			data, err := os.ReadFile(bin)
			if err != nil {
				return err
			}
			files = append(files, archiveFile{name: binaryName(b.name, goos), mode: 0o755, data: data})
		}
		files = append(files, archiveFile{name: "README.md", mode: 0o644, data: readme})
		name := archiveName(version, goos, goarch)
		var buf bytes.Buffer
		var err error
		if goos == "windows" {
			err = writeZip(&buf, files, epoch)
		} else {
			err = writeTarGz(&buf, files, epoch)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := os.WriteFile(filepath.Join(out, name), buf.Bytes(), 0o644); err != nil {
			return err
		}
		archives = append(archives, name)
	}
	if err := os.RemoveAll(work); err != nil {
		return err
	}
	sums, err := checksums(out, archives)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, sumsFile), sums, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "dist: wrote %s and %s for %s into %s\n", diag.Plural(len(archives), "archive"), sumsFile, version, out)
	return nil
}

// binaries are the programs of a release archive: cicdgen, and cicdgen-aws,
// which runs the commands that call AWS (cicdgen hands them over to it).
func binaries() []struct{ name, pkg string } {
	return []struct{ name, pkg string }{
		{"cicdgen", "./cmd/cicdgen"},
		{"cicdgen-aws", "./cmd/cicdgen-aws"},
	}
}

// binaryName is the file name of the program called name on goos.
func binaryName(name, goos string) string {
	if goos == "windows" {
		return name + ".exe"
	}
	return name
}

// archiveName is the release file of a platform: cicdgen_v1.2.3_linux_amd64.tar.gz.
func archiveName(version, goos, goarch string) string {
	ext := ".tar.gz"
	if goos == "windows" {
		ext = ".zip"
	}
	return "cicdgen_" + version + "_" + goos + "_" + goarch + ext
}

// build cross-compiles the program of package pkg for goos/goarch into bin.
func build(goos, goarch, version, bin, pkg string) error {
	goTool := os.Getenv("GO")
	if goTool == "" {
		goTool = "go"
	}
	ldflags := "-s -w -buildid= -X " + versionVariable + "=" + version
	cmd := exec.Command(goTool, "build", "-trimpath", "-buildvcs=false", "-ldflags", ldflags, "-o", bin, pkg)
	cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=0", "GOFLAGS=-mod=readonly")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("build %s for %s/%s: %w", pkg, goos, goarch, err)
	}
	return nil
}

// gitVersion is the tag of HEAD when HEAD is tagged, else devel+COMMIT,
// else devel.
func gitVersion() string {
	if tag, err := exec.Command("git", "describe", "--tags", "--exact-match", "HEAD").Output(); err == nil {
		return strings.TrimSpace(string(tag))
	}
	if rev, err := exec.Command("git", "rev-parse", "--short=12", "HEAD").Output(); err == nil {
		return "devel+" + strings.TrimSpace(string(rev))
	}
	return "devel"
}

// sourceDateEpoch is the time archive entries carry: SOURCE_DATE_EPOCH
// (reproducible-builds.org), else the committer time of HEAD, else the
// Unix epoch.
func sourceDateEpoch() (time.Time, error) {
	s := os.Getenv("SOURCE_DATE_EPOCH")
	if s == "" {
		if out, err := exec.Command("git", "log", "-1", "--format=%ct").Output(); err == nil {
			s = strings.TrimSpace(string(out))
		}
	}
	if s == "" {
		return time.Unix(0, 0).UTC(), nil
	}
	sec, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH %q: %w", s, err)
	}
	return time.Unix(sec, 0).UTC(), nil
}

// archiveFile is one file of an archive.
type archiveFile struct {
	name string
	mode int64
	data []byte
}

// writeTarGz writes files, in order, as a gzip-compressed tar owned by
// root with every time set to mtime.
func writeTarGz(w io.Writer, files []archiveFile, mtime time.Time) error {
	gz, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(gz)
	for _, f := range files {
		hdr := &tar.Header{
			Typeflag: tar.TypeReg,
			Name:     f.name,
			Mode:     f.mode,
			Size:     int64(len(f.data)),
			ModTime:  mtime,
			Format:   tar.FormatUSTAR,
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := tw.Write(f.data); err != nil {
			return err
		}
	}
	return errors.Join(tw.Close(), gz.Close())
}

// writeZip writes files, in order, as a zip with every time set to mtime.
func writeZip(w io.Writer, files []archiveFile, mtime time.Time) error {
	zw := zip.NewWriter(w)
	for _, f := range files {
		hdr := &zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: mtime}
		hdr.SetMode(os.FileMode(f.mode))
		fw, err := zw.CreateHeader(hdr)
		if err != nil {
			return err
		}
		if _, err := fw.Write(f.data); err != nil {
			return err
		}
	}
	return zw.Close()
}

// checksums returns the SHA256SUMS of the named files of dir, sorted by
// name, in the format `sha256sum -c` reads.
func checksums(dir string, names []string) ([]byte, error) {
	sorted := append([]string(nil), names...)
	sort.Strings(sorted)
	var b bytes.Buffer
	for _, n := range sorted {
		data, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(data)
		fmt.Fprintf(&b, "%s  %s\n", hex.EncodeToString(sum[:]), n)
	}
	return b.Bytes(), nil
}
