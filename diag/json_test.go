package diag

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestRenderJSON(t *testing.T) {
	cases := map[string]struct {
		ds   Diagnostics
		want string
	}{
		"an empty list is an empty array, not null": {
			ds: nil,
			want: `{
  "diagnostics": [],
  "errors": 0,
  "warnings": 0
}
`,
		},
		"every field is present, sorted by position, with counts": {
			ds: Diagnostics{
				Errorf("fargate-size", at(31, 8, 11), "$.service.cpu", "cpu 300 is not a Fargate size").WithHint("use 256 <or> 512 & more"),
				Warningf("placeholder-account", Range{Filename: "system.yaml", Start: Pos{Line: 4, Column: 12}, End: Pos{Line: 4, Column: 26}}, "$.accounts.tooling", "123456789012 looks like a placeholder"),
			},
			want: `{
  "diagnostics": [
    {
      "file": "system.yaml",
      "line": 4,
      "column": 12,
      "endLine": 4,
      "endColumn": 26,
      "severity": "warning",
      "rule": "placeholder-account",
      "message": "123456789012 looks like a placeholder",
      "hint": "",
      "path": "$.accounts.tooling"
    },
    {
      "file": "system.yaml",
      "line": 31,
      "column": 8,
      "endLine": 31,
      "endColumn": 11,
      "severity": "error",
      "rule": "fargate-size",
      "message": "cpu 300 is not a Fargate size",
      "hint": "use 256 <or> 512 & more",
      "path": "$.service.cpu"
    }
  ],
  "errors": 1,
  "warnings": 1
}
`,
		},
		"repeated diagnostics are printed once": {
			ds: Diagnostics{Errorf("r", Range{Filename: "a.yaml"}, "", "m"), Errorf("r", Range{Filename: "a.yaml"}, "", "m")},
			want: `{
  "diagnostics": [
    {
      "file": "a.yaml",
      "line": 0,
      "column": 0,
      "endLine": 0,
      "endColumn": 0,
      "severity": "error",
      "rule": "r",
      "message": "m",
      "hint": "",
      "path": ""
    }
  ],
  "errors": 1,
  "warnings": 0
}
`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Render(&b, tc.ds, RenderOptions{Format: FormatJSON}); err != nil {
				t.Fatal(err)
			}
			if got := b.String(); got != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
			}
			if !json.Valid(b.Bytes()) {
				t.Errorf("output is not valid JSON")
			}
		})
	}
}
