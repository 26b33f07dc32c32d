package awscmd

import (
	"github.com/cicdgen/cicdgen/deploy"
	"github.com/cicdgen/cicdgen/internal/command"
)

// The JSON documents (docs/json.md) of the commands that call AWS.

// deployDocument is the document of apply (and of diff and apply
// --dry-run, whose stacks are the plan: result "planned" or "unchanged"
// with their changes), and what --summary-json writes: the header and
// deploy's ApplyResult.
type deployDocument struct {
	command.DocHeader
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
	command.DocHeader
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
	command.DocHeader
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
	command.DocHeader
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
