package diag

import (
	"encoding/json"
	"io"
)

// jsonReport is the document the json format writes. Its field names are
// part of cicdgen's interface: tools parse them.
type jsonReport struct {
	Diagnostics []JSONDiagnostic `json:"diagnostics"`
	Errors      int              `json:"errors"`
	Warnings    int              `json:"warnings"`
}

// JSONDiagnostic is one diagnostic, flattened, as the json format writes it
// (cicdgen's JSON documents embed a list of them). Every field is always
// present; positions are 1-based (columns count characters) and 0 when
// unknown; the end is exclusive.
type JSONDiagnostic struct {
	File      string   `json:"file"`
	Line      int      `json:"line"`
	Column    int      `json:"column"`
	EndLine   int      `json:"endLine"`
	EndColumn int      `json:"endColumn"`
	Severity  Severity `json:"severity"`
	Rule      string   `json:"rule"`
	Message   string   `json:"message"`
	Hint      string   `json:"hint"`
	Path      string   `json:"path"`
}

// renderJSON writes {"diagnostics": [...], "errors": N, "warnings": N},
// indented by two spaces and ending in a newline.
func renderJSON(w io.Writer, ds Diagnostics) error {
	rep := jsonReport{Diagnostics: ToJSON(ds)}
	rep.Errors, rep.Warnings = ds.Count()
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(rep)
}

// ToJSON flattens ds, in their order, into the diagnostics of the json
// format; it never returns nil.
func ToJSON(ds Diagnostics) []JSONDiagnostic {
	out := make([]JSONDiagnostic, 0, len(ds))
	for _, d := range ds {
		out = append(out, JSONDiagnostic{
			File:      d.Range.Filename,
			Line:      d.Range.Start.Line,
			Column:    d.Range.Start.Column,
			EndLine:   d.Range.End.Line,
			EndColumn: d.Range.End.Column,
			Severity:  d.Severity,
			Rule:      d.Rule,
			Message:   d.Message,
			Hint:      d.Hint,
			Path:      d.Path,
		})
	}
	return out
}
