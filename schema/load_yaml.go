package schema

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"

	"github.com/cicdgen/cicdgen/diag"
)

// yamlReader turns the source of a system.yaml into a generic JSON value
// (map[string]any, []any, string, int64, uint64, float64, bool, nil) and
// records the position of every value and key in a Document.
type yamlReader struct {
	filename string
	src      []byte
	doc      *Document
	diags    diag.Diagnostics

	text       string // src as a string, which lines are cut from without copying
	lineStarts []int  // byte offset of the start of each line, 0-based lines
	// offsetsLine and offsets cache the byte offset of each character of
	// one line that is not ASCII (see lineOffset).
	offsetsLine int
	offsets     []int
	tabLines    map[int]bool

	lim     Limits
	anchors map[string]ast.Node
	active  map[ast.Node]bool // anchors being expanded, to stop alias cycles
	// nodes counts the nodes walked so far, aliases expanded, so that a
	// "billion laughs" file fails fast instead of exhausting memory.
	nodes  int
	tooBig bool
	// expanding holds the ranges of the aliases being expanded, outermost
	// first: a limit crossed inside one is reported at the outermost.
	expanding []diag.Range

	segs []string // path segments of the node being walked; "" for an index

	// tagColumns holds, by line, the columns the parser gave the tags it
	// read there (see tagShift).
	tagColumns map[int][]int

	// reported holds the paths of values already reported here, whose
	// schema errors would only repeat the point.
	reported map[string]bool
}

func newYAMLReader(filename string, src []byte, doc *Document, lim Limits) *yamlReader {
	r := &yamlReader{filename: filename, src: src, text: string(src), doc: doc, lim: lim, anchors: map[string]ast.Node{}, active: map[ast.Node]bool{}, reported: map[string]bool{}}
	r.lineStarts = append(r.lineStarts, 0)
	for i, b := range src {
		if b == '\n' {
			r.lineStarts = append(r.lineStarts, i+1)
		}
	}
	return r
}

// read parses the source and returns its value. ok is false when the source
// is not a single well-formed YAML document, so that nothing can be validated.
func (r *yamlReader) read() (value any, ok bool) {
	r.scanTabs()
	src, ok := r.hideDirectives()
	if !ok {
		return nil, false
	}
	file, err := parser.ParseBytes(src, 0, parser.AllowDuplicateMapKey())
	if err != nil {
		r.syntaxError(err)
		return nil, false
	}
	if len(r.tabLines) > 0 {
		// The parser accepted tabs it should not have; the file is still wrong.
		return nil, false
	}
	var bodies []*ast.DocumentNode
	for _, d := range file.Docs {
		if d != nil && d.Body != nil {
			bodies = append(bodies, d)
		}
	}
	switch len(bodies) {
	case 0:
		if len(strings.TrimSpace(string(r.src))) == 0 {
			r.errorAt(diag.RuleYAMLSyntax, r.pointRange(1, 1), "$", "the file is empty; it must hold a system description starting with version: 1")
		} else {
			r.errors(diag.Errorf(diag.RuleYAMLSyntax, r.pointRange(1, 1), "$", "the file has no content: it holds only comments (or document markers), and a system description starts with version: 1").
				WithHint("uncomment the description, or run `cicdgen init` to write a starter one"))
		}
		return nil, false
	case 1:
	default:
		second := bodies[1]
		rng := r.nodeRange(second.Body)
		if second.Start != nil {
			rng = r.tokenRange(second.Start)
		}
		r.errors(diag.Errorf(diag.RuleYAMLSyntax, rng, "$", "the file holds %d YAML documents; cicdgen reads exactly one", len(bodies)).
			WithHint("remove the --- separator and everything after it, or move each system into its own file"))
		return nil, false
	}
	v := r.walk(bodies[0].Body, "$", r.nodeRange(bodies[0].Body))
	if r.tooBig {
		return nil, false
	}
	return v, true
}

func (r *yamlReader) errors(ds ...diag.Diagnostic) { r.diags = append(r.diags, ds...) }

func (r *yamlReader) errorAt(rule string, rng diag.Range, path, format string, args ...any) {
	r.diags = append(r.diags, diag.Errorf(rule, rng, path, format, args...))
}

