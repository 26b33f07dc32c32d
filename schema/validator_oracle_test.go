package schema

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"

	"github.com/cicdgen/cicdgen/diag"
)

// The validator of validator.go replaces jsonschema/v6 in the binary; the
// tests keep jsonschema/v6 as the oracle it must agree with. For every
// system.yaml of the repository's testdata and examples, and every input of
// the fuzz corpus, both must accept or reject it alike and, through the same
// explain, say exactly the same diagnostics.

// oracle is system.schema.json compiled by jsonschema/v6.
type oracle struct {
	schema *jsonschema.Schema
	ours   *compiledValidator // to look the failing subschemas up
}

func newOracle(tb testing.TB) *oracle {
	tb.Helper()
	ours, err := compileSchema()
	if err != nil {
		tb.Fatal(err)
	}
	return &oracle{schema: compileWithJSONSchema(tb), ours: ours}
}

// compileWithJSONSchema compiles the embedded schema with jsonschema/v6.
func compileWithJSONSchema(tb testing.TB) *jsonschema.Schema {
	tb.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
	if err != nil {
		tb.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource(SchemaID, doc); err != nil {
		tb.Fatal(err)
	}
	sch, err := c.Compile(SchemaID)
	if err != nil {
		tb.Fatal(err)
	}
	return sch
}

// violations returns jsonschema/v6's verdict on value as a violation tree,
// nil when it accepts value.
func (o *oracle) violations(value any) (*violation, error) {
	err := o.schema.Validate(value)
	if err == nil {
		return nil, nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return nil, err
	}
	return o.convert(ve)
}

// convert maps a jsonschema/v6 error tree onto violations.
func (o *oracle) convert(e *jsonschema.ValidationError) (*violation, error) {
	sch, _ := o.ours.lookup(e.SchemaURL).(map[string]any)
	v := &violation{schema: sch, at: e.InstanceLocation}
	switch k := e.ErrorKind.(type) {
	case *kind.Schema, *kind.Group, *kind.Reference, *kind.AllOf:
	case *kind.OneOf:
		v.keyword, v.matched = "oneOf", k.Subschemas
	case *kind.Type:
		v.keyword, v.got, v.want = "type", k.Got, k.Want
	case *kind.Const:
		v.keyword, v.got, v.want = "const", k.Got, k.Want
	case *kind.Enum:
		v.keyword, v.got, v.want = "enum", k.Got, k.Want
	case *kind.Pattern:
		v.keyword, v.got, v.want = "pattern", k.Got, k.Want
	case *kind.Minimum:
		v.keyword = "minimum"
	case *kind.Maximum:
		v.keyword = "maximum"
	case *kind.MinLength:
		v.keyword, v.gotLen, v.wantLen = "minLength", k.Got, k.Want
	case *kind.MaxLength:
		v.keyword, v.gotLen, v.wantLen = "maxLength", k.Got, k.Want
	case *kind.MinItems:
		v.keyword, v.gotLen, v.wantLen = "minItems", k.Got, k.Want
	case *kind.Required:
		v.keyword, v.names = "required", k.Missing
	case *kind.AdditionalProperties:
		v.keyword, v.names = "additionalProperties", k.Properties
	case *kind.Not:
		v.keyword = "not"
	case *kind.InvalidJsonValue:
		v.keyword, v.got = "invalid", fmt.Sprintf("%T", k.Value)
	default:
		return nil, fmt.Errorf("jsonschema/v6 reports %T, which the validator does not implement", k)
	}
	for _, c := range e.Causes {
		cv, err := o.convert(c)
		if err != nil {
			return nil, err
		}
		v.causes = append(v.causes, cv)
	}
	return v, nil
}

// compare checks that the validator and the oracle agree on src: whether it
// is valid, and every diagnostic said of it. It returns whether src was YAML
// for them to validate, and whether it was valid.
func (o *oracle) compare(t *testing.T, name string, src []byte) (yaml, valid bool) {
	t.Helper()
	doc := NewDocument(name, src)
	r := newYAMLReader(name, src, doc, DefaultLimits())
	value, ok := r.read()
	if !ok {
		return false, false // not YAML: neither validator sees it
	}
	want, err := o.violations(value)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	got := o.ours.root.check(value, nil)
	if (got == nil) != (want == nil) {
		t.Fatalf("%s: the validator says valid=%v, jsonschema/v6 valid=%v:\n%v\n%v", name, got == nil, want == nil,
			o.ours.explainAll(got, value, doc, map[string]string{}), o.ours.explainAll(want, value, doc, map[string]string{}))
	}
	gotDiags := o.ours.explainAll(got, value, doc, map[string]string{}).Normalize()
	wantDiags := o.ours.explainAll(want, value, doc, map[string]string{}).Normalize()
	if g, w := diagText(gotDiags), diagText(wantDiags); g != w {
		t.Errorf("%s: diagnostics differ from jsonschema/v6's\ngot:\n%s\nwant:\n%s", name, g, w)
	}
	return true, want == nil
}

func diagText(ds diag.Diagnostics) string {
	var b strings.Builder
	for _, d := range ds {
		fmt.Fprintf(&b, "%s %s %s [%s] %s | %s\n", d.Range, d.Path, d.Severity, d.Rule, d.Message, d.Hint)
	}
	return b.String()
}

// oracleInputs returns every system.yaml-like input the repository holds,
// by name: the testdata and examples files and the fuzz corpus.
func oracleInputs(tb testing.TB) map[string][]byte {
	tb.Helper()
	inputs := map[string][]byte{}
	var files []string
	for _, pattern := range []string{"testdata/*/*.yaml", "testdata/*/*/*.yaml", "../examples/*/*.yaml"} {
		matches, err := filepath.Glob(filepath.FromSlash(pattern))
		if err != nil {
			tb.Fatal(err)
		}
		files = append(files, matches...)
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		inputs[f] = src
	}
	corpus, err := filepath.Glob(filepath.Join("testdata", "fuzz", "*", "*"))
	if err != nil {
		tb.Fatal(err)
	}
	for _, f := range corpus {
		src, err := readCorpusEntry(f)
		if err != nil {
			tb.Fatalf("%s: %v", f, err)
		}
		if src != nil {
			inputs[f] = src
		}
	}
	return inputs
}

// readCorpusEntry reads a fuzz corpus file holding one []byte value (go test
// fuzz v1), or returns nil for a file of another shape.
func readCorpusEntry(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	header, rest, _ := strings.Cut(string(data), "\n")
	if header != "go test fuzz v1" {
		return nil, nil
	}
	rest = strings.TrimSpace(rest)
	if !strings.HasPrefix(rest, "[]byte(") || !strings.HasSuffix(rest, ")") || strings.Contains(rest, "\n") {
		return nil, nil
	}
	s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(rest, "[]byte("), ")"))
	if err != nil {
		return nil, err
	}
	return []byte(s), nil
}

