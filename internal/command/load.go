package command

import (
	"fmt"
	"os"

	"github.com/cicdgen/cicdgen/compiler"
	"github.com/cicdgen/cicdgen/diag"
	"github.com/cicdgen/cicdgen/schema"
)

// stdinName is the FILE argument that means standard input, and
// stdinDisplayName the name diagnostics give it.
const (
	stdinName        = "-"
	stdinDisplayName = "<stdin>"
)

// LoadSystem reads the system.yaml at path ("-" for standard input), records
// its source for the reporter's snippets and loads it. The System is nil
// when the file could not be read or has YAML or schema errors.
func LoadSystem(env *Env, r *Reporter, path string) (*schema.System, diag.Diagnostics) {
	src, name, err := readSource(env, path, r.maxSize)
	if err != nil {
		hint := ""
		if os.IsNotExist(err) {
			hint = schema.MissingFileHint
		}
		return nil, diag.Diagnostics{diag.IOError(name, err, hint)}
	}
	r.addSource(name, src)
	return schema.LoadWithLimits(name, src, schema.Limits{MaxBytes: r.maxSize})
}

// readSource returns the contents of path, or its first maxSize+1 bytes,
// and the name diagnostics use for it.
func readSource(env *Env, path string, maxSize int64) (src []byte, name string, err error) {
	if path == stdinName {
		if env.Stdin == nil {
			return nil, stdinDisplayName, fmt.Errorf("no standard input")
		}
		src, err = schema.ReadAllLimited(env.Stdin, maxSize)
		return src, stdinDisplayName, err
	}
	src, err = schema.ReadLimited(path, maxSize)
	if err != nil {
		// The *PathError already names the file; keep only its cause.
		if pe, ok := err.(*os.PathError); ok {
			err = pe.Err
		}
	}
	return src, path, err
}

// CompileSystem loads and compiles the system.yaml at path. The assembly is
// nil when the diagnostics (after --strict) hold errors; they are returned
// for the caller to print either way.
func CompileSystem(env *Env, r *Reporter, path string) (*compiler.Assembly, diag.Diagnostics) {
	sys, ds := LoadSystem(env, r, path)
	ds = r.Adjust(ds)
	if sys == nil || ds.HasErrors() {
		return nil, ds
	}
	a, cds := compiler.Compile(sys)
	ds = append(ds, r.Adjust(cds)...)
	if ds.HasErrors() {
		return nil, ds
	}
	return a, ds
}

// CompileAndEmit compiles the system.yaml at path (CompileSystem) and emits
// its diagnostics through r. It returns the assembly and the diagnostics,
// or the error that ends the command: emitting's, or exit 1 when the
// diagnostics hold errors.
func CompileAndEmit(env *Env, r *Reporter, path string) (*compiler.Assembly, diag.Diagnostics, error) {
	a, ds := CompileSystem(env, r, path)
	if err := r.Emit(ds); err != nil {
		return nil, ds, err
	}
	if a == nil {
		return nil, ds, ExitWith(ExitInputErrors)
	}
	return a, ds, nil
}
