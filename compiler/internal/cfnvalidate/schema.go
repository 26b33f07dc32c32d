// Package cfnvalidate checks CloudFormation templates offline: every
// resource against the resource provider schemas of its type (property
// names, types, required and read-only properties, enums and bounds), every
// reference inside a template (Ref, Fn::GetAtt, Fn::Sub, DependsOn,
// conditions), and, across the stacks of one system, every Fn::ImportValue
// against the Exports of the stacks the importer depends on.
//
// The schemas come from a file that compiler/internal/cfnschemagen writes.
// Scalars are checked as CloudFormation converts them: a number is accepted
// for a string property and a numeric string for a number, "true" and
// "false" for a boolean. An intrinsic function is accepted wherever a value
// is expected; both branches of an Fn::If are checked. oneOf is checked as
// anyOf (the registry's oneOf branches often overlap), and a pattern that Go's
// regexp cannot compile is not checked.
package cfnvalidate

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Registry holds the schemas of the resource types that templates may use.
type Registry struct {
	types map[string]*typeSchema

	mu       sync.Mutex
	patterns map[string]*regexp.Regexp // nil value: does not compile in Go
}

// typeSchema is one resource type's schema and what is derived from it.
type typeSchema struct {
	name string
	root map[string]any // nil for a type only the overlay knows
	// extraProps are top-level properties the overlay adds (not type-checked).
	extraProps map[string]bool
	// attributes are the Fn::GetAtt attribute names, dotted (Endpoint.Address).
	attributes map[string]bool
	// readOnly are the read-only property paths, split ("Endpoint", "Address").
	readOnly [][]string
}

// generatedFile is the shape of the file cfnschemagen writes.
type generatedFile struct {
	Schemas map[string]json.RawMessage `json:"schemas"`
	Overlay map[string]struct {
		MissingType bool     `json:"missingType"`
		Properties  []string `json:"properties"`
		Attributes  []string `json:"attributes"`
	} `json:"overlay"`
}

// Load reads the schema file at path.
func Load(path string) (*Registry, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read schemas: %w", err)
	}
	var f generatedFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("decode schemas %s: %w", path, err)
	}
	r := &Registry{types: map[string]*typeSchema{}, patterns: map[string]*regexp.Regexp{}}
	for name, raw := range f.Schemas {
		var root map[string]any
		if err := json.Unmarshal(raw, &root); err != nil {
			return nil, fmt.Errorf("decode the schema of %s: %w", name, err)
		}
		t := &typeSchema{name: name, root: root, extraProps: map[string]bool{}, attributes: map[string]bool{}}
		for _, p := range stringList(root["readOnlyProperties"]) {
			segs := strings.Split(strings.TrimPrefix(p, "/properties/"), "/")
			t.readOnly = append(t.readOnly, segs)
			// Attributes are the read-only paths without array steps.
			if !contains(segs, "*") {
				t.attributes[strings.Join(segs, ".")] = true
			}
		}
		r.types[name] = t
	}
	for name, o := range f.Overlay {
		t := r.types[name]
		if t == nil {
			t = &typeSchema{name: name, extraProps: map[string]bool{}, attributes: map[string]bool{}}
			r.types[name] = t
		}
		for _, p := range o.Properties {
			t.extraProps[p] = true
		}
		for _, a := range o.Attributes {
			t.attributes[a] = true
		}
	}
	return r, nil
}

// Problem is one thing wrong with a template.
type Problem struct {
	// Path is where in the template, e.g. Resources/Bucket/Properties/Tags[0].
	Path    string
	Message string
}

func (p Problem) String() string { return p.Path + ": " + p.Message }

// problems collects Problems.
type problems []Problem

func (ps *problems) add(path, format string, args ...any) {
	*ps = append(*ps, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

// isIntrinsic reports whether v is an intrinsic function or a condition
// reference ({"Ref": ...}, {"Fn::...": ...}, {"Condition": ...}), and returns
// its name and argument.
func isIntrinsic(v any) (string, any, bool) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return "", nil, false
	}
	for k, arg := range m {
		if k == "Ref" || strings.HasPrefix(k, "Fn::") {
			return k, arg, true
		}
	}
	return "", nil, false
}

// validateProperties checks the Properties of a resource of type t.
func (r *Registry) validateProperties(t *typeSchema, props map[string]any, path string, ps *problems) {
	if t.root == nil {
		// Only the overlay knows the type: check names alone.
		for _, k := range slices.Sorted(maps.Keys(props)) {
			if !t.extraProps[k] {
				ps.add(path+"/"+k, "%s has no property %s", t.name, k)
			}
		}
		return
	}
	// The overlay's newer top-level properties are accepted without a type.
	checked := props
	if len(t.extraProps) > 0 {
		checked = map[string]any{}
		for k, v := range props {
			if !t.extraProps[k] {
				checked[k] = v
			}
		}
	}
	r.value(t.root, t.root, checked, path, ps)
	for _, ro := range t.readOnly {
		for _, p := range findPaths(props, ro, path) {
			ps.add(p, "%s is read-only in %s", strings.Join(ro, "/"), t.name)
		}
	}
}

