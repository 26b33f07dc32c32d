package diag

import (
	"encoding/json"
	"io"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
)

// SARIF 2.1.0 constants of the log the sarif format writes.
const (
	sarifVersion = "2.1.0"
	sarifSchema  = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
	// ToolName is the driver name SARIF logs carry.
	ToolName = "cicdgen"
	// ToolURI is the home page SARIF logs point at.
	ToolURI = "https://github.com/cicdgen/cicdgen"
)

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool       sarifTool     `json:"tool"`
	ColumnKind string        `json:"columnKind"`
	Results    []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID               string       `json:"id"`
	ShortDescription sarifMessage `json:"shortDescription"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID    string          `json:"ruleId"`
	RuleIndex int             `json:"ruleIndex"`
	Level     string          `json:"level"`
	Message   sarifMessage    `json:"message"`
	Locations []sarifLocation `json:"locations,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation *sarifPhysicalLocation `json:"physicalLocation,omitempty"`
	LogicalLocations []sarifLogicalLocation `json:"logicalLocations,omitempty"`
}

type sarifPhysicalLocation struct {
	ArtifactLocation sarifArtifactLocation `json:"artifactLocation"`
	Region           *sarifRegion          `json:"region,omitempty"`
}

type sarifArtifactLocation struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
	EndLine     int `json:"endLine,omitempty"`
	EndColumn   int `json:"endColumn,omitempty"`
}

type sarifLogicalLocation struct {
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

// renderSARIF writes one SARIF 2.1.0 run. Columns count Unicode code points
// (the run's columnKind says so) and region ends are exclusive, as in Range.
func renderSARIF(w io.Writer, ds Diagnostics, toolVersion string) error {
	ruleIndex := map[string]int{}
	var ids []string
	for _, d := range ds {
		id := sarifRuleID(d)
		if _, ok := ruleIndex[id]; !ok {
			ruleIndex[id] = 0
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	rules := make([]sarifRule, len(ids))
	for i, id := range ids {
		ruleIndex[id] = i
		rules[i] = sarifRule{ID: id, ShortDescription: sarifMessage{Text: describeRule(id)}}
	}

	results := make([]sarifResult, 0, len(ds))
	for _, d := range ds {
		id := sarifRuleID(d)
		text := d.Message
		if d.Hint != "" {
			text += "\n" + d.Hint
		}
		res := sarifResult{
			RuleID:    id,
			RuleIndex: ruleIndex[id],
			Level:     d.Severity.String(),
			Message:   sarifMessage{Text: text},
		}
		if loc, ok := sarifLocationOf(d); ok {
			res.Locations = []sarifLocation{loc}
		}
		results = append(results, res)
	}

	log := sarifLog{
		Schema:  sarifSchema,
		Version: sarifVersion,
		Runs: []sarifRun{{
			Tool: sarifTool{Driver: sarifDriver{
				Name:           ToolName,
				Version:        toolVersion,
				InformationURI: ToolURI,
				Rules:          rules,
			}},
			ColumnKind: "unicodeCodePoints",
			Results:    results,
		}},
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(log)
}

// sarifRuleID returns the rule of d, or "cicdgen" for a diagnostic without
// one (SARIF results need a rule to be grouped by code scanning).
func sarifRuleID(d Diagnostic) string {
	if d.Rule == "" {
		return ToolName
	}
	return d.Rule
}

// describeRule returns the summary of a registered rule (Rules), or for
// another id a title made of it: "fargate-size" becomes "Fargate size".
func describeRule(id string) string {
	if summary, ok := RuleSummary(id); ok {
		return summary
	}
	s := strings.ReplaceAll(id, "-", " ")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func sarifLocationOf(d Diagnostic) (sarifLocation, bool) {
	var loc sarifLocation
	if d.Range.Filename != "" {
		pl := &sarifPhysicalLocation{ArtifactLocation: sarifArtifactLocation{URI: artifactURI(d.Range.Filename)}}
		if d.Range.Known() {
			reg := &sarifRegion{StartLine: d.Range.Start.Line}
			if d.Range.Start.Column > 0 {
				reg.StartColumn = d.Range.Start.Column
			}
			if d.Range.End.Line >= d.Range.Start.Line && d.Range.End.Column > 0 &&
				(d.Range.End.Line > d.Range.Start.Line || d.Range.End.Column > d.Range.Start.Column) {
				reg.EndLine = d.Range.End.Line
				reg.EndColumn = d.Range.End.Column
			}
			pl.Region = reg
		}
		loc.PhysicalLocation = pl
	}
	if d.Path != "" {
		loc.LogicalLocations = []sarifLogicalLocation{{FullyQualifiedName: d.Path, Kind: "member"}}
	}
	return loc, loc.PhysicalLocation != nil || loc.LogicalLocations != nil
}

// artifactURI turns a file name into a URI reference: a relative path stays
// relative (code scanning resolves it against the repository root), an
// absolute one becomes a file URI.
func artifactURI(name string) string {
	p := filepath.ToSlash(name)
	if filepath.IsAbs(name) {
		if !strings.HasPrefix(p, "/") {
			p = "/" + p // C:/x on Windows
		}
		return (&url.URL{Scheme: "file", Path: p}).String()
	}
	return (&url.URL{Path: strings.TrimPrefix(p, "./")}).String()
}
