package schema

import (
	"bytes"
	"fmt"
	"os"

	"github.com/cicdgen/cicdgen/diag"
)

// LoadFile reads, validates and decodes the system.yaml at path. A file that
// cannot be read is an error diagnostic with rule "io". See Load.
func LoadFile(path string) (*System, diag.Diagnostics) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, diag.Diagnostics{diag.Errorf("io", diag.Range{Filename: path}, "", "cannot read %s: %v", path, err).
			WithHint("give the path of a system.yaml; `cicdgen init` writes a starter one")}
	}
	return Load(path, src)
}

// Load parses src (the content of filename) as a system.yaml, validates it
// against the JSON Schema, decodes it into a System with every default
// applied and runs the semantic checks (Check).
//
// It reports every problem of the file at once, sorted: YAML syntax errors,
// tabs and repeated keys; schema errors at the node they are about; then the
// semantic checks. The System is nil when the file has YAML or schema
// errors; otherwise it is returned even when Check found errors, and the
// diagnostics say whether it may be used (HasErrors). Every range carries
// filename as given.
func Load(filename string, src []byte) (*System, diag.Diagnostics) {
	src = bytes.TrimPrefix(src, []byte("\ufeff")) // a byte order mark is no content
	doc := NewDocument(filename, src)
	r := newYAMLReader(filename, src, doc)
	value, ok := r.read()
	diags := r.diags
	if !ok {
		return nil, diags.Normalize()
	}
	compiled, err := compiledSystemSchema()
	if err != nil {
		diags = append(diags, diag.Errorf("schema", diag.Range{Filename: filename}, "", "the embedded JSON Schema is broken: %v", err))
		return nil, diags.Normalize()
	}
	for _, d := range compiled.validate(value, doc) {
		if !r.reported[d.Path] {
			diags = append(diags, d)
		}
	}
	if diags.HasErrors() {
		return nil, diags.Normalize()
	}
	sys, err := decode(value, doc)
	if err != nil {
		diags = append(diags, diag.Errorf("schema", doc.Range("$"), "$", "%v", fmt.Errorf("decode %s: %w", filename, err)))
		return nil, diags.Normalize()
	}
	diags = append(diags, Check(sys)...)
	return sys, diags.Normalize()
}