// findPaths returns the paths in v of the property path segs ("*" stepping
// into every item of an array).
func findPaths(v any, segs []string, path string) []string {
	if len(segs) == 0 {
		return []string{path}
	}
	switch x := v.(type) {
	case map[string]any:
		if _, _, ok := isIntrinsic(x); ok {
			return nil
		}
		if segs[0] == "*" {
			return nil
		}
		child, ok := x[segs[0]]
		if !ok {
			return nil
		}
		return findPaths(child, segs[1:], path+"/"+segs[0])
	case []any:
		if segs[0] != "*" {
			return nil
		}
		var out []string
		for i, item := range x {
			out = append(out, findPaths(item, segs[1:], fmt.Sprintf("%s[%d]", path, i))...)
		}
		return out
	}
	return nil
}

// resolve follows $ref (a JSON pointer into root) until s has none.
func resolve(root, s map[string]any) (map[string]any, error) {
	for i := 0; i < 32; i++ {
		ref, ok := s["$ref"].(string)
		if !ok {
			return s, nil
		}
		if !strings.HasPrefix(ref, "#/") {
			return nil, fmt.Errorf("unsupported $ref %q", ref)
		}
		var cur any = root
		for _, seg := range strings.Split(ref[2:], "/") {
			seg = strings.ReplaceAll(strings.ReplaceAll(seg, "~1", "/"), "~0", "~")
			m, ok := cur.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("$ref %q does not resolve", ref)
			}
			cur = m[seg]
		}
		next, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("$ref %q does not resolve", ref)
		}
		// Keywords beside $ref (rare) apply too: merge them under the target.
		if len(s) > 1 {
			merged := map[string]any{}
			for k, v := range next {
				merged[k] = v
			}
			for k, v := range s {
				if k != "$ref" {
					merged[k] = v
				}
			}
			next = merged
		}
		s = next
	}
	return nil, fmt.Errorf("$ref loop")
}

// value checks the value v at path against schema s of the type whose root is root.
func (r *Registry) value(root, s map[string]any, v any, path string, ps *problems) {
	if name, arg, ok := isIntrinsic(v); ok {
		if name == "Fn::If" {
			if args, ok := arg.([]any); ok && len(args) == 3 {
				for i, branch := range args[1:] {
					if n, a, ok := isIntrinsic(branch); ok && n == "Ref" && a == "AWS::NoValue" {
						continue
					}
					r.value(root, s, branch, fmt.Sprintf("%s{Fn::If[%d]}", path, i+1), ps)
				}
			}
		}
		return
	}
	s, err := resolve(root, s)
	if err != nil {
		ps.add(path, "schema: %v", err)
		return
	}
	for _, sub := range schemaList(s["allOf"]) {
		r.value(root, sub, v, path, ps)
	}
	for _, kw := range []string{"anyOf", "oneOf"} {
		alts := schemaList(s[kw])
		if len(alts) == 0 {
			continue
		}
		var first problems
		matched := false
		for i, alt := range alts {
			var p problems
			r.value(root, alt, v, path, &p)
			if len(p) == 0 {
				matched = true
				break
			}
			if i == 0 {
				first = p
			}
		}
		if !matched {
			ps.add(path, "matches none of the %d alternatives of %s; the first fails with: %s", len(alts), kw, first[0].String())
		}
	}
	if !r.typeMatches(root, s, v, path, ps) {
		return
	}
	if enum, ok := s["enum"].([]any); ok && !enumHas(enum, v) {
		ps.add(path, "%s is not one of %s", scalarText(v), enumText(enum))
	}
	if c, ok := s["const"]; ok && scalarText(c) != scalarText(v) {
		ps.add(path, "%s must be %s", scalarText(v), scalarText(c))
	}
}

// schemaTypes returns the type keyword as a list.
func schemaTypes(s map[string]any) []string {
	switch t := s["type"].(type) {
	case string:
		return []string{t}
	case []any:
		return stringList(t)
	}
	if _, ok := s["properties"]; ok {
		return []string{"object"}
	}
	return nil
}

// typeMatches checks v against s's type and the keywords of that type, and
// reports whether v has one of the types.
func (r *Registry) typeMatches(root, s map[string]any, v any, path string, ps *problems) bool {
	types := schemaTypes(s)
	if len(types) == 0 {
		return true
	}
	var tried []string
	for _, t := range types {
		switch t {
		case "object":
			if m, ok := v.(map[string]any); ok {
				r.object(root, s, m, path, ps)
				return true
			}
		case "array":
			if l, ok := v.([]any); ok {
				r.array(root, s, l, path, ps)
				return true
			}
		case "string":
			if str, ok := scalarString(v); ok {
				r.stringBounds(s, str, path, ps)
				return true
			}
		case "integer":
			if n, ok := scalarNumber(v); ok && n == float64(int64(n)) {
				numberBounds(s, n, path, ps)
				return true
			}
		case "number":
			if n, ok := scalarNumber(v); ok {
				numberBounds(s, n, path, ps)
				return true
			}
		case "boolean":
			switch b := v.(type) {
			case bool:
				return true
			case string:
				if b == "true" || b == "false" {
					return true
				}
			}
		case "null":
			if v == nil {
				return true
			}
		}
		tried = append(tried, t)
	}
	ps.add(path, "%s is not of type %s", describe(v), strings.Join(tried, " or "))
	return false
}

