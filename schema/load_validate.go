package schema

import (
	"encoding/json"
	"fmt"
	"math/big"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/cicdgen/cicdgen/diag"
)

// compiledSystemSchema compiles the embedded schema once, on first use, in
// about a millisecond (BenchmarkCompileSchema). Compiling it in the
// background from process start was tried: it saved nothing measurable in a
// build and cost --version 2 ms of CPU and 1.4 MiB (see the README's
// Performance section). Load starts it, with prepareSchema, while it reads
// the YAML.
var compiledSystemSchema = sync.OnceValues(compileSchema)

// prepareSchema compiles the embedded schema and, when the process has a
// second core to do it on, every pattern of the schema, so that they are
// ready when the validation meets them: Load runs it in a goroutine while
// it reads the YAML. The patterns' bounded repetitions ({1,128}, {0,63})
// make them slow to compile, 1 to 2 ms together in a fresh process. With
// one core, each pattern is compiled only if a document reaches it.
func prepareSchema() {
	c, err := compiledSystemSchema()
	if err != nil || runtime.GOMAXPROCS(0) < 2 {
		return
	}
	c.compilePatterns()
}

// compileSchema compiles the embedded schema.
func compileSchema() (*compiledValidator, error) {
	c, err := compileValidator(schemaJSON)
	if err != nil {
		return nil, fmt.Errorf("compile embedded schema: %w", err)
	}
	return c, nil
}

// validate checks value against the schema and returns one diagnostic per
// problem, each at the YAML node it is about, and the keys its unknown-key
// diagnostics suggest: the path of each misspelt key, to the path of the
// key its "did you mean" names.
func (c *compiledValidator) validate(value any, doc *Document) (diag.Diagnostics, map[string]string) {
	meant := map[string]string{}
	return c.explainAll(c.root.check(value, nil), value, doc, meant), meant
}

// explainAll turns the violations of value into diagnostics, recording in
// meant the key each unknown key suggests.
func (c *compiledValidator) explainAll(v *violation, value any, doc *Document, meant map[string]string) diag.Diagnostics {
	if v == nil {
		return nil
	}
	var leaves []*violation
	collectLeaves(v, &leaves)
	var out diag.Diagnostics
	typos := map[string]bool{}
	for _, l := range leaves {
		out = append(out, c.explain(l, value, doc, typos, meant)...)
	}
	// A required key written with a typo is one mistake, reported once: as
	// the unknown key whose "did you mean" names it.
	kept := out[:0]
	for _, d := range out {
		if d.Rule == diag.RuleMissingKey && typos[d.Path] {
			continue
		}
		kept = append(kept, d)
	}
	return kept
}

// collectLeaves gathers the violations that say what is wrong, dropping the
// groups above them. Of a oneOf that no branch fits it keeps the branch that
// fits the value best (see bestBranch).
func collectLeaves(v *violation, out *[]*violation) {
	switch {
	case v.keyword == "oneOf" && v.matched == nil && len(v.causes) > 0:
		*out = append(*out, bestBranch(v)...)
	case len(v.causes) == 0:
		*out = append(*out, v)
	default:
		for _, c := range v.causes {
			collectLeaves(c, out)
		}
	}
}

