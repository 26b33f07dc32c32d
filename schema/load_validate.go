package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/cicdgen/cicdgen/diag"
)

// compiledSchema is the JSON Schema of system.yaml, compiled for validation,
// with its source document kept to look keywords up when explaining errors.
// It is immutable once built.
type compiledSchema struct {
	schema *jsonschema.Schema
	doc    any
}

// compiledSystemSchema compiles the embedded schema once, on first use
// (compiling costs more than a whole Load; see BenchmarkCompileSchema).
var compiledSystemSchema = sync.OnceValues(compileSchema)

// Prepare compiles the JSON Schema of system.yaml in the background, so that
// a command can overlap the few milliseconds it takes with its own start
// (flag parsing, reading and parsing the file). Load waits for it as needed;
// calling Prepare is never required and costs nothing when repeated.
func Prepare() { go compiledSystemSchema() }

// compileSchema compiles the embedded schema.
func compileSchema() (*compiledSchema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
	if err != nil {
		return nil, fmt.Errorf("parse embedded schema: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource(SchemaID, doc); err != nil {
		return nil, fmt.Errorf("add embedded schema: %w", err)
	}
	sch, err := c.Compile(SchemaID)
	if err != nil {
		return nil, fmt.Errorf("compile embedded schema: %w", err)
	}
	return &compiledSchema{schema: sch, doc: doc}, nil
}

// validate checks value against the schema and returns one diagnostic per
// problem, each at the YAML node it is about.
func (c *compiledSchema) validate(value any, doc *Document) diag.Diagnostics {
	err := c.schema.Validate(value)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return diag.Diagnostics{diag.Errorf("schema", doc.Range("$"), "$", "validate against the schema: %v", err)}
	}
	var leaves []*jsonschema.ValidationError
	collectLeaves(ve, &leaves)
	var out diag.Diagnostics
	typos := map[string]bool{}
	for _, l := range leaves {
		out = append(out, c.explain(l, value, doc, typos)...)
	}
	// A required key written with a typo is one mistake, reported once: as
	// the unknown key whose "did you mean" names it.
	kept := out[:0]
	for _, d := range out {
		if d.Rule == "missing-key" && typos[d.Path] {
			continue
		}
		kept = append(kept, d)
	}
	return kept
}

// collectLeaves gathers the errors that say what is wrong, dropping the
// grouping errors above them. Of a failed oneOf or anyOf it keeps the branch
// that fits the value best (see bestBranch).
func collectLeaves(e *jsonschema.ValidationError, out *[]*jsonschema.ValidationError) {
	switch k := e.ErrorKind.(type) {
	case *kind.OneOf:
		if k.Subschemas != nil || len(e.Causes) == 0 {
			*out = append(*out, e)
			return
		}
		*out = append(*out, bestBranch(e)...)
	case *kind.AnyOf:
		*out = append(*out, bestBranch(e)...)
	default:
		if len(e.Causes) == 0 {
			*out = append(*out, e)
			return
		}
		for _, c := range e.Causes {
			collectLeaves(c, out)
		}
	}
}

// bestBranch picks the errors of the branch of a oneOf/anyOf meant for the
// value: branches that reject the value's type are dropped; of the rest the
// one with the fewest errors wins. When every branch rejects the type, one
// type error lists every type the branches accept.
func bestBranch(e *jsonschema.ValidationError) []*jsonschema.ValidationError {
	var best []*jsonschema.ValidationError
	var wants []string
	got := ""
	for _, branch := range e.Causes {
		var ls []*jsonschema.ValidationError
		collectLeaves(branch, &ls)
		if len(ls) == 1 {
			if t, ok := ls[0].ErrorKind.(*kind.Type); ok && sameLocation(ls[0].InstanceLocation, e.InstanceLocation) {
				got = t.Got
				for _, w := range t.Want {
					if !contains(wants, w) {
						wants = append(wants, w)
					}
				}
				continue
			}
		}
		if best == nil || len(ls) < len(best) {
			best = ls
		}
	}
	if best != nil {
		return best
	}
	return []*jsonschema.ValidationError{{
		SchemaURL:        e.SchemaURL,
		InstanceLocation: e.InstanceLocation,
		ErrorKind:        &kind.Type{Got: got, Want: wants},
	}}
}

