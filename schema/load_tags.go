package schema

import (
	"math"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"

	"github.com/cicdgen/cicdgen/diag"
)

// coreTag returns the name (str, int, float, bool, null, map, seq, binary,
// timestamp) of a tag of YAML's core and 1.1 types, in any of the forms
// !!str, !<tag:yaml.org,2002:str> and tag:yaml.org,2002:str; "" otherwise.
func coreTag(tag string) string {
	name := ""
	switch {
	case strings.HasPrefix(tag, "!!"):
		name = tag[2:]
	case strings.HasPrefix(tag, "!<tag:yaml.org,2002:") && strings.HasSuffix(tag, ">"):
		name = strings.TrimSuffix(strings.TrimPrefix(tag, "!<tag:yaml.org,2002:"), ">")
	case strings.HasPrefix(tag, "tag:yaml.org,2002:"):
		name = strings.TrimPrefix(tag, "tag:yaml.org,2002:")
	}
	switch name {
	case "str", "int", "float", "bool", "null", "map", "seq", "binary", "timestamp":
		return name
	}
	return ""
}

// Scalars of YAML 1.2's core schema (spec 10.3.2), which an explicit tag
// resolves its value with.
var (
	coreInt   = lazyRegexp(`^[-+]?[0-9]+$`)
	coreOct   = lazyRegexp(`^0o[0-7]+$`)
	coreHex   = lazyRegexp(`^0x[0-9a-fA-F]+$`)
	coreFloat = lazyRegexp(`^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`)
	coreInf   = lazyRegexp(`^[-+]?\.(inf|Inf|INF)$`)
	coreNaN   = lazyRegexp(`^\.(nan|NaN|NAN)$`)
)

// walkTag converts a tagged node. A core tag decides the type of its value
// whatever its form (!!str 148259637048 is a string, !!int "1" an integer),
// as YAML 1.2 says (spec 6.9.1, examples 2.23, 5.12, 6.24, 10.1–10.8); any
// other tag is an error.
func (r *yamlReader) walkTag(n *ast.TagNode, path string, rng diag.Range) any {
	r.noteTag(n.Start)
	tag := ""
	if n.Start != nil {
		tag = n.Start.Value
	}
	name := coreTag(tag)
	if name == "" {
		r.errors(diag.Errorf(diag.RuleYAMLTag, r.tokenRange(n.Start), path, "YAML tag %s is not supported; system.yaml holds plain values", tag).
			WithHint("remove the tag; CloudFormation functions such as !Ref belong in overrides as JSON, e.g. {\"Ref\": \"Name\"}"))
		r.reported[path] = true
		if n.Value == nil {
			return nil
		}
		return r.walk(n.Value, path, r.valueRange(n.Value, rng))
	}
	value := resolveNode(n.Value, r.anchors)
	switch name {
	case "map", "seq":
		if n.Value == nil {
			return r.tagMismatch(name, n, path, rng, "nothing")
		}
		_, isMap := value.(*ast.MappingNode)
		_, isSeq := value.(*ast.SequenceNode)
		if (name == "map" && !isMap) || (name == "seq" && !isSeq) {
			return r.tagMismatch(name, n, path, rng, "")
		}
		return r.walk(n.Value, path, r.valueRange(n.Value, rng))
	}
	if inner, ok := n.Value.(*ast.AnchorNode); ok {
		// !!str &name value: the anchor names the tagged value.
		if anchor := anchorName(inner.Name); anchor != "" {
			r.anchors[anchor] = n
		}
	}
	text, ok := scalarSource(value)
	if !ok {
		return r.tagMismatch(name, n, path, rng, "")
	}
	valueRng := r.valueRange(n.Value, rng)
	r.nodes++
	r.doc.SetValue(path, valueRng)
	r.checkValueText(text, path, valueRng)
	var v any
	switch name {
	case "str", "binary", "timestamp":
		v = text
	case "null":
		if text != "" && text != "~" && text != "null" && text != "Null" && text != "NULL" {
			return r.tagMismatch(name, n, path, rng, text)
		}
		v = nil
	case "bool":
		switch text {
		case "true", "True", "TRUE":
			v = true
		case "false", "False", "FALSE":
			v = false
		default:
			return r.tagMismatch(name, n, path, rng, text)
		}
	case "int":
		i, ok := coreInteger(text)
		if !ok {
			return r.tagMismatch(name, n, path, rng, text)
		}
		v = i
	case "float":
		f, ok := coreFloatValue(text)
		if !ok {
			return r.tagMismatch(name, n, path, rng, text)
		}
		v = f
	}
	return v
}