// bestBranch picks the violations of the branch of a oneOf meant for the
// value: branches that reject the value's type are dropped; of the rest the
// one with the fewest violations wins. When every branch rejects the type,
// one type violation lists every type the branches accept.
func bestBranch(v *violation) []*violation {
	var best []*violation
	var wants []string
	got := ""
	for _, branch := range v.causes {
		var ls []*violation
		collectLeaves(branch, &ls)
		if len(ls) == 1 && ls[0].keyword == "type" && slices.Equal(ls[0].at, v.at) {
			got = ls[0].got.(string)
			for _, w := range ls[0].want.([]string) {
				if !slices.Contains(wants, w) {
					wants = append(wants, w)
				}
			}
			continue
		}
		if best == nil || len(ls) < len(best) {
			best = ls
		}
	}
	if best != nil {
		return best
	}
	return []*violation{{keyword: "type", schema: v.schema, at: v.at, got: got, want: wants}}
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

// explain turns one leaf violation into diagnostics. For an unknown key
// with a "did you mean", it records the path of the suggested key in typos.
func (c *compiledValidator) explain(v *violation, value any, doc *Document, typos map[string]bool, meant map[string]string) diag.Diagnostics {
	in := locate(value, v.at)
	at := doc.Range(in.path)
	sch := v.schema
	switch v.keyword {
	case "type":
		want := v.want.([]string)
		d := diag.Errorf(diag.RuleType, at, in.path, "%s must be %s, not %s", in.label, describeTypes(want), describeValue(in.value))
		if in.value == nil && slices.Contains(want, "object") {
			d = d.WithHint("give %s its keys, write %s: {} for the defaults, or remove it", in.label, in.label)
		}
		return diag.Diagnostics{d}
	case "const":
		return diag.Diagnostics{diag.Errorf(diag.RuleConst, at, in.path, "%s must be %s, not %s", in.label, display(v.want), display(v.got))}
	case "enum":
		var allowed []string
		for _, w := range v.want.([]any) {
			allowed = append(allowed, display(w))
		}
		msg := fmt.Sprintf("%s %s is not allowed; use %s", in.label, display(v.got), joinOr(unquoteAll(allowed)))
		if s, ok := v.got.(string); ok {
			if sug := diag.Closest(s, unquoteAll(allowed)); sug != "" {
				msg = fmt.Sprintf("%s %s is not allowed; did you mean %q? Use %s", in.label, display(v.got), sug, joinOr(unquoteAll(allowed)))
			}
		}
		return diag.Diagnostics{diag.Errorf(diag.RuleEnum, at, in.path, "%s", msg)}
	case "pattern":
		reason, _ := sch["patternErrorMessage"].(string)
		if reason == "" {
			reason = "it must match " + v.want.(string)
		}
		return diag.Diagnostics{diag.Errorf(diag.RulePattern, at, in.path, "%s %q is not valid: %s", in.label, v.got, reason)}
	case "minimum", "maximum":
		return diag.Diagnostics{diag.Errorf(diag.RuleRange, at, in.path, "%s %s is out of range: %s", in.label, display(in.value), describeBounds(sch))}
	case "minLength":
		if v.wantLen == 1 {
			return diag.Diagnostics{diag.Errorf(diag.RuleRange, at, in.path, "%s must not be empty", in.label)}
		}
		return diag.Diagnostics{diag.Errorf(diag.RuleRange, at, in.path, "%s must be at least %d characters long, not %d", in.label, v.wantLen, v.gotLen)}
	case "maxLength":
		return diag.Diagnostics{diag.Errorf(diag.RuleRange, at, in.path, "%s must be at most %d characters long, not %d", in.label, v.wantLen, v.gotLen)}
	case "minItems":
		return diag.Diagnostics{diag.Errorf(diag.RuleRange, at, in.path, "%s must list at least %s", in.label, diag.Plural(v.wantLen, "item"))}
	case "required":
		return c.explainRequired(v, in, doc, sch)
	case "additionalProperties":
		return explainUnknownKeys(v, in, doc, sch, typos, meant)
	case "not":
		if msg, ok := sch["x-not-message"].(string); ok {
			path := in.path
			if key := laterKey(sch, in.value, in.path, doc); key != "" {
				// Keys that exclude each other: the second one written is the mistake.
				path = PathKey(in.path, key)
				at = doc.KeyRange(path)
			}
			return diag.Diagnostics{diag.Errorf(diag.RuleSchema, at, path, "%s %s", in.label, msg)}
		}
	}
	return diag.Diagnostics{diag.Errorf(diag.RuleSchema, at, in.path, "%s: %s", in.label, v.describe())}
}

// describe says what a violation that explain has no words of its own for
// is about, as jsonschema/v6 said it.
func (v *violation) describe() string {
	switch v.keyword {
	case "not":
		return "'not' failed"
	case "oneOf":
		if len(v.matched) == 2 {
			return fmt.Sprintf("'oneOf' failed, subschemas %d, %d matched", v.matched[0], v.matched[1])
		}
		return "'oneOf' failed, none matched"
	case "invalid":
		return fmt.Sprintf("invalid jsonType %v", v.got)
	}
	return "'" + v.keyword + "' failed"
}

// explainRequired reports each missing required key at the mapping that
// lacks it.
func (c *compiledValidator) explainRequired(v *violation, in instance, doc *Document, sch map[string]any) diag.Diagnostics {
	var out diag.Diagnostics
	keyAt := doc.KeyRange(in.path)
	for _, m := range v.names {
		var d diag.Diagnostic
		if in.path == "$" {
			d = diag.Errorf(diag.RuleMissingKey, keyAt, PathKey(in.path, m), "missing required key %q", m)
		} else {
			d = diag.Errorf(diag.RuleMissingKey, keyAt, PathKey(in.path, m), "%s is missing required key %q", in.label, m)
		}
		if hint, ok := sch["x-required-hint"].(string); ok {
			d = d.WithHint("%s", hint)
		} else if desc := c.propertyDescription(sch, m); desc != "" {
			d = d.WithHint("%s: %s", m, desc)
		}
		out = append(out, d)
	}
	return out
}

// explainUnknownKeys reports each key that additionalProperties: false
// forbids, at the key, with the key it most likely means.
func explainUnknownKeys(v *violation, in instance, doc *Document, sch map[string]any, typos map[string]bool, meant map[string]string) diag.Diagnostics {
	var out diag.Diagnostics
	allowed := propertyNames(sch)
	for _, p := range v.names {
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
				if dym := diag.DidYouMean(p, names); dym != "" {
					msg += "; " + dym
				}
			}
			out = append(out, diag.Errorf(diag.RulePattern, doc.KeyRange(child), child, "%s", msg))
			continue
		}
		msg := fmt.Sprintf("unknown key %q", p)
		if in.path != "$" {
			msg += " in " + in.label
		}
		if sug := suggestKey(p, allowed); sug != "" {
			msg += fmt.Sprintf("; did you mean %q?", sug)
			typos[PathKey(in.path, sug)] = true
			meant[child] = PathKey(in.path, sug)
		}
		d := diag.Errorf(diag.RuleUnknownKey, doc.KeyRange(child), child, "%s", msg)
		if p == "name" && strings.HasSuffix(in.path, ".service") && strings.HasPrefix(in.path, "$.environments[") {
			d.Message = fmt.Sprintf("unknown key %q in %s: the service name is the same in every environment", p, in.label)
			delete(meant, child) // not a misspelling: the key does not belong here
		}
		if len(allowed) > 0 {
			d = d.WithHint("allowed keys here: %s", strings.Join(allowed, ", "))
		}
		out = append(out, d)
	}
	return out
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

// propertyDescription returns the description of property name of an object
// schema, following a $ref.
func (c *compiledValidator) propertyDescription(sch map[string]any, name string) string {
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
		n := c.nodes[strings.TrimPrefix(ref, "#")] // every $ref was compiled
		if n == nil {
			return ""
		}
		p = n.raw
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

// suggestKey returns the key an unknown key s most likely means: a near
// miss (diag.Closest), else the one key that s is the start of (timeout for
// timeout_minutes), else the one key that starts s as a word of it
// (health_check_path for health_check). It returns "" when none or several
// fit.
func suggestKey(s string, keys []string) string {
	if sug := diag.Closest(s, keys); sug != "" {
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
