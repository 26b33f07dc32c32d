package schema

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/cicdgen/cicdgen/diag"
)

// MissingFileHint is the advice of the diagnostic of a system.yaml that does
// not exist.
const MissingFileHint = "give the path of a system.yaml, or run `cicdgen init` to write a starter one"

// LoadFile reads, validates and decodes the system.yaml at path with the
// default limits. A file that cannot be read is an error diagnostic with
// rule "io". See Load.
func LoadFile(path string) (*System, diag.Diagnostics) {
	lim := DefaultLimits()
	src, err := ReadLimited(path, lim.MaxBytes)
	if err != nil {
		hint := ""
		if os.IsNotExist(err) {
			hint = MissingFileHint
		}
		return nil, diag.Diagnostics{diag.IOError(path, err, hint)}
	}
	return LoadWithLimits(path, src, lim)
}

// ReadLimited reads the file at path, or its first maxBytes+1 bytes when it
// is larger: enough for Load to report it as too large without reading (or
// holding) all of it.
func ReadLimited(path string, maxBytes int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadAllLimited(f, maxBytes)
}

// ReadAllLimited reads r to its end, or its first maxBytes+1 bytes.
func ReadAllLimited(r io.Reader, maxBytes int64) ([]byte, error) {
	src, err := io.ReadAll(io.LimitReader(r, maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	return src, nil
}

// Load parses src (the content of filename) as a system.yaml, validates it
// against the JSON Schema, decodes it into a System with every default
// applied and runs the semantic checks (Check), within the default Limits.
//
// It reports every problem of the file at once, sorted: encoding, YAML
// syntax errors, tabs and repeated keys; schema errors at the node they are
// about; the semantic checks of every part the schema accepted. The System
// is nil when the file has YAML or schema errors; otherwise it is returned
// even when Check found errors, and the diagnostics say whether it may be
// used (HasErrors). Every range carries filename as given.
func Load(filename string, src []byte) (*System, diag.Diagnostics) {
	return LoadWithLimits(filename, src, DefaultLimits())
}

// LoadWithLimits is Load within the given limits (zero fields take the
// defaults). A source over a limit is one error at the place it crosses it,
// reported before the YAML parser reads anything.
func LoadWithLimits(filename string, src []byte, lim Limits) (*System, diag.Diagnostics) {
	lim = lim.withDefaults()
	if d, over := checkSize(filename, src, lim); over {
		return nil, diag.Diagnostics{d}
	}
	if d, bad := checkEncoding(filename, src); bad {
		return nil, diag.Diagnostics{d}
	}
	src = bytes.TrimPrefix(src, []byte("\ufeff")) // a byte order mark is no content
	if ds := checkControls(filename, src); len(ds) > 0 {
		return nil, ds.Normalize()
	}
	if d, over := scanBounds(filename, src, lim); over {
		return nil, diag.Diagnostics{d}
	}
	go prepareSchema()
	doc := NewDocument(filename, src)
	r := newYAMLReader(filename, src, doc, lim)
	value, ok := r.read()
	diags := r.diags
	if !ok {
		return nil, diags.Normalize()
	}
	compiled, err := compiledSystemSchema()
	if err != nil {
		diags = append(diags, diag.Errorf(diag.RuleSchema, diag.Range{Filename: filename}, "", "the embedded JSON Schema is broken: %v", err))
		return nil, diags.Normalize()
	}
	rejected, asMeant := map[string]bool{}, map[string]bool{}
	for p := range r.reported {
		rejected[p] = true
	}
	schemaDiags, meant := compiled.validate(value, doc)
	for _, d := range schemaDiags {
		if r.reported[d.Path] {
			continue
		}
		diags = append(diags, d)
		if readAsMeant(d, value, doc, meant[d.Path]) {
			// The checks read the misspelt key as the key it stands for,
			// rather than that key's default; what they would say of its
			// value itself is left to the next run.
			asMeant[meant[d.Path]] = true
			continue
		}
		if p := rejectedPath(d, doc, meant[d.Path]); p != "" {
			rejected[p] = true
		}
	}
	schemaValid := !diags.HasErrors()
	if !schemaValid && rejectsTopLevel(rejected) {
		// A top-level value is missing or wrong: every check depends on it.
		return nil, diags.Normalize()
	}
	sys, err := decode(value, doc)
	if err != nil {
		diags = append(diags, diag.Errorf(diag.RuleSchema, doc.Range("$"), "$", "%v", fmt.Errorf("decode %s: %w", filename, err)))
		return nil, diags.Normalize()
	}
	for _, d := range Check(sys) {
		if !touchesRejected(d.Path, rejected) && !asMeant[d.Path] && !isUnderAny(d.Path, asMeant) {
			diags = append(diags, d)
		}
	}
	if !schemaValid {
		return nil, diags.Normalize()
	}
	return sys, diags.Normalize()
}

// rejectedPath returns the path of the value a schema error makes unusable
// for the semantic checks, or "". An unknown key is ignored by decoding, so
// it rejects nothing, unless it is a misspelling of a key that is absent
// (meant, the key its "did you mean" names): the checks would then read
// that key's default instead of what was meant.
func rejectedPath(d diag.Diagnostic, doc *Document, meant string) string {
	if d.Severity != diag.Error {
		return ""
	}
	if d.Rule != diag.RuleUnknownKey {
		return d.Path
	}
	if meant == "" || doc.Has(meant) {
		return ""
	}
	return meant
}

// readAsMeant sets, in the value being loaded, the key meant (the one an
// unknown-key diagnostic suggests) to the value of the misspelt key, when
// the key meant is absent (regoin: eu-west-1 is read as region:
// eu-west-1), and records its position as the misspelt key's. It returns
// whether it did.
func readAsMeant(d diag.Diagnostic, value any, doc *Document, meant string) bool {
	if d.Rule != diag.RuleUnknownKey || meant == "" {
		return false
	}
	parentPath := ParentPath(d.Path)
	if doc.Has(meant) || parentPath == "" {
		return false
	}
	parent, ok := valueAt(value, parentPath).(map[string]any)
	typo, okKey := lastKey(d.Path, parentPath)
	key, okMeant := lastKey(meant, parentPath)
	if !ok || !okKey || !okMeant {
		return false
	}
	v, present := parent[typo]
	if !present {
		return false
	}
	parent[key] = v
	doc.SetValue(meant, doc.Range(d.Path))
	doc.SetKey(meant, doc.KeyRange(d.Path))
	return true
}

// lastKey returns the key that path adds to parent: "name" of $.a.name,
// "x:y" of $.a['x:y'].
func lastKey(path, parent string) (string, bool) {
	rest, ok := strings.CutPrefix(path, parent)
	if !ok {
		return "", false
	}
	if key, ok := strings.CutPrefix(rest, "."); ok {
		return key, true
	}
	if inner, ok := strings.CutPrefix(rest, "['"); ok && strings.HasSuffix(inner, "']") {
		return strings.ReplaceAll(strings.TrimSuffix(inner, "']"), "\\'", "'"), true
	}
	return "", false
}

// valueAt returns the value at path in a loaded document (nil when absent).
func valueAt(root any, path string) any {
	if path == "$" {
		return root
	}
	parent := ParentPath(path)
	if parent == "" {
		return nil
	}
	container := valueAt(root, parent)
	if key, ok := lastKey(path, parent); ok {
		m, _ := container.(map[string]any)
		return m[key]
	}
	list, _ := container.([]any)
	index, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(path[len(parent):], "["), "]"))
	if err != nil || index < 0 || index >= len(list) {
		return nil
	}
	return list[index]
}

