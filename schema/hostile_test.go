package schema

import (
	"bytes"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/cicdgen/cicdgen/diag"
)

// hostileCase is an input that must be refused with one clear, positioned
// error, printed without a raw control character.
type hostileCase struct {
	src  func() []byte
	rule string
	at   string // line:column of the first error
	// prescan: refused before the parser runs, so loading it allocates
	// next to nothing whatever its size (a bounded work counter, not a clock).
	prescan bool
}

func hostileCases() map[string]hostileCase {
	str := func(s string) func() []byte { return func() []byte { return []byte(s) } }
	return map[string]hostileCase{
		"100,000 nested flow lists": {
			src:  str("a: " + strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + "\n"),
			rule: diag.RuleDepthLimit, at: "1:103", prescan: true,
		},
		"100,000 nested flow mappings": {
			src:  str("a: " + strings.Repeat("{a: ", 100_000) + "1" + strings.Repeat("}", 100_000) + "\n"),
			rule: diag.RuleDepthLimit, at: "1:400", prescan: true,
		},
		"100,000 nested block lists on one line": {
			src:  str(strings.Repeat("- ", 100_000) + "x\n"),
			rule: diag.RuleDepthLimit, at: "1:201", prescan: true,
		},
		"a 50 MB file": {
			src: func() []byte {
				return bytes.Repeat([]byte("# padding padding padding padding padding padding\n"), 1_000_000)
			},
			rule: diag.RuleSizeLimit, at: "20972:27", prescan: true,
		},
		"a mapping of 100,000 keys": {
			src: func() []byte {
				var b bytes.Buffer
				for i := 0; i < 100_000; i++ {
					fmt.Fprintf(&b, "k%d: v\n", i)
				}
				return b.Bytes()
			},
			rule: diag.RuleNodeLimit, at: "1001:1", prescan: true,
		},
		"a billion laughs": {
			src: func() []byte {
				var b strings.Builder
				b.WriteString("a: &a [x, x, x, x, x, x, x, x, x, x]\n")
				for i := 1; i < 9; i++ {
					prev, cur := string(rune('a'+i-1)), string(rune('a'+i))
					fmt.Fprintf(&b, "%s: &%s [%s]\n", cur, cur, strings.TrimSuffix(strings.Repeat("*"+prev+", ", 10), ", "))
				}
				return []byte(b.String())
			},
			rule: diag.RuleNodeLimit, at: "5:8",
		},
		"binary garbage": {
			src: func() []byte {
				b := make([]byte, 1<<16)
				rand.New(rand.NewSource(1)).Read(b)
				return b
			},
			rule: diag.RuleEncoding, at: "1:2", prescan: true,
		},
		"UTF-16 with a byte order mark": {
			src:  func() []byte { return utf16LE("version: 1\n", true) },
			rule: diag.RuleEncoding, at: "1:1", prescan: true,
		},
		"UTF-16 without a byte order mark": {
			src:  func() []byte { return utf16LE("version: 1\n", false) },
			rule: diag.RuleEncoding, at: "1:1", prescan: true,
		},
		"an escape sequence that clears the screen": {
			src:  str(baseYAML + "  health_check: /\x1b[2J\x1b[H\n"),
			rule: diag.RuleControlCharacter, at: "16:18", prescan: true,
		},
		"a bell and a NUL": {
			src:  str("version: 1\nname: a\x07b\x00\n"),
			rule: diag.RuleControlCharacter, at: "2:8", prescan: true,
		},
		"a right-to-left override": {
			src:  str("version: 1\nname: \u202eabc\n"),
			rule: diag.RuleControlCharacter, at: "2:7", prescan: true,
		},
		"a NUL written as \\0 in a double-quoted key": {
			src:  str(baseYAML + "tags:\n  \"team\\0\": web\n"),
			rule: diag.RuleControlCharacter, at: "17:3",
		},
		"an intrinsic function's marker in an override's key": {
			src:  str(baseYAML + "overrides:\n  ecs-dev:\n    - {op: add, path: /Outputs/X, value: {Value: x, Description: {\"\\0cfn\\0{\\\"Ref\\\":\\\"A\\\"}\": ok}}}\n"),
			rule: diag.RuleControlCharacter, at: "18:67",
		},
		"an escape written as \\e in a double-quoted value": {
			src:  str(strings.Replace(baseYAML, "  port: 8080\n", "  port: 8080\n  health_check: \"/\\e[2J\"\n", 1)),
			rule: diag.RuleControlCharacter, at: "13:17",
		},
	}
}

// utf16LE encodes ASCII text as UTF-16LE.
func utf16LE(s string, bom bool) []byte {
	var b []byte
	if bom {
		b = append(b, 0xFF, 0xFE)
	}
	for _, c := range []byte(s) {
		b = append(b, c, 0)
	}
	return b
}

