package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file is a JSON Schema (2020-12) validator for exactly the keywords
// system.schema.json uses. A general validator costs milliseconds of
// package initialisation and schema compilation in every process; this one
// compiles the 24 KB schema in about a millisecond, and only when a
// command loads a system.yaml. Compiling fails on any keyword it does not
// implement, so the schema cannot outgrow it unnoticed. Its verdicts follow
// the specification and match jsonschema/v6, which the tests keep as an
// oracle (validator_oracle_test.go).

// schemaNode is one compiled subschema.
type schemaNode struct {
	raw map[string]any // its JSON object, for the annotations explain reads

	types    []string // "type", in canonical order (see canonicalTypes)
	constVal any
	hasConst bool
	enum     []any
	ref      *schemaNode

	// strings
	minLength, maxLength int                   // -1: no bound
	pattern              func() *regexp.Regexp // compiled on first use; nil: none

	// numbers
	minimum, maximum *big.Rat

	// arrays
	minItems int // -1: no bound
	items    *schemaNode

	// objects
	required          []string
	properties        map[string]*schemaNode
	patternProperties []patternProperty
	additional        *schemaNode // nil: any; see noAdditional
	noAdditional      bool        // additionalProperties: false

	// applicators
	not          *schemaNode
	allOf, oneOf []*schemaNode
	ifNode       *schemaNode
	thenNode     *schemaNode
}

type patternProperty struct {
	re   func() *regexp.Regexp // compiled on first use
	node *schemaNode
}

// canonicalTypes is the order in which a type error lists the types a
// schema allows, whatever order the schema writes them in.
var canonicalTypes = []string{"null", "boolean", "number", "integer", "string", "array", "object"}

// annotationKeywords carry no assertion: the validator skips them.
var annotationKeywords = map[string]bool{
	"$schema": true, "$id": true, "$defs": true, "title": true, "description": true,
	"markdownDescription": true, "default": true, "examples": true, "$comment": true, "deprecated": true,
	"patternErrorMessage": true,
}

// compiledValidator is a compiled schema document.
type compiledValidator struct {
	doc   any // the schema document, numbers as json.Number
	root  *schemaNode
	nodes map[string]*schemaNode // by JSON pointer, to resolve $ref
	// patterns are the schema's regular expressions, each compiled on its
	// first use.
	patterns []func() *regexp.Regexp
}

// compileValidator parses and compiles a JSON Schema document.
func compileValidator(src []byte) (*compiledValidator, error) {
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("parse: data after the schema")
	}
	c := &compiledValidator{doc: doc, nodes: map[string]*schemaNode{}}
	root, err := c.compile("", doc)
	if err != nil {
		return nil, err
	}
	c.root = root
	return c, nil
}

// compile compiles the subschema v found at JSON pointer ptr.
func (c *compiledValidator) compile(ptr string, v any) (*schemaNode, error) {
	if n, ok := c.nodes[ptr]; ok {
		return n, nil
	}
	raw, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: a schema must be an object, not %T", pointerName(ptr), v)
	}
	n := &schemaNode{raw: raw, minLength: -1, maxLength: -1, minItems: -1}
	c.nodes[ptr] = n // before the children: a $ref may come back here
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	slices.Sort(keys) // compile errors in a stable order
	for _, kw := range keys {
		if err := c.keyword(n, ptr, kw, raw[kw]); err != nil {
			return nil, fmt.Errorf("%s/%s: %w", pointerName(ptr), kw, err)
		}
	}
	if n.thenNode != nil && n.ifNode == nil {
		return nil, fmt.Errorf("%s: then without if", pointerName(ptr))
	}
	return n, nil
}

