package diag

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// renderGitHub writes one GitHub Actions workflow command per diagnostic:
//
//	::error file=system.yaml,line=31,col=8,endColumn=10,title=fargate-size::cpu 300 is not ...
//
// The runner shows each as an annotation on the file. Columns are the
// first and last character of the range on its first line; a range over
// several lines gives endLine instead, since GitHub takes no end column then.
func renderGitHub(w io.Writer, ds Diagnostics) error {
	bw := bufio.NewWriter(w)
	for _, d := range ds {
		var props []string
		add := func(k, v string) { props = append(props, k+"="+escapeProperty(v)) }
		r := d.Range
		if r.Filename != "" {
			add("file", r.Filename)
		}
		if r.Known() {
			add("line", fmt.Sprint(r.Start.Line))
			if r.End.Line > r.Start.Line {
				add("endLine", fmt.Sprint(r.End.Line))
			} else if r.Start.Column > 0 {
				add("col", fmt.Sprint(r.Start.Column))
				if r.End.Line == r.Start.Line && r.End.Column > r.Start.Column+1 {
					add("endColumn", fmt.Sprint(r.End.Column-1))
				}
			}
		}
		if d.Rule != "" {
			add("title", d.Rule)
		}
		msg := d.Message
		if d.Hint != "" {
			msg += "\n" + d.Hint
		}
		cmd := "::" + d.Severity.String()
		if len(props) > 0 {
			cmd += " " + strings.Join(props, ",")
		}
		bw.WriteString(cmd + "::" + escapeData(msg) + "\n")
	}
	return bw.Flush()
}

// escapeData escapes the message of a workflow command.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// escapeProperty escapes a property value of a workflow command, which also
// must not hold the separators ':' and ','.
func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
