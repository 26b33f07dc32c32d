package diag

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// Annotation is one GitHub Actions workflow command that the runner shows
// as an annotation:
//
//	::error file=system.yaml,line=31,col=8,endColumn=10,title=fargate-size::cpu 300 is not ...
//
// Zero fields are left out. GitHub takes an end column only with a column
// on a single line.
type Annotation struct {
	Level     string // error, warning or notice
	File      string
	Line      int
	EndLine   int
	Column    int
	EndColumn int
	Title     string
	Message   string
}

// String returns the workflow command, its properties and message escaped,
// without a newline.
func (a Annotation) String() string {
	var props []string
	add := func(k, v string) { props = append(props, k+"="+escapeProperty(v)) }
	if a.File != "" {
		add("file", a.File)
	}
	for _, p := range []struct {
		k string
		v int
	}{{"line", a.Line}, {"endLine", a.EndLine}, {"col", a.Column}, {"endColumn", a.EndColumn}} {
		if p.v > 0 {
			add(p.k, fmt.Sprint(p.v))
		}
	}
	if a.Title != "" {
		add("title", a.Title)
	}
	cmd := "::" + a.Level
	if len(props) > 0 {
		cmd += " " + strings.Join(props, ",")
	}
	return cmd + "::" + escapeData(a.Message)
}

// WriteAnnotations writes one workflow command a line, and returns the
// first error writing to w.
func WriteAnnotations(w io.Writer, as []Annotation) error {
	bw := bufio.NewWriter(w)
	for _, a := range as {
		bw.WriteString(a.String() + "\n")
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write annotations: %w", err)
	}
	return nil
}

// renderGitHub writes one GitHub Actions workflow command per diagnostic.
// Columns are the first and last character of the range on its first line;
// a range over several lines gives endLine instead, since GitHub takes no
// end column then.
func renderGitHub(w io.Writer, ds Diagnostics) error {
	as := make([]Annotation, 0, len(ds))
	for _, d := range ds {
		a := Annotation{Level: d.Severity.String(), File: d.Range.Filename, Title: d.Rule, Message: d.Message}
		if r := d.Range; r.Known() {
			a.Line = r.Start.Line
			if r.End.Line > r.Start.Line {
				a.EndLine = r.End.Line
			} else if r.Start.Column > 0 {
				a.Column = r.Start.Column
				if r.End.Line == r.Start.Line && r.End.Column > r.Start.Column+1 {
					a.EndColumn = r.End.Column - 1
				}
			}
		}
		if d.Hint != "" {
			a.Message += "\n" + d.Hint
		}
		as = append(as, a)
	}
	return WriteAnnotations(w, as)
}

// escapeData escapes the message of a workflow command: the runner's own
// escapes for %, CR and LF, and, line by line, what a terminal would not
// print as itself (EscapeText), since the runner echoes the command into
// the job's log.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(escapeLines(s))
}

// escapeProperty escapes a property value of a workflow command, which also
// must not hold the separators ':' and ','.
func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(escapeLines(s))
}

// escapeLines is EscapeText of each line of s, keeping the line breaks (CR
// and LF), which the runner's escapes encode.
func escapeLines(s string) string {
	var b strings.Builder
	for {
		i := strings.IndexAny(s, "\r\n")
		if i < 0 {
			b.WriteString(EscapeText(s))
			return b.String()
		}
		b.WriteString(EscapeText(s[:i]))
		b.WriteByte(s[i])
		s = s[i+1:]
	}
}