// tagMismatch reports a value that is not of its core tag's type.
func (r *yamlReader) tagMismatch(name string, n *ast.TagNode, path string, rng diag.Range, text string) any {
	what := map[string]string{
		"int": "an integer", "float": "a number", "bool": "true or false", "null": "null (empty, ~ or null)",
		"map": "a mapping", "seq": "a list", "str": "a scalar", "binary": "a scalar", "timestamp": "a scalar",
	}[name]
	at := r.valueRange(n.Value, rng)
	got := strconv.Quote(text)
	if text == "" {
		got = "this value"
	}
	r.errors(diag.Errorf(diag.RuleYAMLTag, at, path, "the tag !!%s says this value is %s, but %s is not", name, what, got).
		WithHint("remove the tag, or write a value of its type"))
	r.reported[path] = true
	r.doc.SetValue(path, at)
	return nil
}

// scalarSource returns the text of a scalar node as YAML reads it before
// resolving its type: a quoted scalar's content, a plain scalar as written.
func scalarSource(n ast.Node) (string, bool) {
	switch v := n.(type) {
	case nil:
		return "", true
	case *ast.StringNode:
		return v.Value, true
	case *ast.LiteralNode:
		if v.Value != nil {
			return v.Value.Value, true
		}
		return "", true
	case *ast.NullNode:
		if v.Token == nil || v.Token.Type == token.ImplicitNullType {
			return "", true
		}
		return v.Token.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		if tk := n.GetToken(); tk != nil {
			return tk.Value, true
		}
	}
	return "", false
}

// coreInteger reads an integer of the core schema: decimal, 0o octal or 0x
// hexadecimal.
func coreInteger(s string) (any, bool) {
	base, digits := 10, s
	switch {
	case coreOct().MatchString(s):
		base, digits = 8, s[2:]
	case coreHex().MatchString(s):
		base, digits = 16, s[2:]
	case !coreInt().MatchString(s):
		return nil, false
	}
	if i, err := strconv.ParseInt(digits, base, 64); err == nil {
		return i, true
	}
	if u, err := strconv.ParseUint(strings.TrimPrefix(digits, "+"), base, 64); err == nil {
		return u, true
	}
	return nil, false
}

// coreFloatValue reads a number of the core schema. Infinity and NaN, which
// JSON cannot hold, stay text, as untagged ones do.
func coreFloatValue(s string) (any, bool) {
	switch {
	case coreInf().MatchString(s), coreNaN().MatchString(s):
		return s, true
	case coreFloat().MatchString(s):
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsInf(f, 0) {
			return nil, false
		}
		return f, true
	}
	return nil, false
}

// noteTag records the column the parser gave a tag (see tagShift).
func (r *yamlReader) noteTag(tk *token.Token) {
	if tk == nil || tk.Position == nil {
		return
	}
	if r.tagColumns == nil {
		r.tagColumns = map[int][]int{}
	}
	cols := r.tagColumns[tk.Position.Line]
	for _, c := range cols {
		if c == tk.Position.Column {
			return
		}
	}
	r.tagColumns[tk.Position.Line] = append(cols, tk.Position.Column)
}

// tagShift returns how many columns the parser placed tk too early. The
// parser (goccy/go-yaml v1.19) loses one column for every tag before a token
// on its line: in `a: !!str 5` it puts 5 at column 9, not 10
// (docs/yaml-parser.md).
func (r *yamlReader) tagShift(tk *token.Token) int {
	if tk == nil || tk.Position == nil {
		return 0
	}
	shift := 0
	for _, c := range r.tagColumns[tk.Position.Line] {
		if c < tk.Position.Column {
			shift++
		}
	}
	return shift
}

// resolvePlain returns the value of a plain scalar that the parser read as
// parsed, by YAML 1.2's core schema (spec 10.3.2): the parser follows YAML
// 1.1 for some numbers (docs/yaml-parser.md), reading 010 as 8, 0b101 and
// 1_000 as integers and +12e03 as a string, where YAML 1.2 reads 10, two
// strings and 12000.
func resolvePlain(text string, parsed any) any {
	if i, ok := coreInteger(text); ok {
		return i
	}
	if f, ok := coreFloatValue(text); ok {
		return f
	}
	switch parsed.(type) {
	case int64, uint64, float64:
		return text // a YAML 1.1 number that YAML 1.2 reads as a string
	}
	return parsed
}