func (r *Registry) object(root, s map[string]any, m map[string]any, path string, ps *problems) {
	props, _ := s["properties"].(map[string]any)
	patterns, _ := s["patternProperties"].(map[string]any)
	additional := s["additionalProperties"]
	for _, k := range slices.Sorted(maps.Keys(m)) {
		child := path + "/" + k
		if ps2, ok := props[k].(map[string]any); ok {
			r.value(root, ps2, m[k], child, ps)
			continue
		}
		matched := false
		for _, pat := range slices.Sorted(maps.Keys(patterns)) {
			if re := r.pattern(pat); re != nil && re.MatchString(k) {
				if sub, ok := patterns[pat].(map[string]any); ok {
					r.value(root, sub, m[k], child, ps)
				}
				matched = true
				break
			}
		}
		if matched {
			continue
		}
		switch a := additional.(type) {
		case bool:
			if !a {
				ps.add(child, "unknown property %s", k)
			}
		case map[string]any:
			r.value(root, a, m[k], child, ps)
		}
	}
	for _, req := range stringList(s["required"]) {
		if _, ok := m[req]; !ok {
			ps.add(path, "required property %s is missing", req)
		}
	}
}

func (r *Registry) array(root, s map[string]any, l []any, path string, ps *problems) {
	if n, ok := number(s["minItems"]); ok && float64(len(l)) < n {
		ps.add(path, "has %d items, fewer than %v", len(l), n)
	}
	if n, ok := number(s["maxItems"]); ok && float64(len(l)) > n {
		ps.add(path, "has %d items, more than %v", len(l), n)
	}
	items, ok := s["items"].(map[string]any)
	if !ok {
		return
	}
	for i, item := range l {
		r.value(root, items, item, fmt.Sprintf("%s[%d]", path, i), ps)
	}
}

func (r *Registry) stringBounds(s map[string]any, str, path string, ps *problems) {
	n := len([]rune(str))
	if min, ok := number(s["minLength"]); ok && float64(n) < min {
		ps.add(path, "%q is shorter than %v characters", str, min)
	}
	if max, ok := number(s["maxLength"]); ok && float64(n) > max {
		ps.add(path, "%q is longer than %v characters", truncate(str), max)
	}
	if pat, ok := s["pattern"].(string); ok {
		if re := r.pattern(pat); re != nil && !re.MatchString(str) {
			ps.add(path, "%q does not match the pattern %s", truncate(str), pat)
		}
	}
}

func numberBounds(s map[string]any, n float64, path string, ps *problems) {
	if min, ok := number(s["minimum"]); ok && n < min {
		ps.add(path, "%v is less than the minimum %v", n, min)
	}
	if max, ok := number(s["maximum"]); ok && n > max {
		ps.add(path, "%v is more than the maximum %v", n, max)
	}
}

// pattern compiles a schema pattern, caching it; nil when Go's regexp
// cannot compile it (the check is then skipped).
func (r *Registry) pattern(p string) *regexp.Regexp {
	r.mu.Lock()
	defer r.mu.Unlock()
	if re, ok := r.patterns[p]; ok {
		return re
	}
	re, err := regexp.Compile(p)
	if err != nil {
		re = nil
	}
	r.patterns[p] = re
	return re
}

// scalarString returns the string CloudFormation would pass for a scalar.
func scalarString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

// scalarNumber returns the number a scalar stands for, numeric strings included.
func scalarNumber(v any) (float64, bool) {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case float64:
		return x, true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil && strings.TrimSpace(x) == x && x != ""
	}
	return 0, false
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	return 0, false
}

func enumHas(enum []any, v any) bool {
	text := scalarText(v)
	for _, e := range enum {
		if scalarText(e) == text {
			return true
		}
	}
	return false
}

func scalarText(v any) string {
	if s, ok := scalarString(v); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func enumText(enum []any) string {
	parts := make([]string, len(enum))
	for i, e := range enum {
		parts[i] = scalarText(e)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func describe(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case nil:
		return "null"
	}
	return strconv.Quote(truncate(scalarText(v)))
}

// truncate shortens s to 80 characters for a message, on a character
// boundary.
func truncate(s string) string {
	if r := []rune(s); len(r) > 80 {
		return string(r[:77]) + "..."
	}
	return s
}

func schemaList(v any) []map[string]any {
	l, _ := v.([]any)
	var out []map[string]any
	for _, x := range l {
		if m, ok := x.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func stringList(v any) []string {
	l, _ := v.([]any)
	var out []string
	for _, x := range l {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}
