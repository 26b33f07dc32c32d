package compiler

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

// referenceDecode is encoding/json's answer, the one decodeJSON must give.
func referenceDecode(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if len(bytes.TrimLeft(raw[dec.InputOffset():], " \t\r\n")) > 0 {
		return nil, errTrailing
	}
	return v, nil
}

var errTrailing = errors.New("trailing data")

func TestDecodeJSONAgreesWithEncodingJSON(t *testing.T) {
	cases := map[string]string{
		"an object of every kind of value":   `{"a": 1, "b": -2.5e+3, "c": "x", "d": true, "e": false, "f": null, "g": [], "h": {}}`,
		"nested arrays and objects":          `[{"Fn::If": ["HasImage", {"Ref": "ImageUri"}, "busybox"]}, [1, [2, [3]]]]`,
		"escapes in strings and keys":        `{"a\"b": "line\nnext\ttab \u00e9 \ud83d\ude00 \/ \\"}`,
		"raw UTF-8 is kept":                  `"añ€😀"`,
		"white space around everything":      " \t\r\n{ \"a\" : [ 1 , 2 ] } \n",
		"numbers keep their text":            `[0, -0, 10, 1.50, 1e5, 1E-5, 123456789012345678901234567890]`,
		"a duplicate key keeps the last":     `{"a": 1, "a": 2}`,
		"an empty string":                    `""`,
		"a trailing comma is an error":       `[1, 2,]`,
		"a leading zero is an error":         `012`,
		"a bare dot is an error":             `1.`,
		"an unterminated string is an error": `"abc`,
		"trailing data is an error":          `{} {}`,
		"a control character is an error":    "\"a\x01b\"",
		"a single quote is an error":         `'a'`,
		"invalid UTF-8 is replaced":          "\"a\xffb\"",
		"nothing is an error":                ``,
		"a bad escape is an error":           `"\x"`,
		"a lone surrogate is replaced":       `"\ud800"`,
		"a missing value is an error":        `{"a": }`,
		"a truncated literal is an error":    `tru`,
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			want, wantErr := referenceDecode([]byte(in))
			got, err := decodeJSON([]byte(in))
			if (err != nil) != (wantErr != nil) {
				t.Fatalf("decodeJSON(%q) error = %v, encoding/json's = %v", in, err, wantErr)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("decodeJSON(%q) = %#v, encoding/json gives %#v", in, got, want)
			}
		})
	}
}

func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"a":[1,"b",{"c":null}]}`, `"\u00e9\n"`, `-1.5e10`, `[true,false]`, `{"a" 1}`, "\"\xff\""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		want, wantErr := referenceDecode(in)
		got, err := decodeJSON(in)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("decodeJSON(%q) error = %v, encoding/json's = %v", in, err, wantErr)
		}
		if err == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("decodeJSON(%q) = %#v, encoding/json gives %#v", in, got, want)
		}
	})
}