// keyword compiles one keyword of node n (at ptr) with value v.
func (c *compiledValidator) keyword(n *schemaNode, ptr, kw string, v any) error {
	sub := func(name string, v any) (*schemaNode, error) { return c.compile(ptr+"/"+escapePointer(name), v) }
	var err error
	switch kw {
	case "type":
		n.types, err = compileTypes(v)
	case "const":
		n.constVal, n.hasConst = v, true
	case "enum":
		list, ok := v.([]any)
		if !ok || len(list) == 0 {
			return fmt.Errorf("must be a non-empty array")
		}
		n.enum = list
	case "$ref":
		return c.compileRef(n, v)
	case "minLength":
		n.minLength, err = nonNegative(v)
	case "maxLength":
		n.maxLength, err = nonNegative(v)
	case "minItems":
		n.minItems, err = nonNegative(v)
	case "pattern":
		n.pattern, err = c.compilePattern(v)
	case "minimum":
		n.minimum, err = rational(v)
	case "maximum":
		n.maximum, err = rational(v)
	case "items":
		n.items, err = sub("items", v)
	case "required":
		n.required, err = stringList(v)
	case "properties", "patternProperties":
		m, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("must be an object")
		}
		return c.compileProperties(n, ptr+"/"+kw, kw, m)
	case "additionalProperties":
		if b, ok := v.(bool); ok {
			n.noAdditional = !b
			return nil
		}
		n.additional, err = sub(kw, v)
	case "not":
		n.not, err = sub(kw, v)
	case "if":
		n.ifNode, err = sub(kw, v)
	case "then":
		n.thenNode, err = sub(kw, v)
	case "allOf", "oneOf":
		list, ok := v.([]any)
		if !ok || len(list) == 0 {
			return fmt.Errorf("must be a non-empty array")
		}
		nodes := make([]*schemaNode, len(list))
		for i, s := range list {
			if nodes[i], err = sub(kw+"/"+strconv.Itoa(i), s); err != nil {
				return err
			}
		}
		if kw == "allOf" {
			n.allOf = nodes
		} else {
			n.oneOf = nodes
		}
	case "$defs":
		m, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("must be an object")
		}
		for name, s := range m {
			if _, err := c.compile(ptr+"/$defs/"+escapePointer(name), s); err != nil {
				return err
			}
		}
	default:
		if !annotationKeywords[kw] && !strings.HasPrefix(kw, "x-") {
			return fmt.Errorf("keyword not supported by cicdgen's validator")
		}
	}
	return err
}

// compileProperties compiles properties or patternProperties.
func (c *compiledValidator) compileProperties(n *schemaNode, ptr, kw string, m map[string]any) error {
	names := make([]string, 0, len(m))
	for name := range m {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		child, err := c.compile(ptr+"/"+escapePointer(name), m[name])
		if err != nil {
			return err
		}
		if kw == "properties" {
			if n.properties == nil {
				n.properties = map[string]*schemaNode{}
			}
			n.properties[name] = child
			continue
		}
		re, err := c.lazyPattern(name)
		if err != nil {
			return fmt.Errorf("pattern %q: %w", name, err)
		}
		n.patternProperties = append(n.patternProperties, patternProperty{re: re, node: child})
	}
	return nil
}

// compileRef resolves a $ref, which must point into this document.
func (c *compiledValidator) compileRef(n *schemaNode, v any) error {
	ref, ok := v.(string)
	if !ok || !strings.HasPrefix(ref, "#") {
		return fmt.Errorf("only references within the document (#/...) are supported, not %v", v)
	}
	target := c.doc
	ptr := ""
	if frag := strings.TrimPrefix(ref, "#"); frag != "" {
		if !strings.HasPrefix(frag, "/") {
			return fmt.Errorf("%q: anchors are not supported", ref)
		}
		for _, tok := range strings.Split(frag[1:], "/") {
			tok = unescapePointer(tok)
			m, ok := target.(map[string]any)
			if !ok {
				return fmt.Errorf("%q points at nothing", ref)
			}
			if target, ok = m[tok]; !ok {
				return fmt.Errorf("%q points at nothing", ref)
			}
			ptr += "/" + escapePointer(tok)
		}
	}
	node, err := c.compile(ptr, target)
	if err != nil {
		return err
	}
	n.ref = node
	return nil
}

func compileTypes(v any) ([]string, error) {
	var names []string
	switch t := v.(type) {
	case string:
		names = []string{t}
	case []any:
		for _, x := range t {
			s, ok := x.(string)
			if !ok {
				return nil, fmt.Errorf("must list type names")
			}
			names = append(names, s)
		}
	default:
		return nil, fmt.Errorf("must be a type name or a list of them")
	}
	var out []string
	for _, t := range canonicalTypes {
		if slices.Contains(names, t) {
			out = append(out, t)
		}
	}
	for _, name := range names {
		if !slices.Contains(canonicalTypes, name) {
			return nil, fmt.Errorf("unknown type %q", name)
		}
	}
	return out, nil
}

func (c *compiledValidator) compilePattern(v any) (func() *regexp.Regexp, error) {
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("must be a string")
	}
	return c.lazyPattern(s)
}

// lazyPattern checks the syntax of the regular expression expr now, with
// the error regexp.Compile would return, and returns a function that
// compiles it on its first call: a validation compiles only the patterns
// its document reaches, unless compilePatterns compiled them all before.
// Once parsed, compiling cannot fail.
func (c *compiledValidator) lazyPattern(expr string) (func() *regexp.Regexp, error) {
	if _, err := syntax.Parse(expr, syntax.Perl); err != nil {
		return nil, err
	}
	re := lazyRegexp(expr)
	c.patterns = append(c.patterns, re)
	return re, nil
}