// scanTabs reports every tab used for indentation. YAML forbids them; the
// parser stops at the first one, this reports them all. Tabs inside the
// content of a block scalar (after its indentation) are text, not indentation.
func (r *yamlReader) scanTabs() {
	blockIndent := -1 // indentation of the line that opened a block scalar
	for i := range r.lineStarts {
		line := r.lineText(i + 1)
		indent := 0
		for indent < len(line) && line[indent] == ' ' {
			indent++
		}
		rest := line[indent:]
		trimmed := strings.TrimLeft(rest, " \t")
		if blockIndent >= 0 {
			if trimmed == "" || indent > blockIndent {
				continue // content (or a blank line) of the block scalar
			}
			blockIndent = -1
		}
		if strings.HasPrefix(rest, "\t") {
			if r.tabLines == nil {
				r.tabLines = map[int]bool{}
			}
			r.tabLines[i+1] = true
			col := utf8.RuneCountInString(line[:indent]) + 1
			r.errors(diag.Errorf(diag.RuleYAMLTab, diag.Range{Filename: r.filename, Start: diag.Pos{Line: i + 1, Column: col}, End: diag.Pos{Line: i + 1, Column: col + 1}}, "",
				"tab character in indentation; YAML indents with spaces only").
				WithHint("replace the tab with spaces"))
			continue
		}
		if c, _ := utf8.DecodeRuneInString(rest); c != ' ' && unicode.IsSpace(c) && c != '\t' && c != '\r' {
			// A non-breaking space (or another Unicode space) looks like a
			// space but is content to YAML: the line's key would begin with it.
			if r.tabLines == nil {
				r.tabLines = map[int]bool{}
			}
			r.tabLines[i+1] = true
			col := utf8.RuneCountInString(line[:indent]) + 1
			r.errors(diag.Errorf(diag.RuleYAMLIndent, r.pointRange(i+1, col), "",
				"%s in indentation; YAML indents with plain spaces (U+0020) only", spaceName(c)).
				WithHint("replace it with a plain space; it often comes from copying text out of a web page or a word processor"))
			continue
		}
		if opensBlockScalar(trimmed) {
			blockIndent = indent
		}
	}
}

// spaceName names a Unicode space character other than U+0020.
func spaceName(c rune) string {
	switch c {
	case 0xA0:
		return "a non-breaking space (U+00A0)"
	case 0x3000:
		return "an ideographic space (U+3000)"
	case 0x202F:
		return "a narrow non-breaking space (U+202F)"
	}
	return fmt.Sprintf("the space character U+%04X", c)
}

// opensBlockScalar reports whether a line ends with a block scalar header
// such as `key: |`, `- >-` or `key: |2 # comment`.
func opensBlockScalar(line string) bool {
	if i := strings.Index(line, " #"); i >= 0 {
		line = line[:i]
	}
	line = strings.TrimRight(line, " \t")
	j := len(line)
	for j > 0 && strings.IndexByte("+-0123456789", line[j-1]) >= 0 {
		j--
	}
	if j == 0 || (line[j-1] != '|' && line[j-1] != '>') {
		return false
	}
	j--
	return j == 0 || line[j-1] == ' ' || line[j-1] == '\t'
}

// syntaxError reports a parse error at the mistake behind it when
// locateSyntaxError finds it, else at the parser's token.
func (r *yamlReader) syntaxError(err error) {
	var tokErr interface {
		GetMessage() string
		GetToken() *token.Token
	}
	if !errors.As(err, &tokErr) || tokErr.GetToken() == nil {
		r.errorAt(diag.RuleYAMLSyntax, r.pointRange(1, 1), "", "invalid YAML: %v", err)
		return
	}
	tk := tokErr.GetToken()
	msg := tokErr.GetMessage()
	for p, n := tk.Prev, 0; p != nil && p.Position != nil && p.Position.Line == tk.Position.Line && n < 1000; p, n = p.Prev, n+1 {
		if p.Type == token.TagType {
			r.noteTag(p)
		}
	}
	for l := range r.tabLines {
		if l <= tk.Position.Line {
			return // the parser stumbled over a tab or odd space reported by scanTabs
		}
	}
	if strings.Contains(msg, "'\t'") {
		r.errors(diag.Errorf(diag.RuleYAMLTab, r.pointRange(tk.Position.Line, tk.Position.Column), "",
			"tab character in indentation; YAML indents with spaces only").WithHint("replace the tab with spaces"))
		return
	}
	if d, ok := r.locateSyntaxError(tk, msg); ok {
		r.errors(d)
		return
	}
	r.errors(diag.Errorf(diag.RuleYAMLSyntax, r.tokenRange(tk), "", "invalid YAML: %s", msg))
}

