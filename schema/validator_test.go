package schema

import (
	"bytes"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

func TestCompileValidatorRefusesWhatItDoesNotImplement(t *testing.T) {
	tests := []struct {
		name, schema, wantErr string
	}{
		{"unknown keyword", `{"type": "array", "uniqueItems": true}`, "#/uniqueItems: keyword not supported"},
		{"else", `{"if": {"type": "string"}, "else": {"const": 1}}`, "#/else: keyword not supported"},
		{"remote ref", `{"$ref": "https://example.com/s.json"}`, "only references within the document"},
		{"dangling ref", `{"$ref": "#/$defs/nothing"}`, "points at nothing"},
		{"bad pattern", `{"pattern": "("}`, "missing closing )"},
		{"bad type", `{"type": "text"}`, `unknown type "text"`},
		{"then without if", `{"then": {}}`, "then without if"},
		{"negative bound", `{"minLength": -1}`, "non-negative integer"},
		{"not JSON", `{"type": }`, "parse"},
		{"not an object", `[]`, "a schema must be an object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := compileValidator([]byte(tt.schema))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

// TestValidatorVerdictsOnKeywords checks each implemented keyword, the
// corners included, against jsonschema/v6 on small schemas.
func TestValidatorVerdictsOnKeywords(t *testing.T) {
	tests := []struct {
		schema string
		values []any
	}{
		{`{"type": "integer"}`, []any{int64(3), 3.0, 3.5, "3", nil, uint64(1 << 63)}},
		{`{"type": ["string", "null"]}`, []any{"x", nil, false, []any{}}},
		{`{"const": 1}`, []any{int64(1), 1.0, uint64(1), "1", true}},
		{`{"enum": ["a", 2, null]}`, []any{"a", int64(2), 2.0, nil, "b"}},
		{`{"minimum": 0.1, "maximum": 10}`, []any{0.1, 0.09999, int64(10), 10.000001, int64(0), "x"}},
		{`{"minLength": 2, "maxLength": 3, "pattern": "^a"}`, []any{"ab", "a", "abcd", "ba", "äb", int64(1)}},
		{`{"minItems": 1, "items": {"type": "string"}}`, []any{[]any{}, []any{"x"}, []any{"x", int64(1)}}},
		{`{"required": ["a"], "properties": {"a": {"type": "string"}}, "patternProperties": {"^x-": {"type": "integer"}}, "additionalProperties": false}`,
			[]any{map[string]any{"a": "y"}, map[string]any{}, map[string]any{"a": "y", "x-n": int64(1)}, map[string]any{"a": "y", "x-n": "1"}, map[string]any{"a": "y", "b": true}}},
		{`{"additionalProperties": {"type": "boolean"}}`, []any{map[string]any{"a": true}, map[string]any{"a": int64(1)}}},
		{`{"not": {"required": ["a", "b"]}}`, []any{map[string]any{"a": int64(1)}, map[string]any{"a": int64(1), "b": int64(2)}, "x"}},
		{`{"oneOf": [{"type": "string"}, {"minLength": 2}]}`, []any{"ab", "a", int64(1), []any{}}},
		{`{"allOf": [{"type": "object"}, {"if": {"required": ["a"]}, "then": {"required": ["b"]}}]}`,
			[]any{map[string]any{"a": int64(1)}, map[string]any{"a": int64(1), "b": int64(1)}, map[string]any{}, "x"}},
		{`{"$defs": {"s": {"type": "string"}}, "properties": {"a": {"$ref": "#/$defs/s"}}}`, []any{map[string]any{"a": "x"}, map[string]any{"a": int64(1)}}},
	}
	for _, tt := range tests {
		ours, err := compileValidator([]byte(tt.schema))
		if err != nil {
			t.Fatalf("%s: %v", tt.schema, err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(tt.schema)))
		if err != nil {
			t.Fatal(err)
		}
		c := jsonschema.NewCompiler()
		c.DefaultDraft(jsonschema.Draft2020)
		if err := c.AddResource("s.json", doc); err != nil {
			t.Fatal(err)
		}
		theirs, err := c.Compile("s.json")
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range tt.values {
			got := ours.root.check(v, nil) == nil
			want := theirs.Validate(v) == nil
			if got != want {
				t.Errorf("%s on %#v: valid=%v, jsonschema/v6 says %v", tt.schema, v, got, want)
			}
		}
	}
}
