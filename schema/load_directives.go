package schema

import (
	"strings"

	"github.com/cicdgen/cicdgen/diag"
)

// hideDirectives returns the source the parser reads: src with the
// directives that open the document (%YAML 1.2, %TAG ...) turned into
// comments, byte for byte in place so that every position stays. The parser
// (goccy/go-yaml v1.19) reads "%YAML 1.2\n---\n" as two documents and fails
// on %TAG (docs/yaml-parser.md). It checks the directives as YAML 1.2 says
// (spec 6.8): a %YAML of another major version is an error, a second %YAML
// too, an unknown directive a warning, and directives need a "---" after
// them.
func (r *yamlReader) hideDirectives() (out []byte, ok bool) {
	errorsBefore := len(r.diags)
	seenYAML := 0
	lastDirective := 0
	for i := range r.lineStarts {
		lineNo := i + 1
		text := r.lineText(lineNo)
		trimmed := strings.TrimSpace(text)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		if !strings.HasPrefix(text, "%") {
			if lastDirective > 0 && !strings.HasPrefix(text, "---") {
				r.errors(diag.Errorf(diag.RuleYAMLDirective, r.pointRange(lineNo, 1), "", "a directive (line %d) must be followed by --- before the document starts", lastDirective).
					WithHint("write --- on the line after the directives"))
			}
			break
		}
		if out == nil {
			out = append([]byte(nil), r.src...)
		}
		out[r.lineStarts[i]] = '#'
		lastDirective = lineNo
		fields := strings.Fields(stripComment(text))
		switch fields[0] {
		case "%YAML":
			seenYAML++
			switch {
			case seenYAML > 1:
				r.errors(diag.Errorf(diag.RuleYAMLDirective, r.pointRange(lineNo, 1), "", "a second %%YAML directive; a document has at most one"))
			case len(fields) != 2:
				r.errors(diag.Errorf(diag.RuleYAMLDirective, r.pointRange(lineNo, 1), "", "the %%YAML directive takes one version, such as %%YAML 1.2"))
			case !strings.HasPrefix(fields[1], "1."):
				rng := r.pointRange(lineNo, strings.Index(text, fields[1])+1)
				rng.End.Column = rng.Start.Column + len(fields[1])
				r.errors(diag.Errorf(diag.RuleYAMLDirective, rng, "", "YAML version %s is not supported; cicdgen reads YAML 1.2 (write %%YAML 1.2, or no directive)", fields[1]))
			}
		case "%TAG":
			if len(fields) >= 2 && fields[1] == "!!" && (len(fields) < 3 || fields[2] != "tag:yaml.org,2002:") {
				r.errors(diag.Errorf(diag.RuleYAMLDirective, r.pointRange(lineNo, 1), "", "this %%TAG directive redefines !!, the prefix of YAML's own types; system.yaml uses !! as YAML defines it").
					WithHint("remove the directive"))
			}
		default:
			r.errors(diag.Warningf(diag.RuleYAMLDirective, r.pointRange(lineNo, 1), "", "unknown directive %s; cicdgen ignores it", fields[0]))
		}
	}
	ok = !r.diags[errorsBefore:].HasErrors()
	if out == nil {
		return r.src, ok
	}
	return out, ok
}