func TestHostileInputs(t *testing.T) {
	for name, tc := range hostileCases() {
		t.Run(name, func(t *testing.T) {
			src := tc.src()
			sys, ds := Load("hostile.yaml", src)
			if sys != nil || !ds.HasErrors() {
				t.Fatalf("accepted: %v", ds)
			}
			first := ds[0]
			if at := fmt.Sprintf("%d:%d", first.Range.Start.Line, first.Range.Start.Column); first.Rule != tc.rule || at != tc.at {
				t.Errorf("first error %s at %s, want %s at %s: %s", first.Rule, at, tc.rule, tc.at, first.Message)
			}
			var out bytes.Buffer
			if err := diag.Render(&out, ds, diag.RenderOptions{Format: diag.FormatText, Sources: map[string][]byte{"hostile.yaml": src}}); err != nil {
				t.Fatal(err)
			}
			if c, bad := rawControl(out.Bytes()); bad {
				t.Errorf("the text output holds the raw character U+%04X:\n%.2000s", c, out.String())
			}
			if out.Len() > 4096 {
				t.Errorf("the text output is %d bytes long", out.Len())
			}
			if tc.prescan {
				allocs := testing.AllocsPerRun(1, func() { Load("hostile.yaml", src) })
				if allocs > 100 {
					t.Errorf("refusing it took %.0f allocations; a refusal before parsing takes a handful", allocs)
				}
			}
		})
	}
}

// rawControl returns the first character of out that a terminal would
// act on rather than print: a control character other than line feed, or a
// bidirectional formatting character, or a byte that is not UTF-8.
func rawControl(out []byte) (rune, bool) {
	for i := 0; i < len(out); {
		c, size := utf8.DecodeRune(out[i:])
		if c == utf8.RuneError && size <= 1 {
			return rune(out[i]), true
		}
		if c != '\n' && forbiddenRune(c) || c == '\t' {
			return c, true
		}
		i += size
	}
	return 0, false
}

// BenchmarkHostileInputs measures what refusing each hostile input costs
// (run with -benchmem).
func BenchmarkHostileInputs(b *testing.B) {
	for name, tc := range hostileCases() {
		src := tc.src()
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(src)))
			for i := 0; i < b.N; i++ {
				Load("hostile.yaml", src)
			}
		})
	}
}

// TestEveryProblemInOneRun checks that schema errors do not hide the
// semantic errors of the parts the schema accepted, and that a value the
// schema rejected gets no second diagnostic.
func TestEveryProblemInOneRun(t *testing.T) {
	cases := map[string]struct {
		src  string
		want []string // rule line:column of every error
	}{
		"an unknown key and a cpu that is no Fargate size are both reported": {
			src:  strings.Replace(baseYAML, "  port: 8080\n", "  port: 8080\n  cpu: 300\n  colour: blue\n", 1),
			want: []string{"fargate-size 13:8", "unknown-key 14:3"},
		},
		"an unknown top-level key and a duplicate environment are both reported": {
			src:  baseYAML + "  - name: dev\n    account: tooling\nextra: 1\n",
			want: []string{"duplicate-environment 16:11", "unknown-key 18:1"},
		},
		"a cpu of the wrong type gets no Fargate diagnostic beside its type error": {
			src:  strings.Replace(baseYAML, "  port: 8080\n", "  port: 8080\n  cpu: lots\n  memory: 4096\n", 1),
			want: []string{"type 13:8"},
		},
		"a misspelt cpu does not make memory wrong for the default cpu": {
			src:  strings.Replace(baseYAML, "  port: 8080\n", "  port: 8080\n  cpuu: 1024\n  memory: 4096\n", 1),
			want: []string{"unknown-key 13:3"},
		},
		"a misspelt region is read as meant, so the certificate of that region is right": {
			src: strings.Replace(baseYAML, "  port: 8080\n", "  port: 8080\n  certificate: arn:aws:acm:eu-west-1:210987654321:certificate/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0\n", 1) +
				"    regoin: eu-west-1\n    network: {nat_gateways: 1}\n",
			want: []string{"unknown-key 17:5"},
		},
		"a misspelt cpu of a wrong size is reported once, as misspelt": {
			src:  strings.Replace(baseYAML, "  port: 8080\n", "  port: 8080\n  cpuu: 300\n", 1),
			want: []string{"unknown-key 13:3"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, ds := Load("system.yaml", []byte(tc.src))
			var got []string
			for _, d := range ds {
				if d.Severity == diag.Error {
					got = append(got, fmt.Sprintf("%s %d:%d", d.Rule, d.Range.Start.Line, d.Range.Start.Column))
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("errors %v, want %v\n%v", got, tc.want, ds)
			}
		})
	}
}
