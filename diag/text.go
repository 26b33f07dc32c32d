package diag

import (
	"bufio"
	"bytes"
	"io"
	"strconv"
	"strings"
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
	head.WriteString(p.paint(sev, label+":") + " " + d.Message)
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
			w.WriteString(strings.TrimRight(prefix+l, " ") + "\n")
		}
	}
}

// caretSpan expands the tabs of line and returns it with the display columns
// [from, to) the caret covers: the part of r on this line, at least one
// character wide. A range past the end of the line points just after it.
func caretSpan(line string, r Range) (text string, from, to int) {
	runes := []rune(line)
	n := len(runes)
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

	var b bytes.Buffer
	col := 0 // display column of the next rune, 0-based
	from, to = -1, -1
	for i, c := range runes {
		if i+1 == start {
			from = col
		}
		if i+1 == end {
			to = col
		}
		if c == '\t' {
			pad := tabWidth - col%tabWidth
			b.WriteString(strings.Repeat(" ", pad))
			col += pad
			continue
		}
		b.WriteRune(c)
		col++
	}
	if from < 0 {
		from = col
	}
	if to < 0 {
		to = col + (end - max(start, n+1))
	}
	if to <= from {
		to = from + 1
	}
	return b.String(), from, to
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
