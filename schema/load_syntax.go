package schema

import (
	"strings"

	"github.com/goccy/go-yaml/token"

	"github.com/cicdgen/cicdgen/diag"
)

// The YAML parser reports a syntax error where it notices it, which is often
// lines after the mistake: an unclosed [ or { is noticed at the next key, an
// unclosed quote at the next quote, a key indented too deep at the scalar
// above it. locateSyntaxError finds the mistake itself in the source.

// flowScan is what a scan of the source up to a syntax error found.
type flowScan struct {
	// open holds the flow collections ([ or {) still open, outermost first.
	open []flowMark
	// quote is a quoted scalar that runs over a line break and ends on the
	// line of the error, or is still open there: a closing quote forgotten.
	quote    flowMark
	hasQuote bool
}

// flowMark is an indicator character at a 1-based line and column.
type flowMark struct {
	line, col int
	char      rune
	// closedLine is the line where a quoted scalar ends; 0 when it never does.
	closedLine int
}

// syntaxSite is the parser's error: its position, message and the source
// line it points into (rest: from the error's column on).
type syntaxSite struct {
	tk        *token.Token
	msg       string
	line, col int
	text      string
	rest      string
}

// locateSyntaxError returns a diagnostic at the mistake behind the parser's
// error at tk, with message msg, or false when it finds no better place.
func (r *yamlReader) locateSyntaxError(tk *token.Token, msg string) (diag.Diagnostic, bool) {
	site := syntaxSite{tk: tk, msg: msg, line: tk.Position.Line, col: tk.Position.Column}
	site.text = r.lineText(site.line)
	if runes := []rune(site.text); site.col >= 1 && site.col-1 <= len(runes) {
		site.rest = string(runes[site.col-1:])
	}
	for _, explain := range []func(syntaxSite) (diag.Diagnostic, bool){
		r.unclosedAtEnd, r.unclosedQuoteOrFlow, r.overIndented, r.colonInValue, r.misalignedKey, r.keyWithoutColon,
	} {
		if d, ok := explain(site); ok {
			return d, true
		}
	}
	return diag.Diagnostic{}, false
}

// unclosedAtEnd reports a flow collection or a quoted scalar that the
// file ends inside of, in our words rather than the parser's ("sequence end
// token ']' not found"). The parser points at the opening character.
func (r *yamlReader) unclosedAtEnd(s syntaxSite) (diag.Diagnostic, bool) {
	var msg, hint string
	switch {
	case strings.Contains(s.msg, "sequence end token"):
		msg, hint = "this [ is never closed: the file ends inside the list it opens", "end the list with ]: [a, b]"
	case strings.Contains(s.msg, "flow mapping end token"):
		msg, hint = "this { is never closed: the file ends inside the mapping it opens", "end the mapping with }: {a: 1, b: 2}"
	case strings.Contains(s.msg, "end character of double-quoted text"):
		msg, hint = "the string opened by \" here is never closed", "add the closing \" at the end of the value"
	case strings.Contains(s.msg, "end character of single-quoted text"):
		msg, hint = "the string opened by ' here is never closed", "add the closing ' at the end of the value; write '' for a quote inside it"
	default:
		return diag.Diagnostic{}, false
	}
	rng := r.tokenRange(s.tk) // a quoted scalar: its first line
	if strings.Contains(s.msg, "end token") {
		rng = r.pointRange(s.line, s.col+r.tagShift(s.tk))
	}
	return diag.Errorf(diag.RuleYAMLSyntax, rng, "", "invalid YAML: %s", msg).WithHint("%s", hint), true
}

// unclosedQuoteOrFlow reports a quote or a [ / { left open before the error.
func (r *yamlReader) unclosedQuoteOrFlow(s syntaxSite) (diag.Diagnostic, bool) {
	scan := r.scanFlow(s.line, s.col)
	if scan.hasQuote {
		q := scan.quote
		d := diag.Errorf(diag.RuleYAMLSyntax, r.pointRange(q.line, q.col), "",
			"invalid YAML: the string opened by %c here is not closed on its line", q.char)
		if q.closedLine > 0 {
			return d.WithHint("add the closing %c; as written, the string runs on to the %c on line %d", q.char, q.char, q.closedLine), true
		}
		return d.WithHint("add the closing %c at the end of the value", q.char), true
	}
	n := len(scan.open)
	if n == 0 || (!strings.Contains(s.msg, "must be specified") && scan.open[n-1].line >= s.line) {
		return diag.Diagnostic{}, false
	}
	o := scan.open[n-1]
	closer, what := ']', "list"
	if o.char == '{' {
		closer, what = '}', "mapping"
	}
	return diag.Errorf(diag.RuleYAMLSyntax, r.pointRange(o.line, o.col), "",
		"invalid YAML: this %c is never closed; end the %s with %c", o.char, what, closer).
		WithHint("a flow %s written on one line must close on that line: %c ... %c", what, o.char, closer), true
}

