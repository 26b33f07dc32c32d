package diag

import (
	"fmt"
	"io"
	"strings"
)

// Output formats accepted by Render and ParseFormat.
const (
	// FormatText is the human form: FILE:LINE:COLUMN, severity, rule and
	// message, then the offending line with a caret under it.
	FormatText = "text"
	// FormatJSON is a stable JSON object listing every diagnostic.
	FormatJSON = "json"
	// FormatSARIF is a SARIF 2.1.0 log, the input of GitHub code scanning.
	FormatSARIF = "sarif"
	// FormatGitHub is GitHub Actions workflow commands (::error, ::warning),
	// which the runner turns into annotations.
	FormatGitHub = "github"
)

// Formats lists the formats Render accepts, in the order help text shows them.
func Formats() []string {
	return []string{FormatText, FormatJSON, FormatSARIF, FormatGitHub}
}

// ParseFormat checks that s names a format Render accepts and returns it.
// The empty string means FormatText.
func ParseFormat(s string) (string, error) {
	if s == "" {
		return FormatText, nil
	}
	for _, f := range Formats() {
		if s == f {
			return f, nil
		}
	}
	return "", fmt.Errorf("unknown diagnostics format %q: use %s", s, strings.Join(Formats(), ", "))
}

// RenderOptions configures Render.
type RenderOptions struct {
	// Format is one of Formats(); "" means FormatText.
	Format string
	// Color adds ANSI colours to the text format. Callers set it only when
	// the output is a terminal and NO_COLOR is not set.
	Color bool
	// Sources maps a file name, as it appears in Range.Filename, to its
	// contents, so that the text format can show the offending line.
	Sources map[string][]byte
	// ToolVersion is the cicdgen version SARIF logs name; it may be empty.
	ToolVersion string
}

// Render writes ds to w in opts.Format. The diagnostics are sorted and
// de-duplicated first (ds itself is left untouched), so the output depends
// only on the set of diagnostics.
func Render(w io.Writer, ds Diagnostics, opts RenderOptions) error {
	format, err := ParseFormat(opts.Format)
	if err != nil {
		return err
	}
	sorted := append(Diagnostics(nil), ds...).Normalize()
	switch format {
	case FormatJSON:
		err = renderJSON(w, sorted)
	case FormatSARIF:
		err = renderSARIF(w, sorted, opts.ToolVersion)
	case FormatGitHub:
		err = renderGitHub(w, sorted)
	default:
		err = renderText(w, sorted, opts)
	}
	if err != nil {
		return fmt.Errorf("render diagnostics as %s: %w", format, err)
	}
	return nil
}

// Summary returns "2 errors, 1 warning", "1 error", "3 warnings", or ""
// when ds is empty.
func Summary(ds Diagnostics) string {
	errs, warns := ds.Count()
	var parts []string
	if errs > 0 {
		parts = append(parts, Plural(errs, "error"))
	}
	if warns > 0 {
		parts = append(parts, Plural(warns, "warning"))
	}
	return strings.Join(parts, ", ")
}

// Plural returns n and word, with an s unless n is 1: "1 stack", "2 stacks",
// "0 warnings".
func Plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
