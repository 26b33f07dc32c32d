package diag

import (
	"bytes"
	"strings"
	"testing"
)

const fargateSource = `version: 1
name: shop
service:
  name: web
  cpu: 300
`

func TestRenderText(t *testing.T) {
	fargate := Errorf("fargate-size", at(5, 8, 11), "$.service.cpu",
		"cpu 300 is not a Fargate size; use 256, 512, 1024, 2048, 4096, 8192 or 16384")
	sources := map[string][]byte{"system.yaml": []byte(fargateSource)}
	cases := map[string]struct {
		ds      Diagnostics
		sources map[string][]byte
		color   bool
		want    string
	}{
		"an empty list writes nothing": {
			ds:   nil,
			want: "",
		},
		"an error shows its line with a caret under the range, as in SPEC.md": {
			ds:      Diagnostics{fargate},
			sources: sources,
			want: `system.yaml:5:8: error[fargate-size]: cpu 300 is not a Fargate size; use 256, 512, 1024, 2048, 4096, 8192 or 16384
    5 |   cpu: 300
      |        ^^^

1 error
`,
		},
		"a hint follows the snippet, indented": {
			ds:      Diagnostics{Errorf("unknown-key", at(2, 1, 5), "$.name", "unknown key nmae").WithHint("did you mean \"name\"?")},
			sources: map[string][]byte{"system.yaml": []byte("version: 1\nnmae: shop\n")},
			want: `system.yaml:2:1: error[unknown-key]: unknown key nmae
    2 | nmae: shop
      | ^^^^
  hint: did you mean "name"?

1 error
`,
		},
		"a hint of several lines keeps its lines indented": {
			ds:      Diagnostics{Warningf("placeholder", at(1, 1, 2), "", "placeholder").WithHint("first\nsecond")},
			sources: map[string][]byte{"system.yaml": []byte("x\n")},
			want: `system.yaml:1:1: warning[placeholder]: placeholder
    1 | x
      | ^
  hint: first
        second

1 warning
`,
		},
		"several diagnostics are sorted, separated by blank lines and counted": {
			ds: Diagnostics{
				fargate,
				Warningf("placeholder-account", at(1, 10, 11), "$.version", "looks like a placeholder"),
				Errorf("unknown-account", at(4, 9, 12), "$.service.name", "no such account"),
			},
			sources: sources,
			want: `system.yaml:1:10: warning[placeholder-account]: looks like a placeholder
    1 | version: 1
      |          ^

system.yaml:4:9: error[unknown-account]: no such account
    4 |   name: web
      |         ^^^

system.yaml:5:8: error[fargate-size]: cpu 300 is not a Fargate size; use 256, 512, 1024, 2048, 4096, 8192 or 16384
    5 |   cpu: 300
      |        ^^^

2 errors, 1 warning
`,
		},
		"an empty range still gets one caret": {
			ds:      Diagnostics{Errorf("r", Range{Filename: "system.yaml", Start: Pos{Line: 2, Column: 7}}, "", "m")},
			sources: map[string][]byte{"system.yaml": []byte("a: 1\nname: shop\n")},
			want: `system.yaml:2:7: error[r]: m
    2 | name: shop
      |       ^

1 error
`,
		},
		"a range over several lines is underlined to the end of its first line": {
			ds:      Diagnostics{Errorf("r", Range{Filename: "system.yaml", Start: Pos{Line: 1, Column: 1}, End: Pos{Line: 3, Column: 4}}, "", "m")},
			sources: map[string][]byte{"system.yaml": []byte("service:\n  a: 1\n  b: 2\n")},
			want: `system.yaml:1:1: error[r]: m
    1 | service:
      | ^^^^^^^^

1 error
`,
		},
		"a column past the end of the line points just after it": {
			ds:      Diagnostics{Errorf("missing", at(1, 40, 41), "", "m")},
			sources: map[string][]byte{"system.yaml": []byte("service:\n")},
			want: `system.yaml:1:40: error[missing]: m
    1 | service:
      |         ^

1 error
`,
		},
		"tabs are expanded so the caret stays under its character": {
			ds:      Diagnostics{Errorf("tab", at(1, 3, 5), "", "m")},
			sources: map[string][]byte{"system.yaml": []byte("\t\tab: 1\n")},
			want: "system.yaml:1:3: error[tab]: m\n" +
				"    1 |         ab: 1\n" +
				"      |         ^^\n\n1 error\n",
		},
		"a caret under a tab covers the tab's width": {
			ds:      Diagnostics{Errorf("tab", at(1, 2, 3), "", "m")},
			sources: map[string][]byte{"system.yaml": []byte("a\tb\n")},
			want: "system.yaml:1:2: error[tab]: m\n" +
				"    1 | a   b\n" +
				"      |  ^^^\n\n1 error\n",
		},
		"columns count characters, not bytes": {
			ds:      Diagnostics{Errorf("r", at(1, 7, 10), "", "m")},
			sources: map[string][]byte{"system.yaml": []byte("é: \"ü\" bad\n")},
			want: "system.yaml:1:7: error[r]: m\n" +
				"    1 | é: \"ü\" bad\n" +
				"      |       ^^^\n\n1 error\n",
		},
		"carriage returns of CRLF files are not printed": {
			ds:      Diagnostics{Errorf("r", at(1, 1, 2), "", "m")},
			sources: map[string][]byte{"system.yaml": []byte("a: 1\r\nb: 2\r\n")},
			want:    "system.yaml:1:1: error[r]: m\n    1 | a: 1\n      | ^\n\n1 error\n",
		},
		"without the source there is no snippet": {
			ds:   Diagnostics{fargate},
			want: "system.yaml:5:8: error[fargate-size]: cpu 300 is not a Fargate size; use 256, 512, 1024, 2048, 4096, 8192 or 16384\n\n1 error\n",
		},
		"a line beyond the end of the source has no snippet": {
			ds:      Diagnostics{Errorf("r", at(99, 1, 2), "", "m")},
			sources: sources,
			want:    "system.yaml:99:1: error[r]: m\n\n1 error\n",
		},
		"a diagnostic without a line names only its file": {
			ds:      Diagnostics{Errorf("read", Range{Filename: "system.yaml"}, "", "no such file")},
			sources: sources,
			want:    "system.yaml: error[read]: no such file\n\n1 error\n",
		},
		"a diagnostic without a file or a rule is still readable": {
			ds:   Diagnostics{{Severity: Warning, Message: "something"}},
			want: "warning: something\n\n1 warning\n",
		},
		"colour marks the location, severity, gutter and caret": {
			ds:      Diagnostics{fargate.WithHint("h")},
			sources: sources,
			color:   true,
			want: "\x1b[1msystem.yaml:5:8:\x1b[0m \x1b[1;31merror[fargate-size]:\x1b[0m cpu 300 is not a Fargate size; use 256, 512, 1024, 2048, 4096, 8192 or 16384\n" +
				"\x1b[34m    5 | \x1b[0m  cpu: 300\n" +
				"\x1b[34m      |\x1b[0m        \x1b[1;31m^^^\x1b[0m\n" +
				"  \x1b[1mhint:\x1b[0m h\n\n" +
				"\x1b[1;31m1 error\x1b[0m\n",
		},
		"warnings are coloured yellow": {
			ds:    Diagnostics{Warningf("w", Range{Filename: "f"}, "", "m")},
			color: true,
			want:  "\x1b[1mf:\x1b[0m \x1b[1;33mwarning[w]:\x1b[0m m\n\n\x1b[1;33m1 warning\x1b[0m\n",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Render(&b, tc.ds, RenderOptions{Sources: tc.sources, Color: tc.color}); err != nil {
				t.Fatal(err)
			}
			if got := b.String(); got != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s\n(got %q)", got, tc.want, got)
			}
		})
	}
}

