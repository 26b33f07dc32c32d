package schema

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/cicdgen/cicdgen/diag"
)

// Limits bound the work of loading one file, so that no input, however
// hostile, costs more than a fraction of a second and a few tens of MiB. The
// YAML parser's cost grows with the square of the nesting depth and of the
// number of entries in one block mapping (docs/yaml-parser.md), so these are
// enforced by a scan of the bytes before the parser sees them.
type Limits struct {
	// MaxBytes is the largest source accepted, in bytes.
	MaxBytes int64
	// MaxDepth is the deepest nesting of collections (block and flow, and
	// through aliases) accepted.
	MaxDepth int
	// MaxNodes is the largest number of values (entries, items and scalars)
	// a file may hold, and expand to through aliases.
	MaxNodes int
	// MaxEntries is the largest number of entries of one mapping or items of
	// one sequence.
	MaxEntries int
}

// Default limits. A system.yaml of 300 environments with overrides is about
// 60 KiB, 8 levels deep and 10,000 values; an accounts mapping of 300 accounts
// has 300 entries.
const (
	DefaultMaxBytes   = 1 << 20
	DefaultMaxDepth   = 100
	DefaultMaxNodes   = 20_000
	DefaultMaxEntries = 1_000
)

// DefaultLimits returns the limits Load applies.
func DefaultLimits() Limits {
	return Limits{MaxBytes: DefaultMaxBytes, MaxDepth: DefaultMaxDepth, MaxNodes: DefaultMaxNodes, MaxEntries: DefaultMaxEntries}
}

// withDefaults fills the zero fields of l with the defaults.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxBytes <= 0 {
		l.MaxBytes = d.MaxBytes
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = d.MaxDepth
	}
	if l.MaxNodes <= 0 {
		l.MaxNodes = d.MaxNodes
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = d.MaxEntries
	}
	return l
}