func sameLocation(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// instance is a location in the validated value.
type instance struct {
	path  string // YAML path: $.environments[1].service
	label string // how messages name it: cpu, environments[1], account dev
	value any
	found bool
}

// locate follows an InstanceLocation through value.
func locate(value any, loc []string) instance {
	in := instance{path: "$", label: "the file", value: value, found: true}
	lastKey := ""
	for i, tok := range loc {
		switch cur := in.value.(type) {
		case []any:
			idx, err := strconv.Atoi(tok)
			if err != nil || idx < 0 || idx >= len(cur) {
				in.found = false
				return in
			}
			in.path = PathIndex(in.path, idx)
			in.value = cur[idx]
			lastKey = lastKey + "[" + tok + "]"
			in.label = lastKey
		case map[string]any:
			in.path = PathKey(in.path, tok)
			in.value, in.found = cur[tok]
			lastKey = tok
			in.label = tok
			if i >= 1 && loc[0] == "accounts" {
				if i == 1 {
					in.label = "account " + tok
				} else if tok == "id" {
					in.label = "id of account " + loc[1]
				}
			}
			if !in.found {
				return in
			}
		default:
			in.found = false
			return in
		}
	}
	return in
}

// explain turns one leaf error into diagnostics. For an unknown key with a
// "did you mean", it records the path of the suggested key in typos.
func (c *compiledSchema) explain(e *jsonschema.ValidationError, value any, doc *Document, typos map[string]bool) diag.Diagnostics {
	in := locate(value, e.InstanceLocation)
	at := doc.Range(in.path)
	sch, _ := c.lookup(e.SchemaURL).(map[string]any)
	switch k := e.ErrorKind.(type) {
	case *kind.Type:
		d := diag.Errorf("type", at, in.path, "%s must be %s, not %s", in.label, describeTypes(k.Want), describeValue(in.value))
		if in.value == nil && contains(k.Want, "object") {
			d = d.WithHint("give %s its keys, write %s: {} for the defaults, or remove it", in.label, in.label)
		}
		return diag.Diagnostics{d}
	case *kind.Const:
		return diag.Diagnostics{diag.Errorf("const", at, in.path, "%s must be %s, not %s", in.label, display(k.Want), display(k.Got))}
	case *kind.Enum:
		var allowed []string
		for _, w := range k.Want {
			allowed = append(allowed, display(w))
		}
		msg := fmt.Sprintf("%s %s is not allowed; use %s", in.label, display(k.Got), joinOr(unquoteAll(allowed)))
		if s, ok := k.Got.(string); ok {
			if sug := suggest(s, unquoteAll(allowed)); sug != "" {
				msg = fmt.Sprintf("%s %s is not allowed; did you mean %q? Use %s", in.label, display(k.Got), sug, joinOr(unquoteAll(allowed)))
			}
		}
		return diag.Diagnostics{diag.Errorf("enum", at, in.path, "%s", msg)}
	case *kind.Pattern:
		reason, _ := sch["patternErrorMessage"].(string)
		if reason == "" {
			reason = "it must match " + k.Want
		}
		return diag.Diagnostics{diag.Errorf("pattern", at, in.path, "%s %q is not valid: %s", in.label, k.Got, reason)}
	case *kind.Minimum, *kind.Maximum, *kind.ExclusiveMinimum, *kind.ExclusiveMaximum:
		return diag.Diagnostics{diag.Errorf("range", at, in.path, "%s %s is out of range: %s", in.label, display(in.value), describeBounds(sch))}
	case *kind.MinLength:
		if k.Want == 1 {
			return diag.Diagnostics{diag.Errorf("range", at, in.path, "%s must not be empty", in.label)}
		}
		return diag.Diagnostics{diag.Errorf("range", at, in.path, "%s must be at least %d characters long, not %d", in.label, k.Want, k.Got)}
	case *kind.MaxLength:
		return diag.Diagnostics{diag.Errorf("range", at, in.path, "%s must be at most %d characters long, not %d", in.label, k.Want, k.Got)}
	case *kind.MinItems:
		return diag.Diagnostics{diag.Errorf("range", at, in.path, "%s must list at least %d %s", in.label, k.Want, plural(k.Want, "item", "items"))}
	case *kind.MaxItems:
		return diag.Diagnostics{diag.Errorf("range", at, in.path, "%s must list at most %d %s, not %d", in.label, k.Want, plural(k.Want, "item", "items"), k.Got)}
	case *kind.MinProperties:
		return diag.Diagnostics{diag.Errorf("range", at, in.path, "%s must have at least %d %s", in.label, k.Want, plural(k.Want, "entry", "entries"))}
	case *kind.MaxProperties:
		return diag.Diagnostics{diag.Errorf("range", at, in.path, "%s must have at most %d %s, not %d", in.label, k.Want, plural(k.Want, "entry", "entries"), k.Got)}
	case *kind.Required:
		var out diag.Diagnostics
		keyAt := doc.KeyRange(in.path)
		for _, m := range k.Missing {
			var d diag.Diagnostic
			if in.path == "$" {
				d = diag.Errorf("missing-key", keyAt, PathKey(in.path, m), "missing required key %q", m)
			} else {
				d = diag.Errorf("missing-key", keyAt, PathKey(in.path, m), "%s is missing required key %q", in.label, m)
			}
			if hint, ok := sch["x-required-hint"].(string); ok {
				d = d.WithHint("%s", hint)
			} else if desc := c.propertyDescription(sch, m); desc != "" {
				d = d.WithHint("%s: %s", m, desc)
			}
			out = append(out, d)
		}
		return out
	case *kind.AdditionalProperties:
		var out diag.Diagnostics
		allowed := propertyNames(sch)
		for _, p := range k.Properties {
			child := PathKey(in.path, p)
			if reason, ok := sch["x-key-message"].(string); ok {
				// A map whose keys follow a pattern (tags, accounts, overrides).
				msg := fmt.Sprintf("key %q under %s is not valid: %s", p, in.label, reason)
				if fixed, ok := sch["x-key-examples"].([]any); ok {
					var names []string
					for _, f := range fixed {
						if s, ok := f.(string); ok {
							names = append(names, s)
						}
					}
					if sug := suggest(p, names); sug != "" {
						msg += fmt.Sprintf("; did you mean %q?", sug)
					}
				}
				out = append(out, diag.Errorf("pattern", doc.KeyRange(child), child, "%s", msg))
				continue
			}
			msg := fmt.Sprintf("unknown key %q", p)
			if in.path != "$" {
				msg += " in " + in.label
			}
			if sug := suggestKey(p, allowed); sug != "" {
				msg += fmt.Sprintf("; did you mean %q?", sug)
				typos[PathKey(in.path, sug)] = true
			}
			d := diag.Errorf("unknown-key", doc.KeyRange(child), child, "%s", msg)
			if p == "name" && strings.HasSuffix(in.path, ".service") && strings.HasPrefix(in.path, "$.environments[") {
				d.Message = fmt.Sprintf("unknown key %q in %s: the service name is the same in every environment", p, in.label)
			}
			if len(allowed) > 0 {
				d = d.WithHint("allowed keys here: %s", strings.Join(allowed, ", "))
			}
			out = append(out, d)
		}
		return out
	case *kind.Not:
		if msg, ok := sch["x-not-message"].(string); ok {
			path := in.path
			if key := laterKey(sch, in.value, in.path, doc); key != "" {
				// Keys that exclude each other: the second one written is the mistake.
				path = PathKey(in.path, key)
				at = doc.KeyRange(path)
			}
			return diag.Diagnostics{diag.Errorf("schema", at, path, "%s %s", in.label, msg)}
		}
	}
	return diag.Diagnostics{diag.Errorf("schema", at, in.path, "%s: %s", in.label, e.ErrorKind.LocalizedString(message.NewPrinter(language.English)))}
}

// laterKey returns, of the keys that sch's "not": {"required": [...]}
// forbids together, the one written last in the mapping value at path, or
// "" when sch has no such list.
func laterKey(sch map[string]any, value any, path string, doc *Document) string {
	not, _ := sch["not"].(map[string]any)
	keys, _ := not["required"].([]any)
	m, _ := value.(map[string]any)
	last, lastAt := "", diag.Pos{}
	for _, k := range keys {
		key, _ := k.(string)
		if _, ok := m[key]; !ok {
			continue
		}
		pos := doc.KeyRange(PathKey(path, key)).Start
		if last == "" || pos.Line > lastAt.Line || (pos.Line == lastAt.Line && pos.Column > lastAt.Column) {
			last, lastAt = key, pos
		}
	}
	return last
}

// lookup returns the schema node a schema URL points at, or nil.
func (c *compiledSchema) lookup(schemaURL string) any {
	_, frag, _ := strings.Cut(schemaURL, "#")
	cur := c.doc
	if frag == "" {
		return cur
	}
	for _, tok := range strings.Split(strings.TrimPrefix(frag, "/"), "/") {
		if u, err := url.PathUnescape(tok); err == nil {
			tok = u
		}
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch v := cur.(type) {
		case map[string]any:
			cur = v[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(v) {
				return nil
			}
			cur = v[i]
		default:
			return nil
		}
	}
	return cur
}

// propertyDescription returns the description of property name of an object
// schema, following a $ref.
func (c *compiledSchema) propertyDescription(sch map[string]any, name string) string {
	props, _ := sch["properties"].(map[string]any)
	p, _ := props[name].(map[string]any)
	for i := 0; i < 5 && p != nil; i++ {
		if d, ok := p["description"].(string); ok {
			return d
		}
		ref, _ := p["$ref"].(string)
		if ref == "" {
			return ""
		}
		p, _ = c.lookup(ref).(map[string]any)
	}
	return ""
}

func propertyNames(sch map[string]any) []string {
	props, _ := sch["properties"].(map[string]any)
	out := make([]string, 0, len(props))
	for k := range props {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func describeBounds(sch map[string]any) string {
	lo, hasLo := sch["minimum"].(json.Number)
	hi, hasHi := sch["maximum"].(json.Number)
	switch {
	case hasLo && hasHi:
		return fmt.Sprintf("use %s to %s", lo, hi)
	case hasLo:
		return fmt.Sprintf("use at least %s", lo)
	case hasHi:
		return fmt.Sprintf("use at most %s", hi)
	}
	return "outside the allowed range"
}

var typeNames = map[string]string{
	"string":  "a string",
	"integer": "a whole number",
	"number":  "a number",
	"boolean": "true or false",
	"object":  "a mapping",
	"array":   "a list",
	"null":    "empty",
}

func describeTypes(want []string) string {
	var parts []string
	for _, w := range want {
		if n, ok := typeNames[w]; ok {
			parts = append(parts, n)
		} else {
			parts = append(parts, w)
		}
	}
	return joinOr(parts)
}

// describeValue names a value in a message: the string "x", the number 5, a list.
func describeValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "empty"
	case string:
		return "the string " + display(x)
	case bool:
		return strconv.FormatBool(x)
	case map[string]any:
		return "a mapping"
	case []any:
		return "a list"
	default:
		return "the number " + display(x)
	}
}

// display writes a scalar as a message shows it: strings quoted (and cut
// when long), numbers as written.
func display(v any) string {
	switch x := v.(type) {
	case string:
		if r := []rune(x); len(r) > 60 {
			x = string(r[:57]) + "..."
		}
		return strconv.Quote(x)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case json.Number:
		return x.String()
	case *big.Rat:
		return x.RatString()
	case nil:
		return "null"
	case map[string]any:
		return "a mapping"
	case []any:
		return "a list"
	}
	return fmt.Sprint(v)
}

func unquoteAll(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		if u, err := strconv.Unquote(s); err == nil {
			out[i] = u
		} else {
			out[i] = s
		}
	}
	return out
}

// joinOr joins a, b and c as "a, b or c".
func joinOr(list []string) string {
	switch len(list) {
	case 0:
		return ""
	case 1:
		return list[0]
	}
	return strings.Join(list[:len(list)-1], ", ") + " or " + list[len(list)-1]
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// suggest returns the candidate closest to s when it is close enough to be
// a likely typo, else "".
func suggest(s string, candidates []string) string { return diag.Closest(s, candidates) }

// suggestKey returns the key an unknown key s most likely means: a near
// miss (suggest), else the one key that s is the start of (timeout for
// timeout_minutes), else the one key that starts s as a word of it
// (health_check_path for health_check). It returns "" when none or several
// fit.
func suggestKey(s string, keys []string) string {
	if sug := suggest(s, keys); sug != "" {
		return sug
	}
	lower := strings.ToLower(s)
	pick := func(fits func(key string) bool) string {
		found := ""
		for _, k := range keys {
			if fits(k) {
				if found != "" {
					return ""
				}
				found = k
			}
		}
		return found
	}
	if len(lower) >= 3 {
		if k := pick(func(k string) bool { return len(k) > len(lower) && strings.HasPrefix(k, lower) }); k != "" {
			return k
		}
	}
	return pick(func(k string) bool {
		return len(k) >= 3 && (strings.HasPrefix(lower, k+"_") || strings.HasPrefix(lower, k+"-"))
	})
}
