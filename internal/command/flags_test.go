package command

import (
	"bytes"
	"strings"
	"testing"

	"github.com/cicdgen/cicdgen/diag"
)

func TestUseColor(t *testing.T) {
	cases := map[string]struct {
		mode     string
		terminal bool
		noColor  string
		want     bool
		wantErr  bool
	}{
		"auto colours a terminal":                   {mode: "auto", terminal: true, want: true},
		"auto does not colour a pipe":               {mode: "auto", terminal: false, want: false},
		"auto honours NO_COLOR on a terminal":       {mode: "auto", terminal: true, noColor: "1", want: false},
		"an empty NO_COLOR does not count":          {mode: "auto", terminal: true, noColor: "", want: true},
		"always colours a pipe":                     {mode: "always", terminal: false, want: true},
		"always wins over NO_COLOR, being explicit": {mode: "always", noColor: "1", want: true},
		"never does not colour a terminal":          {mode: "never", terminal: true, want: false},
		"an unknown mode is an error":               {mode: "sometimes", wantErr: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			env := &Env{StderrIsTerminal: tc.terminal, Getenv: func(k string) string {
				if k == "NO_COLOR" {
					return tc.noColor
				}
				return ""
			}}
			got, err := useColor(env, tc.mode)
			if (err != nil) != tc.wantErr {
				t.Fatalf("useColor(%q) error = %v, want error %v", tc.mode, err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("useColor(%q) = %v, want %v", tc.mode, got, tc.want)
			}
		})
	}
}

func TestReporterStrictPromotesWarnings(t *testing.T) {
	warning := diag.Warningf("placeholder", diag.Range{Filename: "system.yaml", Start: diag.Pos{Line: 3, Column: 10}, End: diag.Pos{Line: 3, Column: 24}}, "$.accounts.dev", "account id 111111111111 is a placeholder")
	cases := map[string]struct {
		strict    bool
		wantError bool
		wantText  string
	}{
		"without --strict a placeholder stays a warning": {strict: false, wantError: false, wantText: "warning[placeholder]"},
		"with --strict a placeholder becomes an error":   {strict: true, wantError: true, wantText: "error[placeholder]"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := &Reporter{Env: &Env{}, Format: diag.FormatText, strict: tc.strict, sources: map[string][]byte{}}
			r.addSource("system.yaml", []byte("version: 1\naccounts:\n  dev: \"111111111111\"\n"))
			ds := r.Adjust(diag.Diagnostics{warning})
			if ds.HasErrors() != tc.wantError {
				t.Errorf("HasErrors() = %v, want %v", ds.HasErrors(), tc.wantError)
			}
			var out bytes.Buffer
			if err := r.print(&out, ds); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), "system.yaml:3:10: "+tc.wantText) {
				t.Errorf("output does not name %q at 3:10:\n%s", tc.wantText, out.String())
			}
			if !strings.Contains(out.String(), "3 |   dev: \"111111111111\"") {
				t.Errorf("output lacks the source line:\n%s", out.String())
			}
		})
	}
}

// What goes to Out() is coloured by whether Out() is a terminal (stdout,
// or stderr when stdout carries a document), not by whether stderr is.
func TestReporterOutColor(t *testing.T) {
	cases := map[string]struct {
		format, mode, noColor string
		stdoutTerminal        bool
		stderrTerminal        bool
		want                  bool
	}{
		"auto, text on a terminal stdout":        {format: diag.FormatText, mode: ColorAuto, stdoutTerminal: true, want: true},
		"auto, text on a piped stdout":           {format: diag.FormatText, mode: ColorAuto, stderrTerminal: true, want: false},
		"auto, json: out is a terminal stderr":   {format: diag.FormatJSON, mode: ColorAuto, stderrTerminal: true, want: true},
		"auto, json: out is a piped stderr":      {format: diag.FormatJSON, mode: ColorAuto, stdoutTerminal: true, want: false},
		"auto honours NO_COLOR":                  {format: diag.FormatText, mode: ColorAuto, stdoutTerminal: true, noColor: "1", want: false},
		"always colours a pipe, NO_COLOR or not": {format: diag.FormatText, mode: ColorAlways, noColor: "1", want: true},
		"never does not colour a terminal":       {format: diag.FormatText, mode: ColorNever, stdoutTerminal: true, want: false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			env := &Env{IsTerminal: tc.stdoutTerminal, StderrIsTerminal: tc.stderrTerminal, Getenv: func(k string) string {
				if k == "NO_COLOR" {
					return tc.noColor
				}
				return ""
			}}
			r := &Reporter{Env: env, Format: tc.format, colorMode: tc.mode}
			if got := r.OutColor(); got != tc.want {
				t.Errorf("OutColor() = %v, want %v", got, tc.want)
			}
		})
	}
}