func TestRenderTextWidensTheGutterForLongFiles(t *testing.T) {
	src := strings.Repeat("a: 1\n", 123455) + "name: shop\n"
	ds := Diagnostics{Errorf("r", at(123456, 7, 11), "", "m")}
	var b bytes.Buffer
	if err := Render(&b, ds, RenderOptions{Sources: map[string][]byte{"system.yaml": []byte(src)}}); err != nil {
		t.Fatal(err)
	}
	want := "system.yaml:123456:7: error[r]: m\n" +
		" 123456 | name: shop\n" +
		"        |       ^^^^\n\n1 error\n"
	if got := b.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestRenderTextPrintsNoRawControlCharacter(t *testing.T) {
	cases := map[string]struct {
		source string
		d      Diagnostic
		want   string
	}{
		"an escape character in the snippet is written as \\x1b and the caret stays under its column": {
			source: "health_check: /a\x1b[2Jb\n",
			d:      Errorf("control-character", at(1, 17, 18), "", "the file holds the character U+001B (escape)"),
			want: "system.yaml:1:17: error[control-character]: the file holds the character U+001B (escape)\n" +
				"    1 | health_check: /a\\x1b[2Jb\n" +
				"      |                 ^^^^\n\n1 error\n",
		},
		"a right-to-left override in a message and a hint is escaped": {
			source: "name: x\n",
			d:      Errorf("control-character", at(1, 7, 8), "", "value \u202eabc").WithHint("bell \a here"),
			want: "system.yaml:1:7: error[control-character]: value \\u202eabc\n" +
				"    1 | name: x\n" +
				"      |       ^\n" +
				"  hint: bell \\x07 here\n\n1 error\n",
		},
		"an invalid UTF-8 byte is written as \\xff": {
			source: "name: \xff\n",
			d:      Errorf("encoding", at(1, 7, 8), "", "not UTF-8"),
			want:   "system.yaml:1:7: error[encoding]: not UTF-8\n    1 | name: \\xff\n      |       ^^^^\n\n1 error\n",
		},
		"a byte order mark before the first line is not shown": {
			source: "\ufeffname: x\n",
			d:      Errorf("x", at(1, 7, 8), "", "m"),
			want:   "system.yaml:1:7: error[x]: m\n    1 | name: x\n      |       ^\n\n1 error\n",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			err := Render(&buf, Diagnostics{tc.d}, RenderOptions{Format: FormatText, Sources: map[string][]byte{"system.yaml": []byte(tc.source)}})
			if err != nil {
				t.Fatal(err)
			}
			if got := buf.String(); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
			for _, c := range buf.String() {
				if c < 0x20 && c != '\n' || c == 0x7f || c >= 0x202a && c <= 0x202e {
					t.Errorf("output holds U+%04X", c)
				}
			}
		})
	}
}

