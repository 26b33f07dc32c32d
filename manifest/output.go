package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
)

// Output is a built system in memory: every file that build writes, by file
// name, and the manifest that describes them. For each stack of
// Manifest.Stacks, the template body is Files[stack.Template] and its sha256
// is stack.SHA256.
type Output struct {
	Manifest Manifest
	// Files maps file names (relative to the output directory, no
	// subdirectories) to contents: one template per stack
	// (<stack name>.json or .yaml), one CloudFormation template
	// configuration per stack the pipeline deploys (<stack name>.config.json)
	// and File. Contents are deterministic: same build, same bytes.
	Files map[string][]byte
}

// Write writes the files of o into dir atomically: everything is written
// into a new directory beside dir, which then replaces dir. On error the
// previous content of dir is untouched and no partial directory is left. It
// refuses to replace a dir that is neither empty nor a previous build output
// (one holding manifest.json).
func (o *Output) Write(dir string) error {
	return writeDirAtomic(dir, o.Files)
}

// writeDirAtomic replaces dir by a directory holding exactly files.
func writeDirAtomic(dir string, files map[string][]byte) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("output directory %s: %w", dir, err)
	}
	parent, base := filepath.Dir(abs), filepath.Base(abs)
	if abs == parent {
		return fmt.Errorf("output directory %s: cannot replace the root directory", dir)
	}
	exists, err := replaceableOutput(abs)
	if err != nil {
		return fmt.Errorf("output directory %s: %w", dir, err)
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", parent, err)
	}
	tmp, err := os.MkdirTemp(parent, "."+base+".tmp-")
	if err != nil {
		return fmt.Errorf("create a temporary output directory: %w", err)
	}
	done := false
	defer func() {
		if !done {
			os.RemoveAll(tmp)
		}
	}()
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("create a temporary output directory: %w", err)
	}
	previous := ""
	if exists {
		previous = abs
	}
	if err := writeFiles(tmp, files, previous); err != nil {
		return err
	}
	if !exists {
		if err := os.Rename(tmp, abs); err != nil {
			return fmt.Errorf("move the output into %s: %w", dir, err)
		}
		done = true
		return nil
	}
	old := tmp + ".old"
	if err := os.Rename(abs, old); err != nil {
		return fmt.Errorf("move the previous output %s aside: %w", dir, err)
	}
	if err := os.Rename(tmp, abs); err != nil {
		if rerr := os.Rename(old, abs); rerr != nil {
			return fmt.Errorf("move the output into %s: %w (and restore the previous output from %s: %v)", dir, err, old, rerr)
		}
		return fmt.Errorf("move the output into %s: %w", dir, err)
	}
	done = true
	if err := os.RemoveAll(old); err != nil {
		return fmt.Errorf("the output is in %s, but removing the previous output %s failed: %w", dir, old, err)
	}
	return nil
}

// replaceableOutput reports whether dir exists; it errs when dir exists but
// is not a directory, or is a directory that is neither empty nor a previous
// build output.
func replaceableOutput(dir string) (bool, error) {
	info, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !info.IsDir() {
		return false, fmt.Errorf("it exists and is not a directory")
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false, err
	}
	if len(entries) == 0 {
		return true, nil
	}
	if m, err := os.Stat(filepath.Join(dir, File)); err == nil && m.Mode().IsRegular() {
		return true, nil
	}
	return false, fmt.Errorf("it is not empty and holds no %s, so it is not a cicdgen build output; refusing to replace it", File)
}

// writeFiles writes files into dir, several at a time: a build writes a
// template per stack, and the file system calls dominate a small build. A
// file whose bytes equal those of the same name in previous (the output
// being replaced; "" for none) is hard-linked from there instead: creating
// and writing a file costs a hundred times more than a link on common
// disks, and most of a rebuild is unchanged. The error returned is that of
// the first failing file in name order, so it does not depend on scheduling.
func writeFiles(dir string, files map[string][]byte, previous string) error {
	names := make([]string, 0, len(files))
	for name := range files {
		if name != filepath.Base(name) || strings.HasPrefix(name, ".") {
			return fmt.Errorf("write %s: not a plain file name", name)
		}
		names = append(names, name)
	}
	sort.Strings(names)
	errs := make([]error, len(names))
	workers := min(len(names), 2*runtime.GOMAXPROCS(0))
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if previous != "" && linkUnchanged(filepath.Join(previous, names[i]), filepath.Join(dir, names[i]), files[names[i]]) {
					continue
				}
				if err := os.WriteFile(filepath.Join(dir, names[i]), files[names[i]], 0o644); err != nil {
					errs[i] = fmt.Errorf("write %s: %w", names[i], err)
				}
			}
		}()
	}
	for i := range names {
		next <- i
	}
	close(next)
	wg.Wait()
	return firstError(errs)
}

// linkUnchanged hard-links old to name when old is a regular file, with the
// mode build gives its files, holding exactly data; it reports whether it
// did. Any failure (no such file, another file system, no hard links) just
// means the caller writes the file.
func linkUnchanged(old, name string, data []byte) bool {
	info, err := os.Lstat(old)
	if err != nil || !info.Mode().IsRegular() || info.Mode().Perm() != 0o644 || info.Size() != int64(len(data)) {
		return false
	}
	current, err := os.ReadFile(old)
	if err != nil || !bytes.Equal(current, data) {
		return false
	}
	return os.Link(old, name) == nil
}

// firstError returns the first non-nil error of errs, or nil.
func firstError(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
