package diag

import (
	"bytes"
	"strings"
	"testing"
)

// at returns a range on one line of system.yaml, columns [col, end).
func at(line, col, end int) Range {
	return Range{Filename: "system.yaml", Start: Pos{Line: line, Column: col}, End: Pos{Line: line, Column: end}}
}

func TestParseFormat(t *testing.T) {
	cases := map[string]struct {
		in      string
		want    string
		wantErr bool
	}{
		"the empty string means text":     {in: "", want: FormatText},
		"text is accepted":                {in: "text", want: FormatText},
		"json is accepted":                {in: "json", want: FormatJSON},
		"sarif is accepted":               {in: "sarif", want: FormatSARIF},
		"github is accepted":              {in: "github", want: FormatGitHub},
		"an unknown format is an error":   {in: "xml", wantErr: true},
		"formats are case sensitive":      {in: "JSON", wantErr: true},
		"a format with spaces is refused": {in: " text", wantErr: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := ParseFormat(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("ParseFormat(%q) error = %v, want error %v", tc.in, err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("ParseFormat(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestRenderRefusesAnUnknownFormat(t *testing.T) {
	var b bytes.Buffer
	err := Render(&b, nil, RenderOptions{Format: "yaml"})
	if err == nil || !strings.Contains(err.Error(), `"yaml"`) {
		t.Fatalf("Render with format yaml: error = %v, want one naming the format", err)
	}
	if b.Len() != 0 {
		t.Errorf("Render wrote %q before failing", b.String())
	}
}

func TestRenderLeavesItsInputInOrder(t *testing.T) {
	ds := Diagnostics{
		Errorf("b", at(9, 1, 2), "", "second"),
		Errorf("a", at(1, 1, 2), "", "first"),
	}
	if err := Render(&bytes.Buffer{}, ds, RenderOptions{Format: FormatJSON}); err != nil {
		t.Fatal(err)
	}
	if ds[0].Rule != "b" || ds[1].Rule != "a" {
		t.Errorf("Render reordered its input: %v", ds)
	}
}

func TestSummary(t *testing.T) {
	w := Warningf("w", at(1, 1, 2), "", "w")
	e := Errorf("e", at(1, 1, 2), "", "e")
	cases := map[string]struct {
		ds   Diagnostics
		want string
	}{
		"nothing gives an empty summary":     {ds: nil, want: ""},
		"one error is singular":              {ds: Diagnostics{e}, want: "1 error"},
		"one warning is singular":            {ds: Diagnostics{w}, want: "1 warning"},
		"errors come before warnings":        {ds: Diagnostics{w, e, e}, want: "2 errors, 1 warning"},
		"several warnings alone are plural":  {ds: Diagnostics{w, w, w}, want: "3 warnings"},
		"several of both are plural as well": {ds: Diagnostics{w, e, w, e}, want: "2 errors, 2 warnings"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := Summary(tc.ds); got != tc.want {
				t.Errorf("Summary = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestPlural(t *testing.T) {
	cases := map[int]string{0: "0 stacks", 1: "1 stack", 2: "2 stacks", 12: "12 stacks"}
	for n, want := range cases {
		if got := Plural(n, "stack"); got != want {
			t.Errorf("Plural(%d) = %q, want %q", n, got, want)
		}
	}
}
