package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/cicdgen/cicdgen/compiler"
	"github.com/cicdgen/cicdgen/deploy"
	"github.com/cicdgen/cicdgen/diag"
	"github.com/cicdgen/cicdgen/internal/version"
	"github.com/cicdgen/cicdgen/manifest"
)

// documentVersion is the version of the shape of the JSON documents that
// `--format json` prints (docs/json.md). It changes only when a field is
// removed or changes meaning; new fields keep it.
const documentVersion = 1

// docHeader opens every JSON document: what it is, which cicdgen wrote it,
// and the diagnostics of the input. A command's document embeds it and adds
// its own fields; reporter.conclude fills it in. Lists are never null.
type docHeader struct {
	Version     int                   `json:"version"`
	Command     string                `json:"command"`
	Cicdgen     string                `json:"cicdgen"`
	Diagnostics []diag.JSONDiagnostic `json:"diagnostics"`
	Errors      int                   `json:"errors"`
	Warnings    int                   `json:"warnings"`
	// Error is what stopped the command when diagnostics do not say it (an
	// AWS configuration that cannot be loaded, a selection naming nothing).
	Error string `json:"error,omitempty"`
}

// document is a command's JSON document: a struct embedding docHeader.
type document interface{ header() *docHeader }

func (h *docHeader) header() *docHeader { return h }

// fill sets the header of command's document with the diagnostics ds,
// sorted and de-duplicated as every format shows them.
func (h *docHeader) fill(command string, ds diag.Diagnostics) {
	ds = ds.Normalize()
	h.Version = documentVersion
	h.Command = command
	h.Cicdgen = version.String()
	h.Diagnostics = diag.ToJSON(ds)
	h.Errors, h.Warnings = ds.Count()
}

// writeDocument writes doc as indented JSON, ending in a newline.
func writeDocument(w io.Writer, doc document) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write the JSON document: %w", err)
	}
	return nil
}

// validateDocument is the document of validate: a verdict per file.
type validateDocument struct {
	docHeader
	Files []fileVerdict `json:"files"`
}

// fileVerdict says whether one FILE of validate is valid (no errors).
type fileVerdict struct {
	File  string `json:"file"`
	Valid bool   `json:"valid"`
}

// stackEntry is one stack of a compiled system, in build's and graph's
// documents.
type stackEntry struct {
	Name        string   `json:"name"`
	Kind        string   `json:"kind"`
	Environment string   `json:"environment,omitempty"`
	Account     string   `json:"account"` // the account's key in system.yaml
	AccountID   string   `json:"accountId"`
	Region      string   `json:"region"`
	Template    string   `json:"template,omitempty"` // build: the file written, relative to output
	DependsOn   []string `json:"dependsOn"`
}

// stackEntries lists the stacks of a, in deployment order; templateFormat
// non-empty names each stack's template file in that format.
func stackEntries(a *compiler.Assembly, templateFormat string) []stackEntry {
	out := make([]stackEntry, 0, len(a.Stacks))
	for _, s := range a.Stacks {
		e := stackEntry{
			Name:        s.Name,
			Kind:        s.Kind,
			Environment: s.Environment,
			Account:     s.Account.Key,
			AccountID:   s.Account.ID,
			Region:      s.Region,
			DependsOn:   append([]string{}, s.DependsOn...),
		}
		if templateFormat != "" {
			e.Template = manifest.TemplateFile(s.Name, templateFormat)
		}
		out = append(out, e)
	}
	return out
}

// buildDocument is the document of build: where the output went and its
// stacks. Output is empty and Stacks empty when nothing was written.
type buildDocument struct {
	docHeader
	Output   string       `json:"output,omitempty"`
	Manifest string       `json:"manifest,omitempty"`
	Stacks   []stackEntry `json:"stacks"`
}

// graphDocument is the document of graph: the stacks with their
// dependencies, and the graph in --graph-format.
type graphDocument struct {
	docHeader
	GraphFormat string       `json:"graphFormat"`
	Graph       string       `json:"graph"`
	Stacks      []stackEntry `json:"stacks"`
}

