package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/cicdgen/cicdgen/diag"
	"github.com/cicdgen/cicdgen/manifest"
)

// Outcomes of a stack under destroy, beside Failed, Skipped and Interrupted.
const (
	Deleted Outcome = "deleted" // the stack is gone
	Absent  Outcome = "absent"  // there was no such stack: nothing to do
	Kept    Outcome = "kept"    // protected, or a stack that stays depends on it
)

// DestroyOptions configures PlanDestroy and Destroy. Of Options it uses
// Environments (--env: only those environments' stacks), Concurrency,
// Reporter and the clock and polling settings.
type DestroyOptions struct {
	Options
	// IncludeProtected deletes protected environments too
	// (--include-protected): their termination protection is turned off.
	IncludeProtected bool
}

// DestroyPlan is what a destroy deletes and what it keeps, decided before
// anything is deleted, so that it can be shown and confirmed.
type DestroyPlan struct {
	System string `json:"system"`
	// Delete lists the stacks to delete, dependents before what they
	// depend on.
	Delete []PlannedDeletion `json:"delete"`
	// Keep lists the stacks of the selection that stay, with why.
	Keep []KeptStack `json:"keep"`
}

// PlannedDeletion is a stack destroy deletes.
type PlannedDeletion struct {
	Stack     string `json:"stack"`
	Account   string `json:"account"`
	AccountID string `json:"accountId"`
	Region    string `json:"region"`
	// Status is the stack's status in AWS when planned; "" when there is
	// no such stack.
	Status string `json:"status"`
	// Retained are the resources its template keeps when the stack is
	// deleted (DeletionPolicy Retain or RetainExceptOnCreate).
	Retained []RetainedResource `json:"retained"`
}

// KeptStack is a stack that destroy leaves in place.
type KeptStack struct {
	Stack  string `json:"stack"`
	Reason string `json:"reason"`
}

// RetainedResource is a resource that outlives its stack.
type RetainedResource struct {
	LogicalID  string `json:"logicalId"`
	Type       string `json:"type"`
	PhysicalID string `json:"physicalId,omitempty"`
	// Reason says why it stays: its DeletionPolicy, or why AWS could not
	// delete it.
	Reason string `json:"reason"`
}

// DestroyedStack is the result of one stack of a destroy.
type DestroyedStack struct {
	Stack     string  `json:"stack"`
	Account   string  `json:"account"`
	AccountID string  `json:"accountId"`
	Region    string  `json:"region"`
	Outcome   Outcome `json:"result"`
	// Emptied names the buckets and repositories emptied first, with how
	// much was deleted from each.
	Emptied []string `json:"emptied"`
	// Retained are the resources kept by their DeletionPolicy.
	Retained []RetainedResource `json:"retained"`
	// LeftBehind are the resources AWS could not delete, retained so that
	// the stack could go (DeleteStack's RetainResources).
	LeftBehind []RetainedResource `json:"leftBehind"`
	Error      string             `json:"error,omitempty"`
	Note       string             `json:"note,omitempty"`
	Duration   time.Duration      `json:"-"`
}

// DestroyVersion is the version of the JSON document of DestroyResult.
const DestroyVersion = 1

// DestroyResult is the result of a destroy.
type DestroyResult struct {
	Version int              `json:"version"` // DestroyVersion
	System  string           `json:"system"`
	Stacks  []DestroyedStack `json:"stacks"` // in the order of the plan
	Kept    []KeptStack      `json:"kept"`
	// InProgress names the stacks still being deleted in AWS when destroy
	// was interrupted.
	InProgress  []string `json:"inProgress"`
	Interrupted bool     `json:"interrupted"`
}

// Failed reports whether a stack could not be deleted.
func (r *DestroyResult) Failed() bool {
	for _, s := range r.Stacks {
		if s.Outcome == Failed || s.Outcome == Skipped {
			return true
		}
	}
	return false
}