// isUnderAny reports whether path lies inside one of the values at paths.
func isUnderAny(path string, paths map[string]bool) bool {
	for p := range paths {
		if isUnder(path, p) {
			return true
		}
	}
	return false
}

// rejectsTopLevel reports whether one of the rejected paths is the document,
// one of its top-level keys or an account, which every check reads.
func rejectsTopLevel(rejected map[string]bool) bool {
	for p := range rejected {
		if p == "$" || p == "" || ParentPath(p) == "$" || isUnder(p, "$.accounts") {
			return true
		}
	}
	return false
}

// coupledKeys are the keys of one mapping that the semantic checks read
// together: a check of one of them uses the others.
var coupledKeys = [][]string{
	{"cpu", "memory"},
	{"deployment", "traffic", "bake_minutes"},
	{"cidr", "azs", "nat_gateways"},
	{"environment", "secrets"},
	{"op", "path", "from", "value"},
}

// coupled reports whether the last keys of two paths of one mapping are
// read together.
func coupled(a, b string) bool {
	parent := ParentPath(a)
	if parent == "" || parent != ParentPath(b) {
		return false
	}
	ka, kb := strings.TrimPrefix(a, parent+"."), strings.TrimPrefix(b, parent+".")
	for _, group := range coupledKeys {
		if slices.Contains(group, ka) && slices.Contains(group, kb) {
			return true
		}
	}
	return false
}

// touchesRejected reports whether a semantic diagnostic at path is about a
// value the schema (or the YAML reader) rejected: the rejected value itself,
// what holds it, what it holds, or a key read together with it (cpu and
// memory).
func touchesRejected(path string, rejected map[string]bool) bool {
	if path == "" {
		return len(rejected) > 0
	}
	for r := range rejected {
		if path == r || isUnder(path, r) || isUnder(r, path) || coupled(path, r) {
			return true
		}
	}
	return false
}

// isUnder reports whether path lies inside the value at parent.
func isUnder(path, parent string) bool {
	return len(path) > len(parent) && strings.HasPrefix(path, parent) && (path[len(parent)] == '.' || path[len(parent)] == '[')
}