func TestValidatorMatchesJSONSchemaOracle(t *testing.T) {
	o := newOracle(t)
	inputs := oracleInputs(t)
	// The testdata files and the pruned fuzz corpus hold about 400: far
	// fewer means the inputs were not found.
	if len(inputs) < 350 {
		t.Fatalf("only %d inputs to compare; the testdata and fuzz corpus hold more", len(inputs))
	}
	valid, invalid := 0, 0
	for name, src := range inputs {
		switch yaml, ok := o.compare(t, name, src); {
		case ok:
			valid++
		case yaml:
			invalid++
		}
	}
	if valid < 100 || invalid < 100 {
		t.Errorf("%d valid and %d invalid inputs: the comparison needs many of both", valid, invalid)
	}
}

// FuzzValidatorMatchesJSONSchemaOracle compares the validator with
// jsonschema/v6 on arbitrary input, seeded with the repository's system.yaml
// files (TestValidatorMatchesJSONSchemaOracle covers the fuzz corpus too).
func FuzzValidatorMatchesJSONSchemaOracle(f *testing.F) {
	for name, src := range oracleInputs(f) {
		if strings.HasSuffix(name, ".yaml") {
			f.Add(src)
		}
	}
	o := newOracle(f)
	f.Fuzz(func(t *testing.T, src []byte) {
		o.compare(t, "fuzz.yaml", src)
	})
}

// seedValue returns the seed example as the YAML reader's generic value.
func seedValue(b *testing.B) any {
	b.Helper()
	name, src := seedSource(b)
	r := newYAMLReader(name, src, NewDocument(name, src), DefaultLimits())
	value, ok := r.read()
	if !ok {
		b.Fatal("the seed is not YAML")
	}
	return value
}

// BenchmarkValidateSeed measures validating the seed with the validator;
// BenchmarkValidateSeedJSONSchemaOracle does the same with jsonschema/v6.
func BenchmarkValidateSeed(b *testing.B) {
	value := seedValue(b)
	c, err := compileSchema()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if c.root.check(value, nil) != nil {
			b.Fatal("the seed is invalid")
		}
	}
}

func BenchmarkValidateSeedJSONSchemaOracle(b *testing.B) {
	value := seedValue(b)
	o := newOracle(b)
	b.ReportAllocs()
	for b.Loop() {
		if err := o.schema.Validate(value); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompileSchemaJSONSchemaOracle measures what BenchmarkCompileSchema
// does, with jsonschema/v6 (which has compiled its meta-schemas at init).
func BenchmarkCompileSchemaJSONSchemaOracle(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		compileWithJSONSchema(b)
	}
}

// lookup returns the schema node a schema URL of jsonschema/v6 points at,
// or nil.
func (c *compiledValidator) lookup(schemaURL string) any {
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