// --- walking the AST ---

// walk converts node, whose path is path, to a generic value and records its
// range (rng, computed by the caller, who knows about implicit nulls).
func (r *yamlReader) walk(node ast.Node, path string, rng diag.Range) any {
	r.nodes++
	if r.nodes > r.lim.MaxNodes || len(r.segs) > r.lim.MaxDepth {
		if !r.tooBig {
			r.tooBig = true
			if len(r.expanding) > 0 {
				rng, path = r.expanding[0], ""
			}
			if r.nodes > r.lim.MaxNodes {
				r.errors(diag.Errorf(diag.RuleNodeLimit, rng, path, "the file expands to more than %d values through its aliases, the most cicdgen reads", r.lim.MaxNodes).
					WithHint("an alias copies its anchor's whole value; aliases of aliases multiply (a \"billion laughs\" file)"))
			} else {
				r.errors(diag.Errorf(diag.RuleDepthLimit, rng, path, "the file nests values more than %d levels deep through its aliases, the most cicdgen reads", r.lim.MaxDepth).
					WithHint("an alias inside the value its anchor names nests the value in itself"))
			}
		}
		return nil
	}
	r.doc.SetValue(path, rng)
	switch n := node.(type) {
	case *ast.MappingNode:
		return r.walkMapping(n, path)
	case *ast.MappingValueNode: // a one-entry mapping the parser did not wrap
		return r.walkMapping(&ast.MappingNode{Values: []*ast.MappingValueNode{n}}, path)
	case *ast.SequenceNode:
		return r.walkSequence(n, path)
	case *ast.AnchorNode:
		if name := anchorName(n.Name); name != "" {
			r.anchors[name] = n.Value
		}
		if n.Value == nil {
			return nil
		}
		r.active[n.Value] = true // an alias inside its own anchor is a cycle
		defer delete(r.active, n.Value)
		return r.walk(n.Value, path, r.nodeRange(n.Value))
	case *ast.AliasNode:
		return r.walkAlias(n, path, rng)
	case *ast.TagNode:
		return r.walkTag(n, path, rng)
	default:
		return r.scalar(node, path, rng)
	}
}

func anchorName(n ast.Node) string {
	if n == nil || n.GetToken() == nil {
		return ""
	}
	return n.GetToken().Value
}

func (r *yamlReader) walkAlias(n *ast.AliasNode, path string, rng diag.Range) any {
	name := anchorName(n.Value)
	target, ok := r.anchors[name]
	if !ok {
		r.errorAt(diag.RuleYAMLSyntax, rng, path, "alias *%s names no anchor defined before it", name)
		r.reported[path] = true
		return nil
	}
	if target == nil {
		return nil
	}
	if r.active[target] {
		r.errorAt(diag.RuleYAMLSyntax, rng, path, "alias *%s refers to itself", name)
		r.reported[path] = true
		return nil
	}
	r.active[target] = true
	r.expanding = append(r.expanding, rng)
	defer func() {
		delete(r.active, target)
		r.expanding = r.expanding[:len(r.expanding)-1]
	}()
	// The alias's own position stays recorded for path; what lies inside it
	// is recorded at the anchor's positions, where the values are written.
	switch target.(type) {
	case *ast.MappingNode, *ast.SequenceNode:
		v := r.walk(target, path, r.nodeRange(target))
		r.doc.SetValue(path, rng)
		return v
	default:
		return r.walk(target, path, rng)
	}
}

func (r *yamlReader) walkMapping(n *ast.MappingNode, path string) any {
	out := make(map[string]any, len(n.Values))
	keyAt := map[string]diag.Range{}
	var merges []ast.Node
	for _, mv := range n.Values {
		if mv == nil || mv.Key == nil {
			continue
		}
		if mv.Key.IsMergeKey() {
			merges = append(merges, mv.Value)
			continue
		}
		key, keyRng, ok := r.mappingKey(mv.Key, path)
		if !ok {
			continue
		}
		if first, dup := keyAt[key]; dup {
			r.errors(diag.Errorf(diag.RuleDuplicateKey, keyRng, PathKey(path, key), "key %q is repeated; it is already set at line %d", key, first.Start.Line).
				WithHint("remove one of the two entries"))
			continue
		}
		keyAt[key] = keyRng
		child := PathKey(path, key)
		r.doc.SetKey(child, keyRng)
		r.segs = append(r.segs, key)
		out[key] = r.walk(mv.Value, child, r.valueRange(mv.Value, keyRng))
		r.segs = r.segs[:len(r.segs)-1]
	}
	for _, m := range merges {
		r.merge(out, keyAt, m, path)
	}
	return out
}

