package diag

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestRenderGitHub(t *testing.T) {
	cases := map[string]struct {
		ds   Diagnostics
		want string
	}{
		"an empty list writes nothing": {ds: nil, want: ""},
		"an error names file, line, columns and rule": {
			ds:   Diagnostics{Errorf("fargate-size", at(31, 8, 11), "", "cpu 300 is not a Fargate size")},
			want: "::error file=system.yaml,line=31,col=8,endColumn=10,title=fargate-size::cpu 300 is not a Fargate size\n",
		},
		"a warning is a warning command": {
			ds:   Diagnostics{Warningf("placeholder-account", at(3, 12, 26), "", "placeholder")},
			want: "::warning file=system.yaml,line=3,col=12,endColumn=25,title=placeholder-account::placeholder\n",
		},
		"a one-character range has no end column": {
			ds:   Diagnostics{Errorf("r", at(2, 5, 6), "", "m")},
			want: "::error file=system.yaml,line=2,col=5,title=r::m\n",
		},
		"a range over several lines gives an end line and no columns": {
			ds:   Diagnostics{Errorf("r", Range{Filename: "system.yaml", Start: Pos{Line: 2, Column: 1}, End: Pos{Line: 5, Column: 3}}, "", "m")},
			want: "::error file=system.yaml,line=2,endLine=5,title=r::m\n",
		},
		"a diagnostic without a line names only its file": {
			ds:   Diagnostics{Errorf("read", Range{Filename: "system.yaml"}, "", "m")},
			want: "::error file=system.yaml,title=read::m\n",
		},
		"a diagnostic without file or rule is a bare command": {
			ds:   Diagnostics{{Severity: Warning, Message: "m"}},
			want: "::warning::m\n",
		},
		"the hint joins the message on a new line, escaped": {
			ds:   Diagnostics{Diagnostic{Severity: Error, Rule: "r", Range: at(1, 1, 2), Message: "100% wrong\r", Hint: "fix it"}},
			want: "::error file=system.yaml,line=1,col=1,title=r::100%25 wrong%0D%0Afix it\n",
		},
		"colons and commas in messages stay as they are": {
			ds:   Diagnostics{Errorf("r", at(1, 1, 2), "", "a: b, c::d")},
			want: "::error file=system.yaml,line=1,col=1,title=r::a: b, c::d\n",
		},
		"properties escape percent, newlines, colons and commas": {
			ds:   Diagnostics{Errorf("odd:rule,x", Range{Filename: "dir,1/a:b%\n.yaml", Start: Pos{Line: 1, Column: 1}}, "", "m")},
			want: "::error file=dir%2C1/a%3Ab%25%0A.yaml,line=1,col=1,title=odd%3Arule%2Cx::m\n",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Render(&b, tc.ds, RenderOptions{Format: FormatGitHub}); err != nil {
				t.Fatal(err)
			}
			if got := b.String(); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestAnnotationString(t *testing.T) {
	cases := map[string]struct {
		a    Annotation
		want string
	}{
		"a bare annotation is the level and the message": {
			a: Annotation{Level: "error", Message: "m"}, want: "::error::m",
		},
		"properties come in the order file, line, endLine, col, endColumn, title": {
			a:    Annotation{Level: "warning", File: "a.yaml", Line: 3, Column: 2, EndColumn: 4, Title: "t", Message: "m"},
			want: "::warning file=a.yaml,line=3,col=2,endColumn=4,title=t::m",
		},
		"the title escapes its separators, the message only percent and newlines": {
			a:    Annotation{Level: "error", Title: "Stack a,b: failed", Message: "50%: x,\ny"},
			want: "::error title=Stack a%2Cb%3A failed::50%25: x,%0Ay",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := tc.a.String(); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

// failingWriter fails every write.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteAnnotationsReturnsTheWriteError(t *testing.T) {
	err := WriteAnnotations(failingWriter{}, []Annotation{{Level: "error", Message: "m"}})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("err = %v, want the write error", err)
	}
}
