package deploy

import (
	"encoding/json"
	"fmt"
	"time"
)

// Outcome is what happened to one stack.
type Outcome string

// Outcomes of a stack.
const (
	Created     Outcome = "created"
	Updated     Outcome = "updated"
	Unchanged   Outcome = "unchanged"
	Failed      Outcome = "failed"
	Skipped     Outcome = "skipped"     // a stack it depends on failed
	Interrupted Outcome = "interrupted" // Ctrl-C; the stack may still be changing in AWS
	Planned     Outcome = "planned"     // dry run: the change set shows changes
	// Unknown: contact with AWS was lost while the stack changed; it may
	// still be changing, or have ended either way.
	Unknown Outcome = "unknown"
)

// Event is one stack event: a resource (or the stack itself) changing state.
type Event struct {
	Time         time.Time `json:"time"`
	LogicalID    string    `json:"logicalId"`
	ResourceType string    `json:"type"`
	Status       string    `json:"status"`
	Reason       string    `json:"reason,omitempty"`
}

// Change is one resource change of a change set.
type Change struct {
	Action      string `json:"action"` // Add, Modify, Remove, Import, Dynamic
	LogicalID   string `json:"logicalId"`
	Type        string `json:"type"`
	Replacement string `json:"replacement,omitempty"` // True, Conditional, False; empty for Add and Remove
	// Details are the property changes of a Modify (plan.go).
	Details []PropertyChange `json:"details,omitempty"`
}

// StackResult is the result of one stack.
type StackResult struct {
	Stack       string        `json:"stack"`
	Account     string        `json:"account"` // the account's key
	AccountID   string        `json:"accountId"`
	Region      string        `json:"region"`
	Outcome     Outcome       `json:"result"`
	Changes     []Change      `json:"changes"`
	Duration    time.Duration `json:"-"`
	FailedEvent *Event        `json:"failedResource,omitempty"` // the first resource that failed
	// Error explains a failure, a skip or an interruption in one sentence or two.
	Error string `json:"error,omitempty"`
	// Note is extra information for a successful stack (e.g. "recreated").
	Note string `json:"note,omitempty"`
}

// MarshalJSON adds the duration in seconds; a stack without changes has
// an empty list of them, never null.
func (r StackResult) MarshalJSON() ([]byte, error) {
	type plain StackResult
	if r.Changes == nil {
		r.Changes = []Change{}
	}
	return json.Marshal(struct {
		plain
		Seconds float64 `json:"seconds"`
	}{plain(r), r.Duration.Round(time.Millisecond).Seconds()})
}

// Result is the result of an apply or a diff.
type Result struct {
	Stacks []StackResult `json:"stacks"` // in dependency order
	// InProgress names the stacks still changing in AWS when apply was
	// interrupted.
	InProgress []string `json:"inProgress,omitempty"`
	// Interrupted is set when the context was cancelled.
	Interrupted bool `json:"interrupted"`
	// DryRun is set when nothing was executed (diff, apply --dry-run).
	DryRun bool `json:"dryRun"`
}

// DocumentVersion is the version of ApplyDocument's shape: it changes only
// when a field changes meaning or goes away (fields may be added).
const DocumentVersion = 1

// ApplyResult is what the JSON document of apply, apply --dry-run and diff
// says of the deployment: every stack's result and the summary. Lists are
// never null. The command line embeds it in its document, beside the
// header every command's document has (version, command, diagnostics);
// ApplyDocument is it with a version of its own, for --summary-json and
// library users.
type ApplyResult struct {
	// DryRun is set when nothing was executed (diff, apply --dry-run).
	DryRun bool `json:"dryRun"`
	// Stacks are the results, in dependency order.
	Stacks []StackResult `json:"stacks"`
	// Summary counts the outcomes.
	Summary Summary `json:"summary"`
	// InProgress names the stacks that may still be changing in AWS: left
	// by an interruption, or whose outcome is unknown.
	InProgress []string `json:"inProgress"`
	// Interrupted is set when apply was interrupted (Ctrl-C).
	Interrupted bool `json:"interrupted"`
}

// ApplyDocument is a whole JSON document of an apply: its version and the
// ApplyResult.
type ApplyDocument struct {
	Version int `json:"version"` // DocumentVersion
	ApplyResult
}

// Summary counts the stacks of an apply by outcome.
type Summary struct {
	Stacks int `json:"stacks"` // how many stacks were selected
	// Outcomes maps each outcome that occurred to its number of stacks.
	Outcomes map[Outcome]int `json:"outcomes"`
	// OK is true when no stack failed, was skipped or has an unknown
	// outcome, and apply was not interrupted.
	OK bool `json:"ok"`
}

// Output returns what the JSON document says of r.
func (r *Result) Output() ApplyResult {
	out := ApplyResult{DryRun: r.DryRun, Stacks: make([]StackResult, 0, len(r.Stacks)), InProgress: append([]string{}, r.InProgress...),
		Interrupted: r.Interrupted, Summary: Summary{Stacks: len(r.Stacks), Outcomes: r.Counts(), OK: !r.Failed() && !r.Interrupted}}
	for _, s := range r.Stacks {
		if s.Changes == nil {
			s.Changes = []Change{}
		}
		out.Stacks = append(out.Stacks, s)
	}
	return out
}

// Document returns the JSON document of r.
func (r *Result) Document() ApplyDocument {
	return ApplyDocument{Version: DocumentVersion, ApplyResult: r.Output()}
}

// Failed reports whether a stack failed, was skipped, or has an unknown
// outcome.
func (r *Result) Failed() bool {
	for _, s := range r.Stacks {
		if s.Outcome == Failed || s.Outcome == Skipped || s.Outcome == Unknown {
			return true
		}
	}
	return false
}

// Counts returns how many stacks ended with each outcome.
func (r *Result) Counts() map[Outcome]int {
	out := map[Outcome]int{}
	for _, s := range r.Stacks {
		out[s.Outcome]++
	}
	return out
}

func (e Event) String() string {
	s := fmt.Sprintf("%s %s %s", e.LogicalID, e.ResourceType, e.Status)
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}