// compilePatterns compiles every pattern of the schema, in the order the
// schema writes them. A validation that needs one being compiled waits
// for it.
func (c *compiledValidator) compilePatterns() {
	for _, re := range c.patterns {
		re()
	}
}

func nonNegative(v any) (int, error) {
	num, ok := v.(json.Number)
	if !ok {
		return 0, fmt.Errorf("must be a number")
	}
	n, err := strconv.Atoi(num.String())
	if err != nil || n < 0 {
		return 0, fmt.Errorf("must be a non-negative integer, not %s", num)
	}
	return n, nil
}

func rational(v any) (*big.Rat, error) {
	num, ok := v.(json.Number)
	if !ok {
		return nil, fmt.Errorf("must be a number")
	}
	r, ok := new(big.Rat).SetString(num.String())
	if !ok {
		return nil, fmt.Errorf("%s is not a number", num)
	}
	return r, nil
}

func stringList(v any) ([]string, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("must be an array of strings")
	}
	out := make([]string, len(list))
	for i, x := range list {
		if out[i], ok = x.(string); !ok {
			return nil, fmt.Errorf("must be an array of strings")
		}
	}
	return out, nil
}

func escapePointer(tok string) string {
	return strings.ReplaceAll(strings.ReplaceAll(tok, "~", "~0"), "/", "~1")
}

func unescapePointer(tok string) string {
	return strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
}

func pointerName(ptr string) string { return "#" + ptr }

// violation is one way a value fails a schema: a tree whose leaves say what
// is wrong and whose inner nodes group the leaves of a subschema (keyword
// ""), or record a oneOf none of whose branches fit (keyword "oneOf" with a
// cause per branch).
type violation struct {
	keyword string         // the failed keyword: "type", "required", ...; "" groups causes
	schema  map[string]any // the subschema holding the keyword
	at      []string       // where in the value: object keys and array indexes

	got, want       any      // type: names; const, enum: values; pattern: string and expression
	gotLen, wantLen int      // minLength, maxLength, minItems
	names           []string // required: the missing keys; additionalProperties: the unknown ones
	matched         []int    // oneOf: the two branches that both fit, when more than one does
	causes          []*violation
}

// check validates value v, found at location at, against the schema. It
// returns nil when v is valid.
func (n *schemaNode) check(v any, at []string) *violation {
	var errs []*violation
	fail := func(x *violation) *violation {
		x.schema, x.at = n.raw, at
		return x
	}
	got := jsonType(v)
	if got == "" {
		return fail(&violation{keyword: "invalid", got: fmt.Sprintf("%T", v)})
	}
	if n.types != nil && !slices.Contains(n.types, got) &&
		!(got == "number" && slices.Contains(n.types, "integer") && isWhole(v)) {
		return fail(&violation{keyword: "type", got: got, want: n.types})
	}
	if n.hasConst && !jsonEqual(v, n.constVal) {
		return fail(&violation{keyword: "const", got: v, want: n.constVal})
	}
	if n.enum != nil && !slices.ContainsFunc(n.enum, func(w any) bool { return jsonEqual(v, w) }) {
		return fail(&violation{keyword: "enum", got: v, want: n.enum})
	}
	if n.ref != nil {
		if x := n.ref.check(v, at); x != nil {
			errs = append(errs, x)
		}
	}
	add := func(x *violation) {
		if x != nil {
			errs = append(errs, x)
		}
	}
	switch x := v.(type) {
	case map[string]any:
		n.checkObject(x, at, add, fail)
	case []any:
		if n.minItems >= 0 && len(x) < n.minItems {
			add(fail(&violation{keyword: "minItems", gotLen: len(x), wantLen: n.minItems}))
		}
		if n.items != nil {
			for i, item := range x {
				add(n.items.check(item, appendLocation(at, strconv.Itoa(i))))
			}
		}
	case string:
		length := utf8.RuneCountInString(x)
		if n.minLength >= 0 && length < n.minLength {
			add(fail(&violation{keyword: "minLength", gotLen: length, wantLen: n.minLength}))
		}
		if n.maxLength >= 0 && length > n.maxLength {
			add(fail(&violation{keyword: "maxLength", gotLen: length, wantLen: n.maxLength}))
		}
		if n.pattern != nil && !n.pattern().MatchString(x) {
			add(fail(&violation{keyword: "pattern", got: x, want: n.pattern().String()}))
		}
	case bool, nil:
	default: // a number
		if n.minimum != nil || n.maximum != nil {
			r := ratOf(v)
			if n.minimum != nil && r.Cmp(n.minimum) < 0 {
				add(fail(&violation{keyword: "minimum", got: v, want: n.minimum}))
			}
			if n.maximum != nil && r.Cmp(n.maximum) > 0 {
				add(fail(&violation{keyword: "maximum", got: v, want: n.maximum}))
			}
		}
	}
	n.checkApplicators(v, at, add, fail)
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return fail(&violation{causes: errs})
}