// deployDocument is the document of apply (and of diff and apply
// --dry-run, whose stacks are the plan: result "planned" or "unchanged"
// with their changes), and what --summary-json writes: the header and
// deploy's ApplyResult.
type deployDocument struct {
	docHeader
	deploy.ApplyResult
	// The review of a dry run (diff.go): the IAM statements, trust and
	// resource policies that change (widens: what apply asks approval
	// for), the stacks of protected environments that change, and the
	// blue/green traffic resets apply refuses.
	Security    []deploy.SecurityChange `json:"security,omitempty"`
	Protected   []string                `json:"protected,omitempty"`
	Traffic     []deploy.TrafficChange  `json:"traffic,omitempty"`
	ReviewError string                  `json:"reviewError,omitempty"`
}

// newDeployDocument is the document of a deployment that has not run yet:
// its lists empty, not null.
func newDeployDocument(dryRun bool) *deployDocument {
	return &deployDocument{ApplyResult: deploy.ApplyResult{
		DryRun:     dryRun,
		Stacks:     []deploy.StackResult{},
		Summary:    deploy.Summary{Outcomes: map[deploy.Outcome]int{}},
		InProgress: []string{},
	}}
}

// setResult records res in the document.
func (d *deployDocument) setResult(res *deploy.Result) {
	dryRun := d.DryRun
	d.ApplyResult = res.Output()
	d.DryRun = dryRun
}

// preflightDocument is the document of preflight: every check and how many
// passed, warned and failed.
type preflightDocument struct {
	docHeader
	Checks []deploy.Check  `json:"checks"`
	Totals preflightTotals `json:"totals"`
}

// preflightTotals counts the checks by verdict.
type preflightTotals struct {
	Passed int `json:"passed"`
	Warned int `json:"warned"`
	Failed int `json:"failed"`
}

// setChecks copies checks into the document, with their totals.
func (d *preflightDocument) setChecks(checks []deploy.Check) {
	d.Checks = append([]deploy.Check{}, checks...)
	d.Totals = preflightTotals{}
	for _, c := range checks {
		switch c.Status {
		case deploy.Pass:
			d.Totals.Passed++
		case deploy.Warn:
			d.Totals.Warned++
		case deploy.Fail:
			d.Totals.Failed++
		}
	}
}

// statusDocument is the document of status: every stack's state, each
// environment's service URL and the pipeline's last execution per stage.
type statusDocument struct {
	docHeader
	System       string                     `json:"system"`
	Stacks       []deploy.StackStatus       `json:"stacks"` // in dependency order
	Environments []deploy.EnvironmentStatus `json:"environments"`
	// Pipeline is absent when the selection has no pipeline stack.
	Pipeline *deploy.PipelineStatus `json:"pipeline,omitempty"`
}

// setStatus copies st into the document, lists made non-null.
func (d *statusDocument) setStatus(st *deploy.Status) {
	d.System = st.System
	d.Stacks = append([]deploy.StackStatus{}, st.Stacks...)
	d.Environments = append([]deploy.EnvironmentStatus{}, st.Environments...)
	d.Pipeline = nil
	if st.Pipeline != nil {
		p := *st.Pipeline
		p.Stages = append([]deploy.StageStatus{}, p.Stages...)
		d.Pipeline = &p
	}
}

// destroyDocument is the document of destroy: the result of each stack,
// what was emptied, retained and left behind, and the stacks kept.
type destroyDocument struct {
	docHeader
	System      string                  `json:"system"`
	Stacks      []deploy.DestroyedStack `json:"stacks"` // in the order of deletion
	Kept        []deploy.KeptStack      `json:"kept"`
	InProgress  []string                `json:"inProgress"`
	Interrupted bool                    `json:"interrupted"`
}

// setResult copies res into the document, lists made non-null.
func (d *destroyDocument) setResult(res *deploy.DestroyResult) {
	d.System = res.System
	d.Stacks = make([]deploy.DestroyedStack, 0, len(res.Stacks))
	for _, s := range res.Stacks {
		s.Emptied = append([]string{}, s.Emptied...)
		s.Retained = append([]deploy.RetainedResource{}, s.Retained...)
		s.LeftBehind = append([]deploy.RetainedResource{}, s.LeftBehind...)
		d.Stacks = append(d.Stacks, s)
	}
	d.Kept = append([]deploy.KeptStack{}, res.Kept...)
	d.InProgress = append([]string{}, res.InProgress...)
	d.Interrupted = res.Interrupted
}