// PlanDestroy decides which stacks of b a destroy deletes and which it
// keeps (keptStacks), and reads the state of each stack to delete.
func PlanDestroy(ctx context.Context, b *Bundle, f ClientFactory, opts DestroyOptions) (*DestroyPlan, error) {
	order, err := b.order(nil)
	if err != nil {
		return nil, err
	}
	// The environments' own stacks: what they depend on is kept or
	// deleted below.
	names, err := b.Select(Selection{Environments: opts.Environments, NoDeps: true})
	if err != nil {
		return nil, err
	}
	selected := map[string]bool{}
	for _, n := range names {
		selected[n] = true
	}
	keep := keptStacks(b, order, selected, opts.IncludeProtected)
	plan := &DestroyPlan{System: b.Manifest.System, Delete: []PlannedDeletion{}, Keep: []KeptStack{}}
	for i := len(order) - 1; i >= 0; i-- {
		n := order[i]
		s := b.Stack(n)
		switch {
		case !selected[n]:
		case keep[n] != "":
			plan.Keep = append(plan.Keep, KeptStack{Stack: n, Reason: keep[n]})
		default:
			plan.Delete = append(plan.Delete, PlannedDeletion{Stack: n, Account: s.Account.Key, AccountID: s.Account.ID, Region: s.Region,
				Retained: retainedByPolicy(b.Templates[n])})
		}
	}
	// The state of each stack, read concurrently, once AWS is known to be
	// reachable: an endpoint that cannot be reached is one error, not one
	// per stack.
	if len(plan.Delete) > 0 {
		if err := probe(ctx, f, plan.Delete[0].Region); err != nil {
			return nil, err
		}
	}
	opts.defaults()
	sem := make(chan struct{}, opts.Concurrency)
	var wg sync.WaitGroup
	errs := make([]error, len(plan.Delete))
	for i := range plan.Delete {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			p := &plan.Delete[i]
			s := b.Stack(p.Stack)
			cl, err := f.Clients(ctx, s.Account, s.Region)
			if err != nil {
				errs[i] = err
				return
			}
			st, err := describeStack(ctx, cl.CloudFormation, s.Name)
			if err != nil {
				errs[i] = err
				return
			}
			if st != nil {
				p.Status = string(st.StackStatus)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return plan, nil
}

// keptStacks decides which selected stacks destroy keeps, and why: a
// protected environment's stacks (unless includeProtected) and, as SPEC.md
// says, every stack they depend on; and a stack whose export a stack that
// stays imports (CloudFormation refuses to delete an export in use). A
// stack outside the selection that merely follows a selected one (the
// pipeline, deployed after every environment's stacks) keeps nothing.
func keptStacks(b *Bundle, order []string, selected map[string]bool, includeProtected bool) map[string]string {
	keep := map[string]string{}
	protectedChain := map[string]bool{}
	for _, n := range order {
		s := b.Stack(n)
		if selected[n] && s.TerminationProtection && !includeProtected {
			keep[n] = fmt.Sprintf("environment %s is protected (protect: true); --include-protected deletes it", s.Environment)
			protectedChain[n] = true
		}
	}
	// Each template decoded once, for what it exports and imports.
	exports := map[string]map[string]bool{}
	imports := map[string][]string{}
	for _, n := range order {
		t := mustDecode(b.Templates[n])
		exports[n] = exportNames(n, t)
		imports[n] = importNames(t)
	}
	for changed := true; changed; {
		changed = false
		for i := len(order) - 1; i >= 0; i-- {
			n := order[i]
			if selected[n] && keep[n] == "" {
				continue // deleted: it keeps nothing
			}
			s := b.Stack(n)
			if protectedChain[n] {
				for _, d := range s.DependsOn {
					if selected[d] && !protectedChain[d] {
						protectedChain[d] = true
						if keep[d] == "" {
							keep[d] = fmt.Sprintf("%s, which stays, depends on it", n)
						}
						changed = true
					}
				}
			}
			for _, imp := range imports[n] {
				for _, d := range order {
					dep := b.Stack(d)
					if d == n || !selected[d] || keep[d] != "" || !exports[d][imp] || dep.Account.ID != s.Account.ID || dep.Region != s.Region {
						continue
					}
					keep[d] = fmt.Sprintf("%s, which stays, imports its export %s", n, imp)
					changed = true
				}
			}
		}
	}
	return keep
}

// exportNames returns the export names of a stack's decoded template:
// literal, or an Fn::Sub of ${AWS::StackName}.
func exportNames(stack string, template any) map[string]bool {
	out := map[string]bool{}
	t, _ := template.(map[string]any)
	outputs, _ := t["Outputs"].(map[string]any)
	for _, o := range outputs {
		name := dig(o, "Export", "Name")
		if sub, ok := dig(o, "Export", "Name", "Fn::Sub").(string); ok {
			name = sub
		}
		if n, ok := name.(string); ok {
			out[strings.ReplaceAll(n, "${AWS::StackName}", stack)] = true
		}
	}
	return out
}

// importNames returns the names a decoded template imports
// (Fn::ImportValue of a literal name or of an Fn::Sub without variables).
func importNames(template any) []string {
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if imp, ok := x["Fn::ImportValue"]; ok {
				if sub, ok := dig(imp, "Fn::Sub").(string); ok {
					imp = sub
				}
				if name, ok := imp.(string); ok {
					out = append(out, name)
				}
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(template)
	sort.Strings(out)
	return slices.Compact(out)
}

// retainedByPolicy lists the resources a template keeps when its stack is
// deleted: DeletionPolicy Retain, or RetainExceptOnCreate (which keeps them
// on a deletion, though not on the rollback of a failed create).
func retainedByPolicy(body []byte) []RetainedResource {
	var t struct {
		Resources map[string]struct {
			Type           string
			DeletionPolicy string
		}
	}
	out := []RetainedResource{}
	if json.Unmarshal(body, &t) != nil {
		return out
	}
	for _, id := range slices.Sorted(maps.Keys(t.Resources)) {
		r := t.Resources[id]
		if retains(r.DeletionPolicy) {
			out = append(out, RetainedResource{LogicalID: id, Type: r.Type, Reason: "DeletionPolicy " + r.DeletionPolicy})
		}
	}
	return out
}

// deletionPolicies returns the DeletionPolicy and the EmptyOnDelete
// property of each resource of a template.
func deletionPolicies(body []byte) map[string]resourcePolicy {
	var t struct {
		Resources map[string]struct {
			DeletionPolicy string
			Properties     struct{ EmptyOnDelete any }
		}
	}
	out := map[string]resourcePolicy{}
	if json.Unmarshal(body, &t) != nil {
		return out
	}
	for id, r := range t.Resources {
		empty, _ := r.Properties.EmptyOnDelete.(bool)
		out[id] = resourcePolicy{deletion: r.DeletionPolicy, emptyOnDelete: empty}
	}
	return out
}

type resourcePolicy struct {
	deletion      string
	emptyOnDelete bool
}

func (p resourcePolicy) retained() bool { return retains(p.deletion) }

// retains reports whether a DeletionPolicy keeps the resource when its
// stack is deleted: Retain, or RetainExceptOnCreate (which keeps it on a
// deletion, though not on the rollback of a failed create).
func retains(deletionPolicy string) bool {
	return deletionPolicy == "Retain" || deletionPolicy == "RetainExceptOnCreate"
}

// Destroy deletes the stacks of plan: a stack once every stack of the plan
// that depends on it is gone, up to opts.Concurrency at once. Before
// deleting a stack it empties the buckets it deletes (every version and
// delete marker) and the repositories CloudFormation would not empty
// (EmptyOnDelete), and turns its termination protection off. A stack being
// deleted already is waited for; one left DELETE_FAILED is deleted again,
// and what AWS still cannot delete is retained and named, so that the
// stack goes. A stack that is gone already is "absent": a destroy run
// twice does nothing the second time.
func Destroy(ctx context.Context, b *Bundle, f ClientFactory, plan *DestroyPlan, opts DestroyOptions) *DestroyResult {
	opts.defaults()
	r := &run{b: b, f: f, opts: opts.Options, results: map[string]*StackResult{},
		outputs: map[string]map[string]string{}, inProgress: map[string]bool{}}
	res := &DestroyResult{Version: DestroyVersion, System: plan.System, Kept: plan.Keep, InProgress: []string{}}
	if res.Kept == nil {
		res.Kept = []KeptStack{}
	}
	index := map[string]int{}
	for i, p := range plan.Delete {
		index[p.Stack] = i
		res.Stacks = append(res.Stacks, DestroyedStack{Stack: p.Stack, Account: p.Account, AccountID: p.AccountID, Region: p.Region,
			Emptied: []string{}, Retained: p.Retained, LeftBehind: []RetainedResource{}})
	}
	// dependents[n]: the stacks of the plan that depend on n, which go first.
	dependents := map[string][]string{}
	for _, p := range plan.Delete {
		for _, d := range b.Stack(p.Stack).DependsOn {
			if _, ok := index[d]; ok {
				dependents[d] = append(dependents[d], p.Stack)
			}
		}
	}
	var mu sync.Mutex
	stack := func(n string) *DestroyedStack { return &res.Stacks[index[n]] }
	names := make([]string, len(plan.Delete))
	for i, p := range plan.Delete {
		names[i] = p.Stack
	}
	sc := &scheduler{
		names: names, limit: opts.Concurrency,
		waitsFor: func(n string) []string { return dependents[n] },
		succeeded: func(n string) bool {
			mu.Lock()
			defer mu.Unlock()
			o := stack(n).Outcome
			return o == Deleted || o == Absent
		},
		skip: func(n, blocked string) bool {
			if blocked == "" && ctx.Err() == nil {
				return false
			}
			mu.Lock()
			out := stack(n)
			out.Outcome = Skipped
			out.Error = fmt.Sprintf("not deleted: %s, which depends on it, is still there", blocked)
			if blocked == "" {
				out.Error = "not deleted: interrupted"
			}
			mu.Unlock()
			return true
		},
		run: func(n string) {
			mu.Lock()
			one := *stack(n)
			mu.Unlock()
			start := opts.Now()
			r.destroyStack(ctx, b.Stack(n), &one)
			one.Duration = opts.Now().Sub(start)
			mu.Lock()
			*stack(n) = one
			mu.Unlock()
		},
		finished: func(n string) {
			mu.Lock()
			out := *stack(n)
			mu.Unlock()
			opts.Reporter.Done(StackResult{Stack: out.Stack, Account: out.Account, AccountID: out.AccountID, Region: out.Region,
				Outcome: out.Outcome, Duration: out.Duration, Error: out.Error, Note: out.Note})
		},
	}
	sc.schedule()
	opts.Reporter.Close()
	res.Interrupted = ctx.Err() != nil
	for _, p := range plan.Delete {
		if r.inProgress[p.Stack] {
			res.InProgress = append(res.InProgress, p.Stack)
		}
	}
	return res
}

// destroyStack deletes one stack and records what happened in out.
func (r *run) destroyStack(ctx context.Context, s *manifest.Stack, out *DestroyedStack) {
	opts := r.opts
	opts.Reporter.Start(s.Name)
	sr := &StackResult{Stack: s.Name}
	d := &stackRun{run: r, s: s, res: sr}
	err := d.destroy(ctx, out)
	switch {
	case err == nil:
	case ctx.Err() != nil:
		out.Outcome = Interrupted
		out.Error = "interrupted: " + err.Error()
		if r.inProgress[s.Name] {
			out.Error = "interrupted while CloudFormation was deleting it; it goes on in AWS (run destroy again to wait for it)"
		}
	default:
		out.Outcome = Failed
		out.Error = err.Error()
	}
}

// destroy deletes the stack of d.
func (d *stackRun) destroy(ctx context.Context, out *DestroyedStack) error {
	cl, err := d.f.Clients(ctx, d.s.Account, d.s.Region)
	if err != nil {
		return err
	}
	d.cl = cl
	cfn := cl.CloudFormation
	policies := deletionPolicies(d.b.Templates[d.s.Name])
	var lastErr error // the refusal of the last DeleteStack call
	for attempt := 1; ; attempt++ {
		st, err := describeStack(ctx, cfn, d.s.Name)
		if err != nil {
			return err
		}
		if st == nil {
			if out.Outcome == "" {
				out.Outcome = Absent
				out.Note = "no such stack: nothing to delete"
			} else {
				out.Outcome = Deleted
			}
			return nil
		}
		status := string(st.StackStatus)
		switch {
		case status == string(types.StackStatusDeleteInProgress):
			d.status("being deleted already; waiting for it")
			if err := d.waitDeleted(ctx, st); err != nil {
				return err
			}
			out.Outcome = Deleted
			continue
		case inProgress(status) && status != string(types.StackStatusReviewInProgress):
			d.status(status + ": waiting for the operation in progress to end before deleting")
			evr, err := newEventReader(ctx, cfn, d.s.Name, true)
			if err != nil {
				return err
			}
			if _, err := d.watch(ctx, d.s.Name, stateOf(st), evr, false); err != nil {
				return err
			}
			continue
		}
		if attempt > maxDeleteAttempts {
			if lastErr != nil {
				return lastErr
			}
			return fmt.Errorf("stack %s is still %s after %d attempts to delete it (%s)", d.s.Name, status, maxDeleteAttempts, orUnknown(aws.ToString(st.StackStatusReason)))
		}
		// Its resources, and those that could not be deleted the last
		// time: one listing.
		resources := map[string]stackResource{}
		var failed []RetainedResource
		if status != string(types.StackStatusReviewInProgress) { // no resources yet
			listed, err := listResources(ctx, cfn, d.s.Name)
			if err != nil {
				if ctx.Err() != nil {
					return err
				}
				// Nothing to empty is known: CloudFormation says what it
				// cannot delete, and the next attempt retains it.
				d.status(fmt.Sprintf("cannot list its resources (%v); deleting it without emptying anything first", err))
			}
			resources = stackResources(listed)
			if status == string(types.StackStatusDeleteFailed) {
				failed = failedDeletions(listed)
			}
		}
		for i := range failed {
			if failed[i].PhysicalID == "" {
				failed[i].PhysicalID = resources[failed[i].LogicalID].physical
			}
		}
		if attempt == 1 {
			for i := range out.Retained {
				out.Retained[i].PhysicalID = resources[out.Retained[i].LogicalID].physical
			}
		}
		emptied, err := d.emptyStorage(ctx, resources, policies)
		out.Emptied = append(out.Emptied, emptied...)
		if err != nil {
			return err
		}
		// A resource that failed once and has nothing new to empty would
		// fail again: retain it, so that the stack goes, and name it.
		var retain []string
		if len(failed) > 0 && (len(emptied) == 0 || attempt >= maxDeleteAttempts) {
			for _, f := range failed {
				retain = append(retain, f.LogicalID)
			}
			out.LeftBehind = append(out.LeftBehind, failed...)
		}
		w, err := d.deleteStack(ctx, st, deletion{retain: retain, destroy: true})
		var refused *deleteRefusedError
		switch {
		case errors.As(err, &refused) && ctx.Err() == nil && !isRefused(err):
			// Refused for now (an implementation that deletes at once and
			// reports a dependency): look at the stack again, try again.
			lastErr = err
			d.status(lastErr.Error() + "; trying again")
			continue
		case err != nil:
			return err
		}
		lastErr = nil
		if w.status == string(types.StackStatusDeleteComplete) {
			out.Outcome = Deleted
			return nil
		}
		d.status(fmt.Sprintf("deletion ended in %s (%s); trying again", w.status, orUnknown(w.reason)))
	}
}

// maxDeleteAttempts bounds the DeleteStack calls for one stack: a retry of
// a DELETE_FAILED stack, then one that retains what still cannot go.
const maxDeleteAttempts = 3

// waitDeleted follows a stack that is being deleted until it is gone or
// DELETE_FAILED.
func (d *stackRun) waitDeleted(ctx context.Context, st *types.Stack) error {
	evr, err := newEventReader(ctx, d.cl.CloudFormation, d.s.Name, true)
	if err != nil {
		return err
	}
	_, err = d.watch(ctx, d.s.Name, stateOf(st), evr, true)
	if err != nil && ctx.Err() != nil {
		d.leftInProgress()
	}
	return err
}

// stackResource is a resource of a deployed stack.
type stackResource struct{ typ, physical string }

// stackResources returns the resources listed that are not deleted, by
// logical id.
func stackResources(listed []listedResource) map[string]stackResource {
	res := map[string]stackResource{}
	for _, r := range listed {
		if r.Status == string(types.ResourceStatusDeleteComplete) {
			continue
		}
		sr := stackResource{typ: r.ResourceType, physical: r.physical}
		if sr.physical == "" {
			// An implementation may list a resource twice (as created, then
			// as failed without its physical id): keep the id.
			sr.physical = res[r.LogicalID].physical
		}
		res[r.LogicalID] = sr
	}
	return res
}

// failedDeletions returns the resources listed that failed to delete, with
// AWS's reason.
func failedDeletions(listed []listedResource) []RetainedResource {
	byID := map[string]RetainedResource{}
	for _, r := range listed {
		if r.Status != string(types.ResourceStatusDeleteFailed) {
			continue
		}
		byID[r.LogicalID] = RetainedResource{LogicalID: r.LogicalID, Type: r.ResourceType, PhysicalID: r.physical,
			Reason: "could not be deleted: " + orUnknown(r.Reason)}
	}
	var res []RetainedResource
	for _, id := range slices.Sorted(maps.Keys(byID)) {
		res = append(res, byID[id])
	}
	return res
}

// emptyStorage empties the buckets the stack deletes and the repositories
// CloudFormation would not empty itself (EmptyOnDelete), and returns what
// it emptied.
func (d *stackRun) emptyStorage(ctx context.Context, resources map[string]stackResource, policies map[string]resourcePolicy) ([]string, error) {
	var emptied []string
	for _, id := range slices.Sorted(maps.Keys(resources)) {
		r := resources[id]
		p := policies[id]
		if r.physical == "" || p.retained() {
			continue
		}
		var kind, noun, label string
		var empty func() (int, error)
		switch {
		case r.typ == "AWS::S3::Bucket":
			kind, noun, label = "bucket", "object version", "s3://"+r.physical
			empty = func() (int, error) { return emptyBucket(ctx, d.cl.S3, r.physical) }
		case r.typ == "AWS::ECR::Repository" && !p.emptyOnDelete:
			kind, noun, label = "repository", "image", "ecr "+r.physical
			empty = func() (int, error) { return emptyRepository(ctx, d.cl.ECR, r.physical) }
		default:
			continue
		}
		d.status(fmt.Sprintf("emptying %s %s", kind, r.physical))
		n, err := empty()
		if err != nil {
			return emptied, fmt.Errorf("empty %s %s (%s) of %s: %w", kind, r.physical, id, d.s.Name, err)
		}
		if n > 0 {
			emptied = append(emptied, fmt.Sprintf("%s (%s)", label, diag.Plural(n, noun)))
		}
	}
	return emptied, nil
}

// emptyBucket deletes every object version and delete marker of bucket and
// returns how many it deleted. A bucket that does not exist is empty. It
// lists from the start again after each page it deletes, so it relies on
// no marker.
func emptyBucket(ctx context.Context, api S3API, bucket string) (int, error) {
	total := 0
	for page := 0; page < 100000; page++ {
		out, err := api.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket)})
		if err != nil {
			var ae smithy.APIError
			if errors.As(err, &ae) && ae.ErrorCode() == "NoSuchBucket" {
				return total, nil
			}
			return total, fmt.Errorf("list object versions: %w", err)
		}
		var ids []s3types.ObjectIdentifier
		for _, v := range out.Versions {
			ids = append(ids, s3types.ObjectIdentifier{Key: v.Key, VersionId: v.VersionId})
		}
		for _, m := range out.DeleteMarkers {
			ids = append(ids, s3types.ObjectIdentifier{Key: m.Key, VersionId: m.VersionId})
		}
		if len(ids) == 0 {
			return total, nil
		}
		for start := 0; start < len(ids); start += 1000 {
			batch := ids[start:min(start+1000, len(ids))]
			del, err := api.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket), Delete: &s3types.Delete{Objects: batch, Quiet: aws.Bool(true)}})
			if err != nil {
				return total, fmt.Errorf("delete objects: %w", err)
			}
			if len(del.Errors) > 0 {
				e := del.Errors[0]
				return total, fmt.Errorf("delete %s (version %s): %s: %s", aws.ToString(e.Key), aws.ToString(e.VersionId), aws.ToString(e.Code), aws.ToString(e.Message))
			}
			total += len(batch)
		}
	}
	return total, fmt.Errorf("bucket %s does not get empty", bucket)
}