// checkObject checks the object keywords.
func (n *schemaNode) checkObject(obj map[string]any, at []string, add func(*violation), fail func(*violation) *violation) {
	var missing []string
	for _, key := range n.required {
		if _, ok := obj[key]; !ok {
			missing = append(missing, key)
		}
	}
	if missing != nil {
		add(fail(&violation{keyword: "required", names: missing}))
	}
	if n.properties == nil && n.patternProperties == nil && n.additional == nil && !n.noAdditional {
		return
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var unknown []string
	for _, key := range keys {
		evaluated := false
		if p, ok := n.properties[key]; ok {
			evaluated = true
			add(p.check(obj[key], appendLocation(at, key)))
		}
		for _, pp := range n.patternProperties {
			if pp.re().MatchString(key) {
				evaluated = true
				add(pp.node.check(obj[key], appendLocation(at, key)))
			}
		}
		switch {
		case evaluated:
		case n.noAdditional:
			unknown = append(unknown, key)
		case n.additional != nil:
			add(n.additional.check(obj[key], appendLocation(at, key)))
		}
	}
	if unknown != nil {
		add(fail(&violation{keyword: "additionalProperties", names: unknown}))
	}
}

// checkApplicators checks not, allOf, oneOf and if/then.
func (n *schemaNode) checkApplicators(v any, at []string, add func(*violation), fail func(*violation) *violation) {
	if n.not != nil && n.not.check(v, at) == nil {
		add(fail(&violation{keyword: "not"}))
	}
	var all []*violation
	for _, s := range n.allOf {
		if x := s.check(v, at); x != nil {
			all = append(all, x)
		}
	}
	if all != nil {
		add(fail(&violation{causes: all}))
	}
	if n.oneOf != nil {
		add(n.checkOneOf(v, at, fail))
	}
	if n.ifNode != nil && n.ifNode.check(v, at) == nil && n.thenNode != nil {
		add(n.thenNode.check(v, at))
	}
}

// checkOneOf returns the violation of a oneOf that no branch fits (with the
// branches' violations as causes) or that two branches fit (naming them),
// or nil when exactly one fits.
func (n *schemaNode) checkOneOf(v any, at []string, fail func(*violation) *violation) *violation {
	matched := -1
	var branches []*violation
	for i, s := range n.oneOf {
		x := s.check(v, at)
		switch {
		case x != nil:
			branches = append(branches, x)
		case matched == -1:
			matched = i
		default:
			return fail(&violation{keyword: "oneOf", matched: []int{matched, i}})
		}
	}
	if matched == -1 {
		return fail(&violation{keyword: "oneOf", causes: branches})
	}
	return nil
}

// appendLocation returns at with tok appended, never sharing at's array.
func appendLocation(at []string, tok string) []string {
	out := make([]string, len(at), len(at)+1)
	copy(out, at)
	return append(out, tok)
}

// jsonType returns the JSON type of a value of the YAML reader, or "" for a
// value JSON cannot hold (an infinite or NaN number).
func jsonType(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return ""
		}
		return "number"
	case int64, uint64, int, json.Number:
		return "number"
	}
	return ""
}

// ratOf returns a number exactly; v must be a number (jsonType).
func ratOf(v any) *big.Rat {
	r := new(big.Rat)
	switch x := v.(type) {
	case int64:
		r.SetInt64(x)
	case uint64:
		r.SetUint64(x)
	case int:
		r.SetInt64(int64(x))
	case float64:
		// As written, not as stored: 0.1 is one tenth, as jsonschema/v6 reads it.
		if _, ok := r.SetString(strconv.FormatFloat(x, 'g', -1, 64)); !ok {
			return new(big.Rat)
		}
	case json.Number:
		if _, ok := r.SetString(x.String()); !ok {
			return new(big.Rat)
		}
	}
	return r
}

func isWhole(v any) bool { return ratOf(v).IsInt() }

// jsonEqual compares two JSON values, numbers by value (1 equals 1.0).
func jsonEqual(a, b any) bool {
	ta, tb := jsonType(a), jsonType(b)
	if ta != tb || ta == "" {
		return false
	}
	switch x := a.(type) {
	case map[string]any:
		y := b.(map[string]any)
		if len(x) != len(y) {
			return false
		}
		for k, xv := range x {
			yv, ok := y[k]
			if !ok || !jsonEqual(xv, yv) {
				return false
			}
		}
		return true
	case []any:
		y := b.([]any)
		return slices.EqualFunc(x, y, jsonEqual)
	case string, bool, nil:
		return a == b
	}
	return ratOf(a).Cmp(ratOf(b)) == 0
}