func TestRenderTextShowsAWindowOfALongLine(t *testing.T) {
	line := strings.Repeat("a", 5000) + "XYZ" + strings.Repeat("b", 5000)
	d := Errorf("x", at(1, 5001, 5004), "", "m")
	var buf bytes.Buffer
	if err := Render(&buf, Diagnostics{d}, RenderOptions{Format: FormatText, Sources: map[string][]byte{"system.yaml": []byte(line)}}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(buf.String(), "\n")
	snippet, caret := lines[1], lines[2]
	if len([]rune(snippet)) > snippetBefore+snippetAfter+20 {
		t.Errorf("the snippet is %d characters long", len([]rune(snippet)))
	}
	x := strings.IndexRune(snippet, 'X')
	if c := strings.Index(caret, "^^^"); x < 0 || len([]rune(snippet[:x])) != len([]rune(caret[:c])) || strings.Count(caret, "^") != 3 {
		t.Errorf("the caret is not under XYZ:\n%s\n%s", snippet, caret)
	}
	if !strings.Contains(snippet, "…aaa") || !strings.HasSuffix(snippet, "b…") {
		t.Errorf("the cut ends are not marked: %q", snippet)
	}
}

func TestEscapeText(t *testing.T) {
	cases := map[string]string{
		"plain text":              "plain text",
		"tab\there":               "tab\\there",
		"caf\u00e9 日本":            "caf\u00e9 日本",
		"nbsp\u00a0x":             "nbsp\\u00a0x",
		"del\x7f":                 "del\\x7f",
		"c1\u0085":                "c1\\u0085",
		"lrm\u200e isolate\u2066": "lrm\\u200e isolate\\u2066",
	}
	for in, want := range cases {
		if got := EscapeText(in); got != want {
			t.Errorf("EscapeText(%q) = %q, want %q", in, got, want)
		}
	}
}
