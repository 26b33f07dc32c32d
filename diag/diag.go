// Package diag holds the Diagnostic type that every other package of cicdgen
// reports through, and the renderers that print diagnostics as text, JSON,
// SARIF or GitHub workflow annotations.
//
// It sits at the bottom of the import graph: it imports nothing of cicdgen.
package diag

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Severity says how serious a Diagnostic is.
type Severity int

const (
	// Error makes the input unusable: validate and build exit 1.
	Error Severity = iota
	// Warning is worth fixing but does not stop a build (it does under --strict).
	Warning
)

// String returns "error" or "warning".
func (s Severity) String() string {
	if s == Warning {
		return "warning"
	}
	return "error"
}

// MarshalText makes a Severity encode as its name in JSON.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText parses "error" or "warning".
func (s *Severity) UnmarshalText(b []byte) error {
	switch string(b) {
	case "error":
		*s = Error
	case "warning":
		*s = Warning
	default:
		return fmt.Errorf("unknown severity %q", b)
	}
	return nil
}

// Pos is a position in a source file.
type Pos struct {
	// Line is 1-based. Zero means the position is unknown.
	Line int `json:"line"`
	// Column is 1-based and counts characters (runes), not bytes.
	Column int `json:"column"`
}

// Range is the span of source text a diagnostic is about. End is exclusive:
// a one-character token at column 8 has Start.Column 8 and End.Column 9.
type Range struct {
	Filename string `json:"file"`
	Start    Pos    `json:"start"`
	End      Pos    `json:"end"`
}

// Known reports whether the range points at a line.
func (r Range) Known() bool { return r.Start.Line > 0 }

// String returns FILE:LINE:COLUMN, or FILE alone when the line is unknown.
func (r Range) String() string {
	if !r.Known() {
		return r.Filename
	}
	return fmt.Sprintf("%s:%d:%d", r.Filename, r.Start.Line, r.Start.Column)
}

// A Diagnostic is one problem found in system.yaml or in what was built from it.
type Diagnostic struct {
	Severity Severity `json:"severity"`
	// Rule is a stable id such as "fargate-size"; tools and docs key on it.
	Rule string `json:"rule"`
	// Message is one plain sentence, shown on the diagnostic's first line.
	Message string `json:"message"`
	// Hint says how to fix the problem; it may be empty.
	Hint string `json:"hint,omitempty"`
	// Path is the YAML path of the offending node, e.g. $.environments[2].account.
	Path  string `json:"path,omitempty"`
	Range Range  `json:"range"`
}

// Errorf returns an error diagnostic.
func Errorf(rule string, r Range, path string, format string, args ...any) Diagnostic {
	return Diagnostic{Severity: Error, Rule: rule, Range: r, Path: path, Message: fmt.Sprintf(format, args...)}
}

// Warningf returns a warning diagnostic.
func Warningf(rule string, r Range, path string, format string, args ...any) Diagnostic {
	return Diagnostic{Severity: Warning, Rule: rule, Range: r, Path: path, Message: fmt.Sprintf(format, args...)}
}

// WithHint returns a copy of d with Hint set.
func (d Diagnostic) WithHint(format string, args ...any) Diagnostic {
	d.Hint = fmt.Sprintf(format, args...)
	return d
}

// Error renders the diagnostic on one line: FILE:LINE:COL: severity[rule]: message.
func (d Diagnostic) Error() string {
	return fmt.Sprintf("%s: %s[%s]: %s", d.Range, d.Severity, d.Rule, d.Message)
}

// Diagnostics is a list of problems. It implements error.
type Diagnostics []Diagnostic

// Append adds diagnostics and returns the list, like the builtin append.
func (ds Diagnostics) Append(more ...Diagnostic) Diagnostics { return append(ds, more...) }

// HasErrors reports whether any diagnostic is an Error.
func (ds Diagnostics) HasErrors() bool {
	for _, d := range ds {
		if d.Severity == Error {
			return true
		}
	}
	return false
}

// Count returns the number of errors and warnings.
func (ds Diagnostics) Count() (errors, warnings int) {
	for _, d := range ds {
		if d.Severity == Error {
			errors++
		} else {
			warnings++
		}
	}
	return errors, warnings
}

// Err returns ds as an error when it holds at least one Error, else nil.
func (ds Diagnostics) Err() error {
	if ds.HasErrors() {
		return ds
	}
	return nil
}

// Error joins the diagnostics one per line.
func (ds Diagnostics) Error() string {
	lines := make([]string, len(ds))
	for i, d := range ds {
		lines[i] = d.Error()
	}
	return strings.Join(lines, "\n")
}

// Normalize returns the diagnostics sorted by file, position, severity,
// rule and message (then the remaining fields, so that the order is total)
// without exact repeats. The receiver is left as it was.
func (ds Diagnostics) Normalize() Diagnostics {
	out := slices.Clone(ds)
	slices.SortFunc(out, compare)
	return slices.Compact(out)
}

// compare orders diagnostics for Normalize.
func compare(a, b Diagnostic) int {
	return cmp.Or(
		cmp.Compare(a.Range.Filename, b.Range.Filename),
		cmp.Compare(a.Range.Start.Line, b.Range.Start.Line),
		cmp.Compare(a.Range.Start.Column, b.Range.Start.Column),
		cmp.Compare(a.Severity, b.Severity),
		cmp.Compare(a.Rule, b.Rule),
		cmp.Compare(a.Message, b.Message),
		cmp.Compare(a.Range.End.Line, b.Range.End.Line),
		cmp.Compare(a.Range.End.Column, b.Range.End.Column),
		cmp.Compare(a.Path, b.Path),
		cmp.Compare(a.Hint, b.Hint),
	)
}

// Promote turns every warning into an error (the --strict switch).
func (ds Diagnostics) Promote() Diagnostics {
	out := make(Diagnostics, len(ds))
	for i, d := range ds {
		d.Severity = Error
		out[i] = d
	}
	return out
}
