package schema

import (
	"regexp"
	"testing"
	"unicode/utf8"
)

// tagCharsExpression is the expression tagChars writes out.
var tagCharsExpression = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)

func TestTagCharsIsItsExpression(t *testing.T) {
	for _, s := range []string{"", "team:web", "Kostenstelle 42", "é€😀", "a\u00a0b", "a\u2028b", "Ⅻ", "a#b", "a\tb", "a\xffb", "a,b", "a*b", "_.:/=+-@"} {
		if got, want := tagChars(s), tagCharsExpression.MatchString(s); got != want {
			t.Errorf("tagChars(%q) = %v, the expression says %v", s, got, want)
		}
	}
	for r := rune(0); r <= utf8.MaxRune; r++ {
		s := string(r)
		if got, want := tagChars(s), tagCharsExpression.MatchString(s); got != want {
			t.Fatalf("tagChars(%q) = %v, the expression says %v", s, got, want)
		}
	}
}

func FuzzTagChars(f *testing.F) {
	f.Add("team:web")
	f.Add("a\xffb€")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := tagChars(s), tagCharsExpression.MatchString(s); got != want {
			t.Errorf("tagChars(%q) = %v, the expression says %v", s, got, want)
		}
	})
}
