package diag

import (
	"slices"
	"testing"
)

func TestNormalize(t *testing.T) {
	at := func(line int) Range {
		return Range{Filename: "s.yaml", Start: Pos{Line: line, Column: 1}, End: Pos{Line: line, Column: 2}}
	}
	a := Diagnostic{Severity: Error, Rule: "r", Message: "m", Range: at(2)}
	aHinted := a
	aHinted.Hint = "h"
	b := Diagnostic{Severity: Warning, Rule: "r", Message: "m", Range: at(1)}
	cases := map[string]struct {
		in, want Diagnostics
	}{
		"it sorts by position":                                   {in: Diagnostics{a, b}, want: Diagnostics{b, a}},
		"it drops exact repeats":                                 {in: Diagnostics{a, b, a}, want: Diagnostics{b, a}},
		"repeats apart from one that differs in hint still drop": {in: Diagnostics{a, aHinted, a}, want: Diagnostics{a, aHinted}},
		"nothing stays nothing":                                  {in: nil, want: nil},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			before := slices.Clone(tc.in)
			got := tc.in.Normalize()
			if !slices.Equal(got, tc.want) {
				t.Errorf("Normalize() = %v, want %v", got, tc.want)
			}
			if !slices.Equal(tc.in, before) {
				t.Errorf("Normalize changed its receiver to %v", tc.in)
			}
		})
	}
}