// merge applies a YAML merge key (<<: *anchor or <<: [*a, *b]): entries
// of the merged mappings fill in keys the mapping does not set itself.
func (r *yamlReader) merge(out map[string]any, keyAt map[string]diag.Range, m ast.Node, path string) {
	var sources []ast.Node
	switch v := resolveNode(m, r.anchors).(type) {
	case *ast.MappingNode:
		sources = append(sources, v)
	case *ast.SequenceNode:
		sources = append(sources, v.Values...)
	default:
		r.errorAt(diag.RuleYAMLSyntax, r.nodeRange(m), path, "a merge key (<<) takes a mapping or a list of mappings")
		return
	}
	for _, s := range sources {
		mapping, ok := resolveNode(s, r.anchors).(*ast.MappingNode)
		if !ok {
			r.errorAt(diag.RuleYAMLSyntax, r.nodeRange(s), path, "a merge key (<<) takes a mapping or a list of mappings")
			continue
		}
		if r.active[mapping] {
			r.errorAt(diag.RuleYAMLSyntax, r.nodeRange(s), path, "merge key refers to the mapping that holds it")
			continue
		}
		r.active[mapping] = true
		for _, mv := range mapping.Values {
			if mv == nil || mv.Key == nil || mv.Key.IsMergeKey() {
				continue
			}
			key, keyRng, ok := r.mappingKey(mv.Key, path)
			if !ok {
				continue
			}
			if _, set := keyAt[key]; set {
				continue
			}
			keyAt[key] = keyRng
			child := PathKey(path, key)
			r.doc.SetKey(child, keyRng)
			r.segs = append(r.segs, key)
			out[key] = r.walk(mv.Value, child, r.valueRange(mv.Value, keyRng))
			r.segs = r.segs[:len(r.segs)-1]
		}
		delete(r.active, mapping)
	}
}

// resolveNode follows anchors and aliases to the node they stand for.
func resolveNode(n ast.Node, anchors map[string]ast.Node) ast.Node {
	for i := 0; i < 100 && n != nil; i++ {
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
		case *ast.AliasNode:
			n = anchors[anchorName(v.Value)]
		default:
			return n
		}
	}
	return n
}

// mappingKey returns the text of a mapping key and its range; false when
// the key is not a plain value or holds a forbidden character (both
// reported).
func (r *yamlReader) mappingKey(k ast.MapKeyNode, path string) (string, diag.Range, bool) {
	key, rng, ok := r.mappingKeyText(k, path)
	if !ok {
		return "", rng, false
	}
	if !r.checkText("key", key, PathKey(path, key), rng) {
		return "", rng, false
	}
	return key, rng, true
}

// mappingKeyText returns the text of a mapping key and its range.
func (r *yamlReader) mappingKeyText(k ast.MapKeyNode, path string) (string, diag.Range, bool) {
	var node ast.Node = k
	if mk, ok := k.(*ast.MappingKeyNode); ok { // "? key"
		node = mk.Value
	}
	node = resolveNode(node, r.anchors)
	if tag, ok := node.(*ast.TagNode); ok {
		r.noteTag(tag.Start)
		node = tag.Value
	}
	rng := r.nodeRange(k)
	switch n := node.(type) {
	case *ast.StringNode:
		return n.Value, rng, true
	case *ast.MappingNode, *ast.SequenceNode, nil:
		r.errorAt(diag.RuleYAMLSyntax, rng, path, "a mapping key must be a plain value, not a mapping or a list")
		return "", rng, false
	default:
		if tk := node.GetToken(); tk != nil {
			return tk.Value, rng, true
		}
		r.errorAt(diag.RuleYAMLSyntax, rng, path, "a mapping key must be a plain value")
		return "", rng, false
	}
}