// overIndented reports a key indented deeper than the line above it, which
// the parser reads as the continuation of the scalar above.
func (r *yamlReader) overIndented(s syntaxSite) (diag.Diagnostic, bool) {
	if !strings.Contains(s.msg, "mapping value is not allowed in this context") {
		return diag.Diagnostic{}, false
	}
	l, c, width, ok := r.overIndentedKey(s.line)
	if !ok {
		return diag.Diagnostic{}, false
	}
	rng := r.pointRange(l, c)
	rng.End.Column = c + width
	return diag.Errorf(diag.RuleYAMLSyntax, rng, "",
		"invalid YAML: this key is indented deeper than the line above it").
		WithHint("indent it like the keys next to it; YAML reads a deeper line as the continuation of the value above"), true
}

// colonInValue reports a plain value holding ": ", as in name: web: app.
func (r *yamlReader) colonInValue(s syntaxSite) (diag.Diagnostic, bool) {
	value := strings.TrimRight(stripComment(s.rest), " ")
	if !strings.Contains(s.msg, "mapping value is not allowed in this context") || !strings.Contains(value, ": ") {
		return diag.Diagnostic{}, false
	}
	return diag.Errorf(diag.RuleYAMLSyntax, r.tokenRange(s.tk), "",
		"invalid YAML: a value cannot hold \": \" unless it is quoted").
		WithHint("quote the value: %q", value), true
}

// misalignedKey reports a key whose indentation differs from the key on the
// line above, where the parser expected a sibling.
func (r *yamlReader) misalignedKey(s syntaxSite) (diag.Diagnostic, bool) {
	trimmed := strings.TrimLeft(s.text, " ")
	if !strings.Contains(s.msg, "value is not allowed in this context") || s.col != indentOf(s.text)+1 || !looksLikeKey(trimmed) {
		return diag.Diagnostic{}, false
	}
	above, ok := r.keyColumnAbove(s.line)
	if !ok || above == s.col {
		return diag.Diagnostic{}, false
	}
	how := "deeper than"
	if s.col < above {
		how = "less than"
	}
	rng := r.pointRange(s.line, s.col)
	rng.End.Column = s.col + len([]rune(trimmed[:strings.Index(trimmed, ":")]))
	return diag.Errorf(diag.RuleYAMLSyntax, rng, "",
		"invalid YAML: this key is indented %s the key above it (line %d)", how, r.prevContentLine(s.line)).
		WithHint("keys of one mapping line up in one column; indent this one like its siblings"), true
}

// keyWithoutColon reports `port 8080` and `port:8080`, which YAML reads as
// one plain scalar where a key was expected.
func (r *yamlReader) keyWithoutColon(s syntaxSite) (diag.Diagnostic, bool) {
	if !strings.Contains(s.msg, "non-map value is specified") {
		return diag.Diagnostic{}, false
	}
	written := strings.TrimRight(stripComment(s.rest), " ")
	if key, value, ok := strings.Cut(written, " "); ok && !strings.Contains(key, ":") && looksLikeKey(key+": ") {
		return diag.Errorf(diag.RuleYAMLSyntax, r.tokenRange(s.tk), "",
			"invalid YAML: %q is not a key and a value: the key needs a colon", written).
			WithHint("write %s: %s", key, strings.TrimLeft(value, " ")), true
	}
	if key, value, ok := strings.Cut(written, ":"); ok && looksLikeKey(key+": ") && value != "" && value[0] != ' ' {
		return diag.Errorf(diag.RuleYAMLSyntax, r.tokenRange(s.tk), "",
			"invalid YAML: %q is not a key and a value: a colon needs a space after it", written).
			WithHint("write %s: %s", key, value), true
	}
	return diag.Diagnostic{}, false
}

// stripComment removes a trailing comment (" #...") from a line.
func stripComment(s string) string {
	if i := strings.Index(s, " #"); i >= 0 {
		return s[:i]
	}
	return s
}

// overIndentedKey finds the key that caused "mapping value is not allowed"
// at a plain scalar on line: the next line holding content, when it is
// indented deeper than line and looks like `key: ...`. It returns that
// line, the column of its key and the key's width.
func (r *yamlReader) overIndentedKey(line int) (l, col, width int, ok bool) {
	base := indentOf(r.lineText(line))
	for l = line + 1; l <= len(r.lineStarts); l++ {
		text := r.lineText(l)
		trimmed := strings.TrimLeft(text, " ")
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		ind := indentOf(text)
		if ind <= base || !looksLikeKey(trimmed) {
			return 0, 0, 0, false
		}
		return l, ind + 1, len([]rune(trimmed[:strings.Index(trimmed, ":")])), true
	}
	return 0, 0, 0, false
}