// FormatSize writes a byte count the way the --max-size flag reads it:
// 4 MiB, 512 KiB, 100 bytes.
func FormatSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// ParseSize reads a size such as 4MiB, 512KiB, 10MB, 2M or 1048576 (bytes).
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	units := []struct {
		suffix string
		factor int64
	}{
		{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30},
		{"KB", 1000}, {"MB", 1000 * 1000}, {"GB", 1000 * 1000 * 1000},
		{"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1},
	}
	factor := int64(1)
	for _, u := range units {
		if len(t) > len(u.suffix) && strings.EqualFold(t[len(t)-len(u.suffix):], u.suffix) {
			factor, t = u.factor, strings.TrimSpace(t[:len(t)-len(u.suffix)])
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 || n > (1<<40)/factor {
		return 0, fmt.Errorf("size %q: write a positive number of bytes, or one with a unit such as 8MiB or 512KiB", s)
	}
	return n * factor, nil
}

// checkSize reports a source larger than the limit, at the first byte past
// it. src may have been cut just after the limit by its reader.
func checkSize(filename string, src []byte, lim Limits) (diag.Diagnostic, bool) {
	if int64(len(src)) <= lim.MaxBytes {
		return diag.Diagnostic{}, false
	}
	line, col := lineColumnAt(src, int(lim.MaxBytes))
	rng := diag.Range{Filename: filename, Start: diag.Pos{Line: line, Column: col}, End: diag.Pos{Line: line, Column: col + 1}}
	return diag.Errorf(diag.RuleSizeLimit, rng, "", "the file is larger than %s, the most cicdgen reads; a system description is a few KiB", FormatSize(lim.MaxBytes)).
		WithHint("check that this is the system.yaml you meant; to read a larger one, raise the limit with --max-size, e.g. --max-size %s", FormatSizeFlag(2*lim.MaxBytes)), true
}

// lineColumnAt returns the 1-based line and column (in characters) of the
// byte at offset in src.
func lineColumnAt(src []byte, offset int) (line, col int) {
	offset = min(offset, len(src))
	head := src[:offset]
	line = 1 + bytes.Count(head, []byte("\n"))
	start := bytes.LastIndexByte(head, '\n') + 1
	return line, 1 + utf8.RuneCount(head[start:])
}

// boundsScan is a scan of the source that measures, without parsing, what
// parsing it would cost: the nesting depth, the number of values and the
// entries of each collection. It knows as much YAML as that needs: comments,
// quoted scalars, block scalars, flow collections and the indicators that
// open block collections ("- ", "key: ").
type boundsScan struct {
	filename string
	lim      Limits

	nodes int
	// blocks holds the open block collections, outermost first.
	blocks []blockLevel
	// flow holds the entry counts of the open flow collections.
	flow []int
	// quote is the quote character of a quoted scalar still open at the end
	// of a line (0: none).
	quote byte
	// blockScalarIndent is the indentation of the line that opened a block
	// scalar whose content is being skipped; -1 when there is none.
	blockScalarIndent int

	diag diag.Diagnostic
	hit  bool
}

// blockLevel is an open block collection: its column (0-based) and how
// many entries it has so far.
type blockLevel struct {
	col      int
	sequence bool
	entries  int
}

// scanBounds checks src against the depth, node and entry limits before
// the parser reads it, and returns the first limit it exceeds.
func scanBounds(filename string, src []byte, lim Limits) (diag.Diagnostic, bool) {
	s := &boundsScan{filename: filename, lim: lim, blockScalarIndent: -1}
	lineNo := 0
	for start := 0; start < len(src) && !s.hit; {
		end := len(src)
		if i := bytes.IndexByte(src[start:], '\n'); i >= 0 {
			end = start + i
		}
		lineNo++
		line := src[start:end]
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		s.scanLine(lineNo, line)
		start = end + 1
	}
	return s.diag, s.hit
}

// fail records the first limit exceeded, at byte i of line.
func (s *boundsScan) fail(rule string, lineNo int, line []byte, i int, format string, args ...any) {
	if s.hit {
		return
	}
	col := 1 + utf8.RuneCount(line[:min(i, len(line))])
	rng := diag.Range{Filename: s.filename, Start: diag.Pos{Line: lineNo, Column: col}, End: diag.Pos{Line: lineNo, Column: col + 1}}
	s.diag = diag.Errorf(rule, rng, "", format, args...)
	switch rule {
	case diag.RuleDepthLimit:
		s.diag = s.diag.WithHint("a system description nests about 8 levels deep; check for a generated or corrupted file")
	default:
		s.diag = s.diag.WithHint("a system description of 300 environments holds about 10,000 values; check for a generated or corrupted file")
	}
	s.hit = true
}

// count adds one value, at byte i of line.
func (s *boundsScan) count(lineNo int, line []byte, i int) {
	s.nodes++
	if s.nodes > s.lim.MaxNodes {
		s.fail(diag.RuleNodeLimit, lineNo, line, i, "the file holds more than %d values, the most cicdgen reads", s.lim.MaxNodes)
	}
}

// depth is the nesting depth of what is open.
func (s *boundsScan) depth() int { return len(s.blocks) + len(s.flow) }

// checkDepth reports a nesting deeper than the limit, at byte i of line.
func (s *boundsScan) checkDepth(lineNo int, line []byte, i int) {
	if s.depth() > s.lim.MaxDepth {
		s.fail(diag.RuleDepthLimit, lineNo, line, i, "the file nests collections more than %d levels deep, the most cicdgen reads", s.lim.MaxDepth)
	}
}

// blockEntry records an entry (a key or a "- " item) of a block collection
// at column col (byte i of line).
func (s *boundsScan) blockEntry(lineNo int, line []byte, i, col int, sequence bool) {
	if n := len(s.blocks); n > 0 && s.blocks[n-1].col == col && s.blocks[n-1].sequence == sequence {
		top := &s.blocks[n-1]
		top.entries++
		if top.entries > s.lim.MaxEntries {
			what := "mapping holds more than %d entries"
			if sequence {
				what = "list holds more than %d items"
			}
			s.fail(diag.RuleNodeLimit, lineNo, line, i, "this "+what+", the most cicdgen reads in one collection", s.lim.MaxEntries)
		}
	} else {
		s.blocks = append(s.blocks, blockLevel{col: col, sequence: sequence, entries: 1})
		s.checkDepth(lineNo, line, i)
	}
	s.count(lineNo, line, i)
}

// scanLine scans one line (without its line break).
func (s *boundsScan) scanLine(lineNo int, line []byte) {
	indent := 0
	for indent < len(line) && line[indent] == ' ' {
		indent++
	}
	rest := strings.TrimLeft(string(line[indent:]), " \t")
	if s.blockScalarIndent >= 0 {
		if rest == "" || indent > s.blockScalarIndent {
			return // content (or a blank line) of a block scalar
		}
		s.blockScalarIndent = -1
	}
	i := indent
	if s.quote == 0 && len(s.flow) == 0 {
		if rest == "" || rest[0] == '#' {
			return
		}
		if strings.HasPrefix(rest, "---") || strings.HasPrefix(rest, "...") || rest[0] == '%' {
			if indent == 0 {
				s.blocks = s.blocks[:0]
				return
			}
		}
		// Close the block collections this line is outside of.
		for len(s.blocks) > 0 && s.blocks[len(s.blocks)-1].col > indent {
			s.blocks = s.blocks[:len(s.blocks)-1]
		}
		// "- " items, possibly several on one line ("- - x"), then a key.
		for i < len(line) && line[i] == '-' && (i+1 == len(line) || line[i+1] == ' ' || line[i+1] == '\t') {
			for len(s.blocks) > 0 && s.blocks[len(s.blocks)-1].col > i {
				s.blocks = s.blocks[:len(s.blocks)-1]
			}
			s.blockEntry(lineNo, line, i, i, true)
			i++
			for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
				i++
			}
			if s.hit {
				return
			}
		}
		if keyEnd(line, i) >= 0 {
			// A key at the column of a list ends that list: YAML lets the
			// items of a key's list start at the key's own column.
			for n := len(s.blocks); n > 0 && (s.blocks[n-1].col > i || s.blocks[n-1].col == i && s.blocks[n-1].sequence); n = len(s.blocks) {
				s.blocks = s.blocks[:n-1]
			}
			s.blockEntry(lineNo, line, i, i, false)
		}
		if opensBlockScalar(strings.TrimLeft(string(line), " ")) {
			s.blockScalarIndent = indent
		}
	}
	s.scanFlowChars(lineNo, line, i)
}

// scanFlowChars follows quotes, comments and flow collections over the rest
// of a line from byte i.
func (s *boundsScan) scanFlowChars(lineNo int, line []byte, i int) {
	for ; i < len(line) && !s.hit; i++ {
		c := line[i]
		if s.quote != 0 {
			switch {
			case s.quote == '"' && c == '\\':
				i++
			case c == s.quote && c == '\'' && i+1 < len(line) && line[i+1] == '\'':
				i++
			case c == s.quote:
				s.quote = 0
			}
			continue
		}
		switch c {
		case '#':
			if i == 0 || line[i-1] == ' ' || line[i-1] == '\t' {
				return
			}
		case '"', '\'':
			if i == 0 || strings.IndexByte(" \t[{,:-?", line[i-1]) >= 0 {
				s.quote = c
			}
		case '[', '{':
			s.flow = append(s.flow, 0)
			s.count(lineNo, line, i)
			s.checkDepth(lineNo, line, i)
		case ']', '}':
			if len(s.flow) > 0 {
				s.flow = s.flow[:len(s.flow)-1]
			}
		case ',':
			if n := len(s.flow); n > 0 {
				s.flow[n-1]++
				if s.flow[n-1] >= s.lim.MaxEntries {
					s.fail(diag.RuleNodeLimit, lineNo, line, i, "this flow collection holds more than %d entries, the most cicdgen reads in one collection", s.lim.MaxEntries)
				}
				s.count(lineNo, line, i)
			}
		}
	}
}

// keyEnd returns the index of the colon of a block mapping key that starts
// at byte i of line ("key:" followed by a space or the end of the line, or
// a quoted key followed by a colon), or -1.
func keyEnd(line []byte, i int) int {
	if i >= len(line) {
		return -1
	}
	j := i
	switch line[i] {
	case '"', '\'':
		q := line[i]
		for j = i + 1; j < len(line); j++ {
			if line[j] == '\\' && q == '"' {
				j++
				continue
			}
			if line[j] == q {
				break
			}
		}
		j++
		for j < len(line) && line[j] == ' ' {
			j++
		}
		if j < len(line) && line[j] == ':' {
			return j
		}
		return -1
	case '[', '{', '#', '&', '*', '!', '|', '>', '%', '@', '`':
		return -1
	}
	for ; j < len(line); j++ {
		if line[j] == ':' && (j+1 == len(line) || line[j+1] == ' ' || line[j+1] == '\t') {
			return j
		}
		if line[j] == '#' && j > 0 && (line[j-1] == ' ' || line[j-1] == '\t') {
			return -1
		}
	}
	return -1
}

// FormatSizeFlag writes a byte count the way ParseSize reads it: 4MiB.
func FormatSizeFlag(n int64) string {
	return strings.TrimSuffix(strings.ReplaceAll(FormatSize(n), " ", ""), "bytes")
}