func (r *yamlReader) walkSequence(n *ast.SequenceNode, path string) any {
	out := make([]any, 0, len(n.Values))
	for i, v := range n.Values {
		child := PathIndex(path, i)
		var itemRng diag.Range
		if i < len(n.Entries) && n.Entries[i] != nil && n.Entries[i].Start != nil && !n.IsFlowStyle {
			dash := r.tokenRange(n.Entries[i].Start)
			r.doc.SetKey(child, dash)
			itemRng = r.valueRange(v, dash)
		} else {
			itemRng = r.valueRange(v, r.nodeRange(n))
		}
		r.segs = append(r.segs, "")
		if text, rng, ok := r.plainWithColon(n, v); ok {
			r.nodes++
			r.doc.SetValue(child, rng)
			r.checkValueText(text, child, rng)
			out = append(out, text)
		} else {
			out = append(out, r.walk(v, child, itemRng))
		}
		r.segs = r.segs[:len(r.segs)-1]
	}
	return out
}

// plainWithColon recognises a plain scalar holding a colon, such as
// iam:CreateUser, as an item of a flow sequence. YAML 1.2 reads it as one
// string (a colon is an indicator only before a space or a flow indicator:
// spec 7.3.3, example 7.21), but the parser (goccy/go-yaml v1.19) reads it as
// the one-entry mapping {iam: CreateUser} when the sequence lies inside a
// flow mapping (docs/yaml-parser.md). It returns the string as written and
// its range.
func (r *yamlReader) plainWithColon(seq *ast.SequenceNode, item ast.Node) (string, diag.Range, bool) {
	m, ok := item.(*ast.MappingNode)
	if !seq.IsFlowStyle || !ok || m.IsFlowStyle || len(m.Values) != 1 || m.Values[0] == nil {
		return "", diag.Range{}, false
	}
	mv := m.Values[0]
	key, okKey := mv.Key.(*ast.StringNode)
	value, okValue := mv.Value.(*ast.StringNode)
	if !okKey || !okValue || mv.Start == nil || key.Token == nil || value.Token == nil ||
		key.Token.Type != token.StringType || value.Token.Type != token.StringType {
		return "", diag.Range{}, false
	}
	keyRng, colon, valueRng := r.tokenRange(key.Token), r.tokenRange(mv.Start), r.tokenRange(value.Token)
	if keyRng.Start.Line != colon.Start.Line || valueRng.Start.Line != colon.Start.Line ||
		keyRng.End.Column != colon.Start.Column || valueRng.Start.Column != colon.Start.Column+1 {
		return "", diag.Range{}, false
	}
	line := r.lineText(keyRng.Start.Line)
	from, to := r.lineOffset(keyRng.Start.Line, keyRng.Start.Column), r.lineOffset(keyRng.Start.Line, valueRng.End.Column)
	if from >= to || to > len(line) {
		return "", diag.Range{}, false
	}
	rng := keyRng
	rng.End = valueRng.End
	return line[from:to], rng, true
}