// prevContentLine returns the nearest line above line that holds content
// (not blank, not only a comment), or 0.
func (r *yamlReader) prevContentLine(line int) int {
	for l := line - 1; l >= 1; l-- {
		t := strings.TrimLeft(r.lineText(l), " ")
		if t != "" && !strings.HasPrefix(t, "#") {
			return l
		}
	}
	return 0
}

// keyColumnAbove returns the 1-based column of the key that starts the
// nearest content line above line, after any "- " of a sequence item.
func (r *yamlReader) keyColumnAbove(line int) (int, bool) {
	l := r.prevContentLine(line)
	if l == 0 {
		return 0, false
	}
	text := r.lineText(l)
	col := indentOf(text)
	rest := text[col:]
	for strings.HasPrefix(rest, "- ") {
		trimmed := strings.TrimLeft(rest[2:], " ")
		col += len(rest) - len(trimmed)
		rest = trimmed
	}
	if !looksLikeKey(rest) {
		return 0, false
	}
	return col + 1, true
}

// indentOf counts the leading spaces of a line.
func indentOf(s string) int {
	return len(s) - len(strings.TrimLeft(s, " "))
}

// looksLikeKey reports whether a line (without its indentation) starts with
// a plain `key:` followed by a space or the end of the line.
func looksLikeKey(s string) bool {
	i := strings.Index(s, ":")
	if i <= 0 {
		return false
	}
	if strings.ContainsAny(s[:i], "#\"'[]{},") {
		return false
	}
	return i+1 == len(s) || s[i+1] == ' '
}

// scanFlow reads the source up to (stopLine, stopCol), 1-based, and reports
// the flow collections still open there and the last quoted scalar that
// runs over a line break. It knows as much YAML as that needs: comments,
// quoted scalars, and [ { ] } where a value starts.
func (r *yamlReader) scanFlow(stopLine, stopCol int) flowScan {
	var out flowScan
	var quote *flowMark // the quoted scalar being read, if any
	for l := 1; l <= stopLine && l <= len(r.lineStarts); l++ {
		text := []rune(r.lineText(l))
		end := len(text)
		if l == stopLine && stopCol-1 < end {
			end = max(stopCol-1, 0)
		}
		valueStart := true // at the start of a line, a value may start
		for i := 0; i < end; i++ {
			c := text[i]
			if quote != nil {
				switch {
				case quote.char == '"' && c == '\\':
					i++
				case c == quote.char && quote.char == '\'' && i+1 < len(text) && text[i+1] == '\'':
					i++
				case c == quote.char:
					if l > quote.line {
						quote.closedLine = l
						out.quote, out.hasQuote = *quote, true
					}
					quote = nil
					valueStart = false
				}
				continue
			}
			switch {
			case c == ' ' || c == '\t':
				continue
			case c == '#' && (i == 0 || text[i-1] == ' ' || text[i-1] == '\t'):
				i = end // a comment runs to the end of the line
				continue
			case (c == '"' || c == '\'') && valueStart:
				quote = &flowMark{line: l, col: i + 1, char: c}
				continue
			case (c == '[' || c == '{') && valueStart:
				out.open = append(out.open, flowMark{line: l, col: i + 1, char: c})
				continue // valueStart stays: a value may follow
			case (c == ']' || c == '}') && len(out.open) > 0:
				out.open = out.open[:len(out.open)-1]
				valueStart = false
				continue
			case c == ',' && len(out.open) > 0:
				valueStart = true
				continue
			case c == ':' || c == '-' || c == '?':
				// An indicator when followed by a space, the end of the
				// line or (in flow) a flow character.
				if i+1 >= len(text) || text[i+1] == ' ' || text[i+1] == '\t' ||
					(len(out.open) > 0 && strings.ContainsRune(",[]{}", text[i+1])) {
					valueStart = true
					continue
				}
			}
			valueStart = false
		}
	}
	switch {
	case quote != nil && quote.line < stopLine:
		// Still open where the parser gave up, lines after it opened.
		out.quote, out.hasQuote = *quote, true
	case out.hasQuote && out.quote.closedLine != stopLine:
		// A string over several lines that ended before the error is
		// deliberate; the error lies elsewhere.
		out.hasQuote = false
	}
	return out
}
