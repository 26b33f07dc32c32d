package schema

import (
	"bytes"
	"fmt"
	"unicode/utf8"

	"github.com/cicdgen/cicdgen/diag"
)

// maxControlReports is how many control characters of one file are reported
// one by one; the rest are counted in the last diagnostic.
const maxControlReports = 10

// checkEncoding reports a source that is not UTF-8: UTF-16 or UTF-32 (by
// their byte order marks, or by the NUL bytes between ASCII characters),
// or bytes that are not valid UTF-8, at the first of them.
func checkEncoding(filename string, src []byte) (diag.Diagnostic, bool) {
	if enc := wideEncoding(src); enc != "" {
		return diag.Errorf(diag.RuleEncoding, pointAt(filename, 1, 1), "", "the file is encoded in %s; cicdgen reads UTF-8", enc).
			WithHint("convert it, e.g. iconv -f %s -t UTF-8 system.yaml > system.utf8.yaml, or save it as UTF-8 in your editor", iconvName(enc)), true
	}
	if utf8.Valid(src) {
		return diag.Diagnostic{}, false
	}
	off := firstInvalidUTF8(src)
	line, col := lineColumnAt(src, off)
	return diag.Errorf(diag.RuleEncoding, pointAt(filename, line, col), "", "the file is not valid UTF-8: byte 0x%02X at line %d, column %d begins no character", src[off], line, col).
		WithHint("save the file as UTF-8; a file in Latin-1 or Windows-1252 needs converting, e.g. iconv -f WINDOWS-1252 -t UTF-8"), true
}

// wideEncoding names the UTF-16 or UTF-32 encoding of src, or returns "".
func wideEncoding(src []byte) string {
	switch {
	case bytes.HasPrefix(src, []byte{0xFF, 0xFE, 0, 0}):
		return "UTF-32 (little-endian, with a byte order mark)"
	case bytes.HasPrefix(src, []byte{0, 0, 0xFE, 0xFF}):
		return "UTF-32 (big-endian, with a byte order mark)"
	case bytes.HasPrefix(src, []byte{0xFF, 0xFE}):
		return "UTF-16 (little-endian, with a byte order mark)"
	case bytes.HasPrefix(src, []byte{0xFE, 0xFF}):
		return "UTF-16 (big-endian, with a byte order mark)"
	}
	// Without a mark: ASCII text in UTF-16 has a NUL beside every character.
	if len(src) >= 4 {
		le := src[0] != 0 && src[1] == 0 && src[2] != 0 && src[3] == 0
		be := src[0] == 0 && src[1] != 0 && src[2] == 0 && src[3] != 0
		switch {
		case le:
			return "UTF-16 (little-endian)"
		case be:
			return "UTF-16 (big-endian)"
		}
	}
	return ""
}

// iconvName returns the iconv name of an encoding named by wideEncoding.
func iconvName(enc string) string {
	name := enc[:6] // UTF-16 or UTF-32
	switch {
	case bytes.Contains([]byte(enc), []byte("little")):
		return name + "LE"
	case bytes.Contains([]byte(enc), []byte("big")):
		return name + "BE"
	}
	return name
}

// firstInvalidUTF8 returns the offset of the first byte of src that begins
// no valid UTF-8 sequence.
func firstInvalidUTF8(src []byte) int {
	for i := 0; i < len(src); {
		c, size := utf8.DecodeRune(src[i:])
		if c == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return len(src)
}

// forbiddenRune reports whether c may not appear in a system.yaml: a C0
// control character other than tab, line feed and carriage return, DEL, a C1
// control character, or a bidirectional formatting character (which can
// make text display in another order than it is read: "Trojan Source").
func forbiddenRune(c rune) bool {
	switch {
	case c < 0x20:
		return c != '\t' && c != '\n' && c != '\r'
	case c >= 0x7F && c <= 0x9F:
		return true
	case c == 0x061C, c == 0x200E, c == 0x200F, c >= 0x202A && c <= 0x202E, c >= 0x2066 && c <= 0x2069:
		return true
	}
	return false
}

// runeName names a forbidden character: U+001B (escape).
func runeName(c rune) string {
	names := map[rune]string{
		0x00: "NUL", 0x07: "bell", 0x08: "backspace", 0x0B: "vertical tab", 0x0C: "form feed",
		0x1B: "escape", 0x7F: "delete", 0x85: "next line",
		0x061C: "Arabic letter mark", 0x200E: "left-to-right mark", 0x200F: "right-to-left mark",
		0x202A: "left-to-right embedding", 0x202B: "right-to-left embedding", 0x202C: "pop directional formatting",
		0x202D: "left-to-right override", 0x202E: "right-to-left override",
		0x2066: "left-to-right isolate", 0x2067: "right-to-left isolate", 0x2068: "first strong isolate",
		0x2069: "pop directional isolate",
	}
	code := fmt.Sprintf("U+%04X", c)
	if n, ok := names[c]; ok {
		return code + " (" + n + ")"
	}
	switch {
	case c < 0x20:
		return code + " (a control character)"
	case c >= 0x80 && c <= 0x9F:
		return code + " (a C1 control character)"
	}
	return code
}

// controlHint is the advice of every control-character diagnostic.
const controlHint = "remove it; control and bidirectional formatting characters are invisible or move the cursor when printed, so a reviewer cannot see what the file says"

// checkControls reports every forbidden character in src (valid UTF-8) at
// its line and column, the first maxControlReports of them one by one.
func checkControls(filename string, src []byte) diag.Diagnostics {
	var out diag.Diagnostics
	line, col, more := 1, 1, 0
	for i := 0; i < len(src); {
		c, size := utf8.DecodeRune(src[i:])
		i += size
		if forbiddenRune(c) {
			if len(out) < maxControlReports {
				out = append(out, diag.Errorf(diag.RuleControlCharacter, pointAt(filename, line, col), "",
					"the file holds the character %s, which system.yaml may not contain", runeName(c)).WithHint(controlHint))
			} else {
				more++
			}
		}
		if c == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	if more > 0 {
		last := &out[len(out)-1]
		last.Message += fmt.Sprintf(" (and %d more such characters after it)", more)
	}
	return out
}

// forbiddenIn returns the first forbidden character of s and true, if any.
func forbiddenIn(s string) (rune, bool) {
	for _, c := range s {
		if forbiddenRune(c) {
			return c, true
		}
	}
	return 0, false
}

// pointAt is the one-character range at a 1-based line and column.
func pointAt(filename string, line, col int) diag.Range {
	return diag.Range{Filename: filename, Start: diag.Pos{Line: line, Column: col}, End: diag.Pos{Line: line, Column: col + 1}}
}

// checkValueText reports a forbidden character in a value's text, which
// the source can only hold as an escape sequence of a double-quoted scalar
// ("\e", "\x1b", "\u202e"): the raw characters were reported before parsing.
func (r *yamlReader) checkValueText(text, path string, rng diag.Range) {
	r.checkText("value", text, path, rng)
}

// checkText reports a forbidden character in the text of a key or a value
// (what) at path, as checkValueText says; it reports whether there was
// none.
func (r *yamlReader) checkText(what, text, path string, rng diag.Range) bool {
	c, bad := forbiddenIn(text)
	if !bad {
		return true
	}
	r.errors(diag.Errorf(diag.RuleControlCharacter, rng, path, "this %s holds the character %s, written as an escape sequence; system.yaml %ss may not contain it", what, runeName(c), what).
		WithHint(controlHint))
	r.reported[path] = true
	return false
}