// scalar converts a scalar node.
func (r *yamlReader) scalar(node ast.Node, path string, rng diag.Range) any {
	var v any
	switch n := node.(type) {
	case nil:
		return nil
	case *ast.NullNode:
		v = nil
	case *ast.StringNode:
		v = n.Value
		if n.Token != nil && n.Token.Type == token.StringType {
			v = resolvePlain(n.Value, v)
		}
	case *ast.LiteralNode:
		if n.Value != nil {
			v = n.Value.Value
		} else {
			v = ""
		}
	case *ast.IntegerNode:
		v = resolvePlain(n.Token.Value, n.Value)
	case *ast.FloatNode:
		if math.IsInf(n.Value, 0) || math.IsNaN(n.Value) {
			v = n.Token.Value
		} else {
			v = resolvePlain(n.Token.Value, n.Value)
		}
	case *ast.BoolNode:
		v = n.Value
	case *ast.InfinityNode, *ast.NanNode:
		v = node.GetToken().Value
	case *ast.CommentGroupNode, *ast.CommentNode:
		return nil
	default:
		if tk := node.GetToken(); tk != nil {
			v = tk.Value
		}
	}
	if text, isString := v.(string); isString {
		r.checkValueText(text, path, rng)
	}
	tk := node.GetToken()
	plain := tk != nil && tk.Type != token.SingleQuoteType && tk.Type != token.DoubleQuoteType &&
		tk.Type != token.LiteralType && tk.Type != token.FoldedType
	if r.isAccountID() && plain && v != nil {
		text := tk.Value
		if _, isString := v.(string); !isString || isDigits(text) {
			r.errors(diag.Errorf(diag.RuleType, rng, path, "account id must be a quoted string: write %q", text).
				WithHint("YAML reads an unquoted %s as a number (losing leading zeros); quote the 12 digits", text))
			r.reported[path] = true
			return text
		}
	}
	if len(r.segs) == 1 && r.segs[0] == "version" && v == "1" {
		// version: "1", as Compose files quote theirs: read as meant.
		r.errors(diag.Warningf(diag.RuleType, rng, path, "version is the number 1, not the string \"1\"; write version: 1").
			WithHint("the quotes make it a string; cicdgen reads it as 1"))
		r.reported[path] = true
		return int64(1)
	}
	if r.isText() && plain && v != nil {
		switch v.(type) {
		case int64, uint64, float64, bool:
			return tk.Value // a number or boolean where text is expected: keep it as written
		}
	}
	return v
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// isAccountID reports whether the node being walked is an account id:
// accounts.<key> or accounts.<key>.id.
func (r *yamlReader) isAccountID() bool {
	s := r.segs
	return (len(s) == 2 && s[0] == "accounts") || (len(s) == 3 && s[0] == "accounts" && s[2] == "id")
}

// isText reports whether the node being walked is a value that is text even
// when written like a number or a boolean: tag values, environment
// variables, a wave label, an account key, the suffix and the branch.
func (r *yamlReader) isText() bool {
	s := r.segs
	switch len(s) {
	case 1:
		return s[0] == "suffix"
	case 2:
		return s[0] == "tags" || (s[0] == "source" && s[1] == "branch")
	case 3:
		return s[0] == "service" && s[1] == "environment" ||
			s[0] == "environments" && s[1] == "" && (s[2] == "wave" || s[2] == "account")
	case 5:
		return s[0] == "environments" && s[1] == "" && s[2] == "service" && s[3] == "environment"
	}
	return false
}

// --- ranges ---

// lineText returns line (1-based) without its line break.
func (r *yamlReader) lineText(line int) string {
	if line < 1 || line > len(r.lineStarts) {
		return ""
	}
	start := r.lineStarts[line-1]
	end := len(r.text)
	if line < len(r.lineStarts) {
		end = r.lineStarts[line] - 1
	}
	if end < start {
		end = start
	}
	return strings.TrimSuffix(r.text[start:end], "\r")
}

// lineOffset returns the byte offset in lineText(line) of the 1-based
// character column col (the line's length past its end). The offsets of the
// last line asked for are kept: tokens are looked up line by line.
func (r *yamlReader) lineOffset(line, col int) int {
	text := r.lineText(line)
	if r.offsetsLine != line {
		r.offsetsLine, r.offsets = line, nil
		for i := 0; i < len(text); i++ {
			if text[i] >= utf8.RuneSelf {
				r.offsets = make([]int, 0, len(text))
				for j := range text {
					r.offsets = append(r.offsets, j)
				}
				break
			}
		}
	}
	k := col - 1
	switch {
	case k <= 0:
		return 0
	case r.offsets == nil: // ASCII: a column is a byte
		return min(k, len(text))
	case k < len(r.offsets):
		return r.offsets[k]
	}
	return len(text)
}

func (r *yamlReader) pointRange(line, col int) diag.Range {
	return diag.Range{Filename: r.filename, Start: diag.Pos{Line: line, Column: col}, End: diag.Pos{Line: line, Column: col + 1}}
}

// valueRange is the range of a mapping value or sequence item: its node's
// range, or, for an empty (implicitly null) value, the range of what names it.
func (r *yamlReader) valueRange(n ast.Node, owner diag.Range) diag.Range {
	if n == nil {
		return owner
	}
	if nn, ok := n.(*ast.NullNode); ok && (nn.Token == nil || nn.Token.Type == token.ImplicitNullType) {
		return owner
	}
	return r.nodeRange(n)
}

// nodeRange is the range of the first token of a node: a scalar's whole
// token (quotes included; the first line of a multi-line scalar), the first
// key of a block mapping, the first dash of a block sequence.
func (r *yamlReader) nodeRange(n ast.Node) diag.Range {
	switch v := n.(type) {
	case nil:
		return diag.Range{Filename: r.filename}
	case *ast.MappingNode:
		if !v.IsFlowStyle && len(v.Values) > 0 && v.Values[0] != nil && v.Values[0].Key != nil {
			return r.nodeRange(v.Values[0].Key)
		}
	case *ast.MappingValueNode:
		if v.Key != nil {
			return r.nodeRange(v.Key)
		}
	case *ast.MappingKeyNode:
		if v.Start != nil {
			return r.tokenRange(v.Start)
		}
	case *ast.AnchorNode:
		if v.Value != nil {
			return r.nodeRange(v.Value)
		}
	case *ast.TagNode:
		r.noteTag(v.Start)
		if v.Value != nil {
			return r.nodeRange(v.Value)
		}
	case *ast.AliasNode:
		if v.Start != nil {
			rng := r.tokenRange(v.Start)
			if name := anchorName(v.Value); name != "" {
				rng.End.Column = rng.Start.Column + 1 + utf8.RuneCountInString(name)
			}
			return rng
		}
	}
	tk := n.GetToken()
	if tk == nil {
		return diag.Range{Filename: r.filename}
	}
	return r.tokenRange(tk)
}

// tokenRange is the range of a token as written in the source.
func (r *yamlReader) tokenRange(tk *token.Token) diag.Range {
	if tk == nil || tk.Position == nil {
		return diag.Range{Filename: r.filename}
	}
	line, col := tk.Position.Line, tk.Position.Column+r.tagShift(tk)
	if line < 1 {
		return diag.Range{Filename: r.filename}
	}
	if col < 1 {
		col = 1
	}
	width := 1
	text := r.lineText(line)
	if off := r.lineOffset(line, col); off < len(text) {
		rest := text[off:]
		// A token spans at most its value's text, escaped; a bounded
		// prefix keeps the work per token small on a long line.
		if limit := 4*len(tk.Value) + 256; len(rest) > limit {
			rest = rest[:limit]
		}
		width = tokenWidth(tk, []rune(rest))
	}
	if width < 1 {
		width = 1
	}
	return diag.Range{Filename: r.filename, Start: diag.Pos{Line: line, Column: col}, End: diag.Pos{Line: line, Column: col + width}}
}

// tokenWidth returns how many characters of rest (the source line from the
// token's column on) the token covers.
func tokenWidth(tk *token.Token, rest []rune) int {
	switch tk.Type {
	case token.DoubleQuoteType:
		for i := 1; i < len(rest); i++ {
			switch rest[i] {
			case '\\':
				i++
			case '"':
				return i + 1
			}
		}
		return len(trimRightRunes(rest))
	case token.SingleQuoteType:
		for i := 1; i < len(rest); i++ {
			if rest[i] == '\'' {
				if i+1 < len(rest) && rest[i+1] == '\'' {
					i++
					continue
				}
				return i + 1
			}
		}
		return len(trimRightRunes(rest))
	case token.LiteralType, token.FoldedType:
		i := 1
		for i < len(rest) && strings.ContainsRune("+-0123456789", rest[i]) {
			i++
		}
		return i
	case token.AnchorType, token.AliasType, token.TagType:
		i := 1
		for i < len(rest) && !strings.ContainsRune(" \t,[]{}", rest[i]) {
			i++
		}
		return i
	case token.MappingStartType, token.MappingEndType, token.SequenceStartType, token.SequenceEndType,
		token.SequenceEntryType, token.MappingValueType, token.CollectEntryType, token.MappingKeyType:
		return 1
	}
	value := []rune(tk.Value)
	if !strings.ContainsRune(tk.Value, '\n') && hasRunePrefix(rest, value) {
		return len(value)
	}
	// A multi-line plain scalar, or one the parser normalised: its first line.
	end := len(rest)
	for i := 1; i < len(rest); i++ {
		if rest[i] == '#' && (rest[i-1] == ' ' || rest[i-1] == '\t') {
			end = i
			break
		}
	}
	return len(trimRightRunes(rest[:end]))
}

func hasRunePrefix(s, prefix []rune) bool {
	if len(prefix) > len(s) {
		return false
	}
	for i := range prefix {
		if s[i] != prefix[i] {
			return false
		}
	}
	return true
}

func trimRightRunes(s []rune) []rune {
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}
