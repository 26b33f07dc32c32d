package schema

import (
	"sort"
	"strconv"
	"strings"

	"github.com/cicdgen/cicdgen/diag"
)

// Document locates YAML paths in the source of a system.yaml. Paths look
// like $.environments[2].service.cpu; build them with PathKey and PathIndex.
type Document struct {
	Filename string
	Source   []byte
	values   map[string]diag.Range // path -> range of the value node
	keys     map[string]diag.Range // path -> range of the mapping key naming it
}

// NewDocument returns an empty Document for filename and source.
func NewDocument(filename string, source []byte) *Document {
	return &Document{Filename: filename, Source: source, values: map[string]diag.Range{}, keys: map[string]diag.Range{}}
}

// SetValue records the range of the value at path.
func (d *Document) SetValue(path string, r diag.Range) { d.values[path] = r }

// SetKey records the range of the key that names path.
func (d *Document) SetKey(path string, r diag.Range) { d.keys[path] = r }

// Has reports whether path exists in the source.
func (d *Document) Has(path string) bool {
	if d == nil {
		return false
	}
	_, ok := d.values[path]
	return ok
}

// Range returns the range of the value at path. When path is absent from the
// source (a defaulted key) it returns the range of the key of the nearest
// ancestor that is present, so a diagnostic still points at a line.
func (d *Document) Range(path string) diag.Range {
	if d == nil {
		return diag.Range{}
	}
	if r, ok := d.values[path]; ok {
		return r
	}
	return d.nearest(path)
}

// KeyRange returns the range of the mapping key that names path (for unknown
// keys and for whole entries), falling back like Range.
func (d *Document) KeyRange(path string) diag.Range {
	if d == nil {
		return diag.Range{}
	}
	if r, ok := d.keys[path]; ok {
		return r
	}
	if r, ok := d.values[path]; ok {
		return r
	}
	return d.nearest(path)
}

func (d *Document) nearest(path string) diag.Range {
	for p := ParentPath(path); p != ""; p = ParentPath(p) {
		if r, ok := d.keys[p]; ok {
			return r
		}
		if r, ok := d.values[p]; ok {
			return r
		}
	}
	return diag.Range{Filename: d.Filename}
}

// Paths returns every recorded value path, sorted (for tests and debugging).
func (d *Document) Paths() []string {
	out := make([]string, 0, len(d.values))
	for p := range d.values {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

var plainKey = lazyRegexp(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// PathKey returns the path of key under the mapping at parent:
// PathKey("$", "build") is "$.build"; a key that is not a plain identifier is
// quoted: PathKey("$.tags", "aws:x") is "$.tags['aws:x']".
func PathKey(parent, key string) string {
	if plainKey().MatchString(key) {
		return parent + "." + key
	}
	return parent + "['" + strings.ReplaceAll(key, "'", "\\'") + "']"
}

// PathIndex returns the path of item i of the sequence at parent.
func PathIndex(parent string, i int) string {
	return parent + "[" + strconv.Itoa(i) + "]"
}

// ParentPath returns the path one level up, or "" above the root.
func ParentPath(path string) string {
	if path == "$" || path == "" {
		return ""
	}
	if strings.HasSuffix(path, "]") {
		// [n] or ['key']
		depth := 0
		for i := len(path) - 1; i >= 0; i-- {
			switch path[i] {
			case ']':
				depth++
			case '[':
				depth--
				if depth == 0 {
					return path[:i]
				}
			}
		}
		return ""
	}
	if i := strings.LastIndexAny(path, ".]"); i >= 0 {
		if path[i] == ']' {
			return path[:i+1]
		}
		return path[:i]
	}
	return ""
}

func sortStrings(s []string) { sort.Strings(s) }
