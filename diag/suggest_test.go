package diag

import "testing"

func TestEditDistance(t *testing.T) {
	cases := map[string]struct {
		a, b string
		want int
	}{
		"equal strings are 0 apart":        {a: "build", b: "build", want: 0},
		"a swap of neighbours costs one":   {a: "buidl", b: "build", want: 1},
		"a missing letter costs one":       {a: "valdate", b: "validate", want: 1},
		"the empty string is len(b) apart": {a: "", b: "graph", want: 5},
		"runes count as one":               {a: "grüph", b: "graph", want: 1},
		"a substitution costs one":         {a: "cpu", b: "cpv", want: 1},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := EditDistance(tc.a, tc.b); got != tc.want {
				t.Errorf("EditDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
			}
		})
	}
}

func TestClosest(t *testing.T) {
	keys := []string{"timeout_minutes", "compute", "image", "buildspec", "privileged", "cache_days"}
	cases := map[string]struct {
		got, want string
	}{
		"a typo in a long key is found":              {got: "buildspce", want: "buildspec"},
		"case is ignored":                            {got: "Compute", want: "compute"},
		"a short key allows one edit":                {got: "imag", want: "image"},
		"an exact match is no suggestion":            {got: "image", want: ""},
		"a distant word gets no suggestion":          {got: "region", want: ""},
		"a prefix far from the whole is not guessed": {got: "timeout", want: ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := Closest(tc.got, keys); got != tc.want {
				t.Errorf("Closest(%q) = %q, want %q", tc.got, got, tc.want)
			}
		})
	}
}

func TestClosestBreaksTiesByName(t *testing.T) {
	if a, b := Closest("dex", []string{"dev", "dew"}), Closest("dex", []string{"dew", "dev"}); a != "dev" || b != "dev" {
		t.Errorf("ties: got %q and %q, want dev both times", a, b)
	}
}