// emptyRepository deletes every image of an ECR repository and returns how
// many it deleted. A repository that does not exist is empty.
func emptyRepository(ctx context.Context, api ECRAPI, repo string) (int, error) {
	total := 0
	for page := 0; page < 100000; page++ {
		out, err := api.ListImages(ctx, &ecr.ListImagesInput{RepositoryName: aws.String(repo)})
		if err != nil {
			var nf *ecrtypes.RepositoryNotFoundException
			if errors.As(err, &nf) {
				return total, nil
			}
			return total, fmt.Errorf("list images: %w", err)
		}
		if len(out.ImageIds) == 0 {
			return total, nil
		}
		ids := out.ImageIds
		for start := 0; start < len(ids); start += 100 {
			batch := ids[start:min(start+100, len(ids))]
			del, err := api.BatchDeleteImage(ctx, &ecr.BatchDeleteImageInput{RepositoryName: aws.String(repo), ImageIds: batch})
			if err != nil {
				return total, fmt.Errorf("delete images: %w", err)
			}
			if len(del.Failures) > 0 && len(del.ImageIds) == 0 {
				f := del.Failures[0]
				return total, fmt.Errorf("delete images: %s: %s", f.FailureCode, aws.ToString(f.FailureReason))
			}
			total += len(del.ImageIds)
		}
	}
	return total, fmt.Errorf("repository %s does not get empty", repo)
}
