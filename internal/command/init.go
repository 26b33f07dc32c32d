package command

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/cicdgen/cicdgen/schema"
)

// starterFiles holds the files `cicdgen init` writes, in the order written.
//
//go:embed starter/system.yaml starter/buildspec.yml starter/build.Dockerfile
var starterFiles embed.FS

// starterSchemaFile is where init writes system.yaml's JSON Schema: the
// starter's modeline points at it, so editors check the file offline and
// against the schema of the cicdgen that wrote it.
const starterSchemaFile = ".cicdgen/system.schema.json"

// starterNames returns the names of the starter files, in the order written.
func starterNames() []string {
	return []string{"system.yaml", "buildspec.yml", "build.Dockerfile", starterSchemaFile}
}

// starterBody returns the contents of the starter file called name.
func starterBody(name string) ([]byte, error) {
	if name == starterSchemaFile {
		return schema.JSONSchema(), nil
	}
	return starterFiles.ReadFile("starter/" + name)
}

// initCommand is `cicdgen init`: write a commented starter system.yaml, the
// starter buildspec.yml of the build contract and the starter
// build.Dockerfile of the build image (build.image: ecr). It never
// overwrites.
func initCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "init",
		Usage:     "write a commented starter system.yaml, buildspec.yml and build.Dockerfile (never overwrites)",
		ArgsUsage: " ",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "dir", Value: ".", Usage: "directory to write the files to (created if missing)"},
		},
		Action: func(c *cli.Context) error {
			pos, err := commandArgs(c, env)
			if err != nil {
				return err
			}
			if len(pos) > 0 {
				return UsageError(c, env, "init takes no arguments, got %q (use --dir to choose the directory)", pos[0])
			}
			written, err := writeStarter(c.String("dir"))
			var exists existingFilesError
			if errors.As(err, &exists) {
				fmt.Fprintf(env.Stderr, "cicdgen init: %v; nothing written\n", err)
				return ExitWith(ExitInputErrors)
			}
			if err != nil {
				fmt.Fprintf(env.Stderr, "cicdgen init: %v\n", err)
				return ExitWith(ExitInputErrors)
			}
			for _, p := range written {
				fmt.Fprintf(env.Stdout, "wrote %s\n", p)
			}
			fmt.Fprintf(env.Stdout, "Next: replace the placeholders (cicdgen validate %s lists them), then cicdgen build.\n", written[0])
			return nil
		},
	}
}

// existingFilesError says which starter files already exist.
type existingFilesError struct{ paths []string }

func (e existingFilesError) Error() string {
	n := len(e.paths)
	if n == 1 {
		return e.paths[0] + " already exists"
	}
	return strings.Join(e.paths[:n-1], ", ") + " and " + e.paths[n-1] + " already exist"
}

// writeStarter writes the starter files into dir and returns their paths.
// When any of them exists it writes nothing and returns an
// existingFilesError. Files are created exclusively, so a file appearing
// meanwhile is not overwritten either; on failure the files this call
// created are removed.
func writeStarter(dir string) ([]string, error) {
	names := starterNames()
	paths := make([]string, len(names))
	var existing []string
	for i, name := range names {
		paths[i] = filepath.Join(dir, filepath.FromSlash(name))
		if _, err := os.Lstat(paths[i]); err == nil {
			existing = append(existing, paths[i])
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("check %s: %w", paths[i], err)
		}
	}
	if len(existing) > 0 {
		return nil, existingFilesError{paths: existing}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create directory: %w", err)
	}
	var created []string
	for i, name := range names {
		body, err := starterBody(name)
		if err != nil {
			return nil, fmt.Errorf("read embedded %s: %w", name, err)
		}
		if err = os.MkdirAll(filepath.Dir(paths[i]), 0o755); err == nil {
			err = createExclusive(paths[i], body)
		}
		if err != nil {
			for _, p := range created {
				os.Remove(p)
			}
			if errors.Is(err, fs.ErrExist) {
				return nil, existingFilesError{paths: []string{paths[i]}}
			}
			return nil, fmt.Errorf("write %s: %w", paths[i], err)
		}
		created = append(created, paths[i])
	}
	return paths, nil
}

// createExclusive writes a new file at path; it fails if path exists.
func createExclusive(path string, body []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(body); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return err
	}
	return nil
}
