package diag

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// tabWidth is the tab stop the text format expands tabs in source lines to,
// so that the caret line stays aligned whatever the terminal's tab setting.
const tabWidth = 4

// minGutter is the width of the line-number column: "   31 | ".
const minGutter = 5

// ANSI escape sequences of the coloured text format.
const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[1;31m"
	ansiYellow = "\x1b[1;33m"
	ansiBlue   = "\x1b[34m"
)

// textPainter applies colours when enabled and is the identity otherwise.
type textPainter struct{ on bool }

func (p textPainter) paint(code, s string) string {
	if !p.on || s == "" {
		return s
	}
	return code + s + ansiReset
}

func (p textPainter) severity(s Severity) string {
	if s == Warning {
		return ansiYellow
	}
	return ansiRed
}

// renderText writes the human form of SPEC.md:
//
//	system.yaml:31:8: error[fargate-size]: cpu 300 is not a Fargate size; ...
//	   31 |   cpu: 300
//	      |        ^^^
//	  hint: ...
//
// Blocks are separated by a blank line and followed by a summary line such as
// "2 errors, 1 warning". Nothing is written for an empty list.
func renderText(w io.Writer, ds Diagnostics, opts RenderOptions) error {
	if len(ds) == 0 {
		return nil
	}
	p := textPainter{on: opts.Color}
	bw := bufio.NewWriter(w)
	lines := map[string][]string{} // split sources, by file name
	for i, d := range ds {
		if i > 0 {
			bw.WriteString("\n")
		}
		writeTextBlock(bw, d, p, sourceLines(lines, opts.Sources, d.Range.Filename))
	}
	sum := Summary(ds)
	code := ansiYellow
	if ds.HasErrors() {
		code = ansiRed
	}
	bw.WriteString("\n" + p.paint(code, sum) + "\n")
	return bw.Flush()
}

// sourceLines returns the lines of file, splitting its source once.
func sourceLines(cache map[string][]string, sources map[string][]byte, file string) []string {
	if ls, ok := cache[file]; ok {
		return ls
	}
	src, ok := sources[file]
	if !ok {
		cache[file] = nil
		return nil
	}
	ls := strings.Split(string(src), "\n")
	for i, l := range ls {
		ls[i] = strings.TrimSuffix(l, "\r")
	}
	cache[file] = ls
	return ls
}

func writeTextBlock(w *bufio.Writer, d Diagnostic, p textPainter, lines []string) {
	sev := p.severity(d.Severity)
	var head strings.Builder
	if loc := d.Range.String(); loc != "" {
		head.WriteString(p.paint(ansiBold, loc+":") + " ")
	}
	label := d.Severity.String()
	if d.Rule != "" {
		label += "[" + d.Rule + "]"
	}
	head.WriteString(p.paint(sev, label+":") + " " + EscapeText(d.Message))
	w.WriteString(head.String() + "\n")

	if line := d.Range.Start.Line; line > 0 && line <= len(lines) {
		text, from, to := caretSpan(lines[line-1], d.Range)
		num := strconv.Itoa(line)
		width := max(minGutter, len(num)+1)
		gutter := strings.Repeat(" ", width-len(num)) + num + " | "
		blank := strings.Repeat(" ", width) + " |"
		w.WriteString(p.paint(ansiBlue, gutter) + text + "\n")
		w.WriteString(p.paint(ansiBlue, blank) + " " + strings.Repeat(" ", from) + p.paint(sev, strings.Repeat("^", to-from)) + "\n")
	}
	if d.Hint != "" {
		for i, l := range strings.Split(d.Hint, "\n") {
			prefix := "        "
			if i == 0 {
				prefix = "  " + p.paint(ansiBold, "hint:") + " "
			}
			w.WriteString(strings.TrimRight(prefix+EscapeText(l), " ") + "\n")
		}
	}
}

// Snippets of long lines show a window around the caret.
const (
	snippetBefore = 60  // characters shown before the caret's start
	snippetAfter  = 100 // characters shown from the caret's start
)

// caretSpan expands the tabs of line, escapes what is not printable, cuts a
// long line to a window around the range, and returns the text with the
// display columns [from, to) the caret covers: the part of r on this line,
// at least one character wide. A range past the end of the line points just
// after it. Columns of r count characters, an invalid UTF-8 byte as one.
func caretSpan(line string, r Range) (text string, from, to int) {
	line = strings.TrimPrefix(line, "\ufeff")
	n := utf8.RuneCountInString(line) // an invalid byte counts as one
	start := clamp(r.Start.Column, 1, n+1)
	var end int
	switch {
	case r.End.Line == r.Start.Line && r.End.Column > start:
		end = r.End.Column
	case r.End.Line > r.Start.Line:
		end = n + 1
	default:
		end = start + 1
	}
	end = clamp(end, start+1, max(n+1, start+1))

	first, last := 0, n // the window of characters shown
	if n > snippetBefore+snippetAfter {
		first = max(0, start-1-snippetBefore)
		last = min(n, start-1+snippetAfter)
		end = min(end, last+1)
	}
	chars := make([]string, 0, last-first) // the display form of each character shown
	for i, k := 0, 0; i < len(line) && k < last; k++ {
		c, size := utf8.DecodeRuneInString(line[i:])
		if k >= first {
			if c == utf8.RuneError && size <= 1 {
				chars = append(chars, fmt.Sprintf("\\x%02x", line[i]))
			} else {
				chars = append(chars, escapeRune(c))
			}
		}
		i += max(size, 1)
	}
	var b strings.Builder
	col := 0 // display column of the next character, 0-based
	if first > 0 {
		b.WriteString("…")
		col++
	}
	from, to = -1, -1
	for i := first; i < last; i++ {
		if i+1 == start {
			from = col
		}
		if i+1 == end {
			to = col
		}
		c := chars[i-first]
		if c == "\t" {
			c = strings.Repeat(" ", tabWidth-col%tabWidth)
		}
		b.WriteString(c)
		col += utf8.RuneCountInString(c)
	}
	afterText := col
	if last < n {
		b.WriteString("…")
	}
	if from < 0 {
		from = afterText
	}
	if to < 0 {
		to = afterText + (end - max(start, last+1))
	}
	if to <= from {
		to = from + 1
	}
	return b.String(), from, to
}

// EscapeText returns s with every character a terminal would not print as
// itself (control characters, bidirectional formatting, invalid UTF-8)
// written as an escape: \x1b, \u202e. Tabs become \t.
func EscapeText(s string) string {
	clean := true
	for _, c := range s {
		if !printable(c) {
			clean = false
			break
		}
	}
	if clean && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		c, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case c == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, "\\x%02x", s[i])
		case c == '\t':
			b.WriteString("\\t")
		default:
			b.WriteString(escapeRune(c))
		}
		i += max(size, 1)
	}
	return b.String()
}

// escapeRune returns c, or its escape when it is not printable. A tab is
// returned as is (snippets expand it).
func escapeRune(c rune) string {
	switch {
	case c == '\t' || printable(c):
		return string(c)
	case c < 0x80:
		return fmt.Sprintf("\\x%02x", c)
	case c <= 0xFFFF:
		return fmt.Sprintf("\\u%04x", c)
	}
	return fmt.Sprintf("\\U%08x", c)
}

// printable reports whether a terminal shows c as itself, moving the cursor
// by its width: not a control, format (bidirectional marks) or separator
// character other than the space.
func printable(c rune) bool {
	return c == ' ' || unicode.IsPrint(c) && c != utf8.RuneError
}

func clamp(v, lo, hi int) int {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}
