package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/goccy/go-yaml"

	"github.com/cicdgen/cicdgen/manifest"
)

// stackRun deploys one stack of a run.
type stackRun struct {
	*run
	s   *manifest.Stack
	res *StackResult
	cl  *Clients
	// waitedBusy is set once a change set was refused because another
	// operation started on the stack: the next refusal fails.
	waitedBusy bool
}

// cleanupTimeout bounds the clean-up calls made after an interruption or a
// failure: long enough for patient retries of throttled calls.
const cleanupTimeout = 2 * time.Minute

func (d *stackRun) status(msg string) { d.opts.Reporter.Status(d.s.Name, msg) }

func (d *stackRun) deploy(ctx context.Context) error {
	s := d.s
	cl, err := d.f.Clients(ctx, s.Account, s.Region)
	if err != nil {
		return err
	}
	d.cl = cl
	params, err := d.parameters(ctx)
	if err != nil {
		var se *stackError
		if d.opts.DryRun && errors.As(err, &se) {
			// A dependency not deployed yet: its outputs are unknown.
			d.planCreate("changes unknown until its dependencies are deployed: " + se.msg)
			return nil
		}
		return err
	}
	st, err := describeStack(ctx, cl.CloudFormation, s.Name)
	if err != nil {
		return err
	}
	csType := types.ChangeSetTypeUpdate
	if st == nil {
		if d.opts.DryRun {
			if planned, err := d.planNewStack(ctx); planned || err != nil {
				return err
			}
		}
		csType = types.ChangeSetTypeCreate
	} else {
		csType, st, err = d.prepare(ctx, st)
		if err != nil || csType == "" {
			return err
		}
	}
	if st != nil && csType == types.ChangeSetTypeUpdate {
		params = append(params, keepPrevious(st, d.b.Templates[d.s.Name], d.s.Parameters)...)
	}
	tmpl, err := d.template(ctx)
	if err != nil {
		return err
	}
	d.status("creating change set")
	cs, err := d.createChangeSet(ctx, csType, tmpl, params)
	if err != nil {
		if d.opts.DryRun && st == nil && isMissingImport(err) {
			d.planCreate("its imports come from stacks not deployed yet")
			return nil
		}
		if !d.waitedBusy && isBusy(err) && ctx.Err() == nil {
			// Another operation started after the stack was read: wait
			// for it as for one seen at first, and start again.
			d.waitedBusy = true
			d.status("another operation started on the stack; reading it again")
			return d.deploy(ctx)
		}
		return err
	}
	if csType == types.ChangeSetTypeCreate {
		st = nil // deleted by prepare, or REVIEW_IN_PROGRESS: nothing to compare with
	}
	if cs == nil { // no changes
		d.res.Outcome = Unchanged
		return d.finish(ctx)
	}
	if d.opts.DryRun {
		d.res.Outcome = Planned
		if csType == types.ChangeSetTypeCreate && d.res.Note == "" {
			d.res.Note = ToBeCreated
		}
		d.cleanup(ctx, cs)
		return nil
	}
	if ctx.Err() != nil {
		d.cleanup(ctx, cs)
		return &stackError{outcome: Interrupted, msg: "interrupted before execution; its change set was deleted, nothing changed"}
	}
	if err := d.execute(ctx, cs, stateOf(st)); err != nil {
		return err
	}
	if csType == types.ChangeSetTypeCreate {
		d.res.Outcome = Created
	} else {
		d.res.Outcome = Updated
	}
	return d.finish(ctx)
}

// parameters resolves the stack's parameters, sorted by name.
func (d *stackRun) parameters(ctx context.Context) ([]types.Parameter, error) {
	var out []types.Parameter
	for _, name := range slices.Sorted(maps.Keys(d.s.Parameters)) {
		p := d.s.Parameters[name]
		v := p.Value
		if p.FromOutput != nil {
			var err error
			v, err = d.output(ctx, p.FromOutput)
			if err != nil {
				return nil, failf("parameter %s needs output %s of stack %s: %w", name, p.FromOutput.Output, p.FromOutput.Stack, err)
			}
		}
		out = append(out, types.Parameter{ParameterKey: aws.String(name), ParameterValue: aws.String(v)})
	}
	return out, nil
}

// keepPrevious returns UsePreviousValue for the parameters the stack has,
// the template still declares and the manifest does not set: values set
// outside apply, such as the ImageUri the pipeline deploys, stay as they are.
func keepPrevious(st *types.Stack, body []byte, set map[string]manifest.Parameter) []types.Parameter {
	var t struct {
		Parameters map[string]any `yaml:"Parameters"`
	}
	if yaml.Unmarshal(body, &t) != nil {
		return nil
	}
	var out []types.Parameter
	for _, p := range st.Parameters {
		k := aws.ToString(p.ParameterKey)
		if _, declared := t.Parameters[k]; !declared {
			continue
		}
		if _, ok := set[k]; ok {
			continue
		}
		out = append(out, types.Parameter{ParameterKey: aws.String(k), UsePreviousValue: aws.Bool(true)})
	}
	sort.Slice(out, func(i, j int) bool { return aws.ToString(out[i].ParameterKey) < aws.ToString(out[j].ParameterKey) })
	return out
}

// template is the template argument of CreateChangeSet.
type template struct{ body, url string }

func (d *stackRun) template(ctx context.Context) (template, error) {
	body := d.b.Templates[d.s.Name]
	if len(body) <= manifest.MaxTemplateBodySize {
		return template{body: string(body)}, nil
	}
	if d.opts.TemplateBucket == "" {
		return template{}, &TemplateTooLargeError{Stacks: []string{fmt.Sprintf("%s (%d bytes)", d.s.Name, len(body))}}
	}
	key, contentType := templateObject(d.b.Manifest.System, d.s, body)
	d.status("uploading template to s3://" + d.opts.TemplateBucket + "/" + key)
	_, err := d.cl.S3.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(d.opts.TemplateBucket), Key: aws.String(key),
		Body: strings.NewReader(string(body)), ContentType: aws.String(contentType),
	})
	if err != nil {
		return template{}, fmt.Errorf("upload template to s3://%s/%s: %w", d.opts.TemplateBucket, key, err)
	}
	return template{url: fmt.Sprintf("https://%s.s3.%s.amazonaws.com/%s", d.opts.TemplateBucket, d.s.Region, key)}, nil
}

// templateObject is the S3 key and content type of the template of stack
// s: cicdgen/SYSTEM/STACK-HASH with the extension of the template file the
// manifest names (.json, .yaml or .yml), so that the object reads as what
// it is.
func templateObject(system string, s *manifest.Stack, body []byte) (key, contentType string) {
	ext, contentType := ".json", "application/json"
	switch strings.ToLower(path.Ext(s.Template)) {
	case ".yaml":
		ext, contentType = ".yaml", "application/x-yaml"
	case ".yml":
		ext, contentType = ".yml", "application/x-yaml"
	}
	return fmt.Sprintf("cicdgen/%s/%s-%s%s", system, s.Name, sha256Hex(body)[:16], ext), contentType
}

// prepare handles the state an existing stack is in and returns the change
// set type to use, or "" when the stack is done without one (dry run of a
// stack that must be recreated), and the stack as it is then (nil when it
// was deleted).
func (d *stackRun) prepare(ctx context.Context, st *types.Stack) (types.ChangeSetType, *types.Stack, error) {
	name, region := d.s.Name, d.s.Region
	status := string(st.StackStatus)
	switch {
	case status == string(types.StackStatusReviewInProgress):
		// A change set created before and never executed: the stack has
		// no resources. Start again from nothing.
		if d.opts.DryRun {
			return types.ChangeSetTypeCreate, nil, nil
		}
		d.status("deleting leftover REVIEW_IN_PROGRESS stack")
		if err := d.recreate(ctx, st); err != nil {
			return "", nil, err
		}
		return types.ChangeSetTypeCreate, nil, nil
	case status == string(types.StackStatusRollbackComplete) || status == string(types.StackStatusCreateFailed):
		if d.opts.DryRun {
			d.res.Outcome = Planned
			d.res.Note = status + ": apply deletes the stack and creates it again"
			d.res.Changes = templateResources(d.b.Templates[name])
			return "", st, nil
		}
		refusal := fmt.Sprintf("stack %s is %s after a failed first create and must be deleted before it can be created again", name, status)
		if err := d.confirm(ctx, fmt.Sprintf("Stack %s (%s, %s) is %s after a failed first create. Delete it and create it again?", name, d.s.Account.ID, region, status), refusal); err != nil {
			return "", nil, err
		}
		d.status("deleting " + status + " stack")
		if err := d.recreate(ctx, st); err != nil {
			return "", nil, err
		}
		d.res.Note = "recreated after " + status
		return types.ChangeSetTypeCreate, nil, nil
	case status == string(types.StackStatusUpdateRollbackFailed):
		return "", nil, failf("stack %s is UPDATE_ROLLBACK_FAILED: fix what stopped the rollback (%s), then run `aws cloudformation continue-update-rollback --stack-name %s --region %s` and apply again",
			name, orUnknown(aws.ToString(st.StackStatusReason)), name, region)
	case status == string(types.StackStatusRollbackFailed) || status == string(types.StackStatusDeleteFailed):
		return "", nil, failf("stack %s is %s (%s): delete it, retaining the resources that cannot be deleted (`aws cloudformation delete-stack --stack-name %s --region %s --retain-resources ...`), then apply again",
			name, status, orUnknown(aws.ToString(st.StackStatusReason)), name, region)
	case strings.HasSuffix(status, "_IN_PROGRESS"):
		settled, err := d.waitIdle(ctx, st)
		if err != nil {
			return "", nil, err
		}
		if settled == nil {
			return types.ChangeSetTypeCreate, nil, nil
		}
		return d.prepare(ctx, settled)
	}
	return types.ChangeSetTypeUpdate, st, nil
}

// waitIdle waits, up to Options.BusyWait, for another operation on the
// stack to end (someone else's, or a run of apply interrupted before), and
// returns the stack as it is then (nil when it is gone).
func (d *stackRun) waitIdle(ctx context.Context, st *types.Stack) (*types.Stack, error) {
	name, region := d.s.Name, d.s.Region
	status := string(st.StackStatus)
	d.status(fmt.Sprintf("waiting: the stack is %s, another operation is changing it (someone else's, or an interrupted apply); waiting up to %s for it to end", status, d.opts.BusyWait))
	p := d.poller(d.opts.PollMin)
	for {
		if err := p.wait(ctx); err != nil {
			return nil, &stackError{outcome: Interrupted, msg: fmt.Sprintf("interrupted while waiting for the stack's %s to end; nothing changed", status)}
		}
		next, err := describeStack(ctx, d.cl.CloudFormation, name)
		if err != nil {
			return nil, err
		}
		if next == nil || !inProgress(string(next.StackStatus)) {
			return next, nil
		}
		status = string(next.StackStatus)
		if p.elapsed() >= d.opts.BusyWait {
			return nil, failf("stack %s is still %s after %s: another operation is changing it; wait until it ends (`aws cloudformation describe-stacks --stack-name %s --region %s`) and run apply again",
				name, status, d.opts.BusyWait, name, region)
		}
	}
}

// isBusy reports whether err refuses a change set because another
// operation is changing the stack.
func isBusy(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	msg := ae.ErrorMessage()
	return ae.ErrorCode() == "ValidationError" && strings.Contains(msg, "_IN_PROGRESS state") ||
		ae.ErrorCode() == "OperationInProgressException"
}

func orUnknown(s string) string {
	if s == "" {
		return "no reason given"
	}
	return s
}

// recreate deletes a stack so that it can be created again, and waits
// until it is gone.
func (d *stackRun) recreate(ctx context.Context, st *types.Stack) error {
	w, err := d.deleteStack(ctx, st, deletion{})
	var lost *lostContactError
	if errors.As(err, &lost) {
		return d.unknown(fmt.Errorf("deleting the stack to create it again: %w", lost))
	}
	if err != nil {
		return err
	}
	if w.status != string(types.StackStatusDeleteComplete) {
		return failf("deleting stack %s ended in %s (%s)", d.s.Name, w.status, orUnknown(w.reason))
	}
	return nil
}

// deletion says how deleteStack deletes a stack.
type deletion struct {
	retain []string // the resources to keep (DeleteStack's RetainResources)
	// destroy is destroy's way: each step is reported, an endpoint that
	// does not implement UpdateTerminationProtection does not stop it,
	// and a deletion left going on by an interruption is recorded
	// (leftInProgress).
	destroy bool
}

// deleteStack deletes the stack st is and follows the deletion to its
// end: it turns off the stack's termination protection, calls DeleteStack
// and watches the stack until it is gone or the deletion failed. A refusal
// of DeleteStack is a *deleteRefusedError.
func (d *stackRun) deleteStack(ctx context.Context, st *types.Stack, how deletion) (watchResult, error) {
	cfn := d.cl.CloudFormation
	if aws.ToBool(st.EnableTerminationProtection) {
		_, err := cfn.UpdateTerminationProtection(ctx, &cloudformation.UpdateTerminationProtectionInput{
			StackName: aws.String(d.s.Name), EnableTerminationProtection: aws.Bool(false),
		})
		if err != nil && !(how.destroy && isNotImplemented(err)) {
			return watchResult{}, fmt.Errorf("turn off termination protection of %s to delete it: %w", d.s.Name, err)
		}
		if how.destroy {
			d.status("termination protection off")
		}
	}
	evr, err := newEventReader(ctx, cfn, d.s.Name, true)
	if err != nil {
		return watchResult{}, err
	}
	if how.destroy {
		if len(how.retain) > 0 {
			d.status("deleting, retaining what could not be deleted: " + strings.Join(how.retain, ", "))
		} else {
			d.status("deleting")
		}
	}
	if _, err := cfn.DeleteStack(ctx, &cloudformation.DeleteStackInput{StackName: aws.String(d.s.Name), RetainResources: how.retain}); err != nil {
		return watchResult{}, &deleteRefusedError{fmt.Errorf("delete stack %s: %w", d.s.Name, err)}
	}
	w, err := d.watch(ctx, d.s.Name, stateOf(st), evr, true)
	if err != nil && ctx.Err() != nil && how.destroy {
		d.leftInProgress() // the deletion goes on in AWS
	}
	return w, err
}

// deleteRefusedError is a DeleteStack call that failed.
type deleteRefusedError struct{ err error }

func (e *deleteRefusedError) Error() string { return e.err.Error() }

func (e *deleteRefusedError) Unwrap() error { return e.err }

// changeSet is a created change set. Calls name it by its name and the
// stack's name, the form every CloudFormation API accepts.
type changeSet struct {
	id       string // ARN, for messages
	name     string
	stack    string
	newStack bool // the change set created the stack (REVIEW_IN_PROGRESS)
	changes  []Change
}

// createChangeSet creates a change set and waits for it. It returns nil
// when the change set is empty (and deleted).
func (d *stackRun) createChangeSet(ctx context.Context, t types.ChangeSetType, tmpl template, params []types.Parameter) (*changeSet, error) {
	cfn := d.cl.CloudFormation
	in := &cloudformation.CreateChangeSetInput{
		StackName:     aws.String(d.s.Name),
		ChangeSetName: aws.String(changeSetName(d.s.Name, d.opts.Now())),
		ChangeSetType: t,
		Description:   aws.String("cicdgen apply"),
		Parameters:    params,
		Capabilities:  []types.Capability{types.CapabilityCapabilityIam, types.CapabilityCapabilityNamedIam},
	}
	if tmpl.url != "" {
		in.TemplateURL = aws.String(tmpl.url)
	} else {
		in.TemplateBody = aws.String(tmpl.body)
	}
	for _, k := range slices.Sorted(maps.Keys(d.s.Tags)) {
		in.Tags = append(in.Tags, types.Tag{Key: aws.String(k), Value: aws.String(d.s.Tags[k])})
	}
	if ctx.Err() != nil {
		return nil, &stackError{outcome: Interrupted, msg: "interrupted before its change set was created; nothing changed"}
	}
	// Not cancelled half-way: a change set created but not known here
	// could not be cleaned up. Throttled, it is retried as long as AWS
	// answers; an interruption stops the retries.
	cs := &changeSet{name: aws.ToString(in.ChangeSetName), stack: d.s.Name, newStack: t == types.ChangeSetTypeCreate}
	out, err := cfn.CreateChangeSet(uninterruptible(ctx), in)
	if err != nil {
		var api smithy.APIError
		if !errors.As(err, &api) {
			// No answer: the change set may exist all the same.
			d.cleanup(ctx, cs)
		}
		if ctx.Err() != nil {
			return nil, &stackError{outcome: Interrupted, msg: "interrupted before its change set was created; nothing changed"}
		}
		return nil, failf("create change set of %s: %w", d.s.Name, err)
	}
	cs.id = aws.ToString(out.Id)
	status, reason, err := d.waitChangeSet(ctx, cs)
	if err != nil {
		d.cleanup(ctx, cs)
		if ctx.Err() != nil {
			return nil, &stackError{outcome: Interrupted, msg: "interrupted before execution; its change set was deleted, nothing changed"}
		}
		return nil, err
	}
	if status == types.ChangeSetStatusFailed {
		d.cleanup(ctx, cs)
		if isEmptyChangeSet(reason) {
			return nil, nil
		}
		return nil, failf("change set of %s failed: %s", d.s.Name, orUnknown(reason))
	}
	d.res.Changes = sortedChanges(cs.changes)
	return cs, nil
}

// changeSetName names a change set of stack: unique per stack and
// millisecond, so that no two change sets share a name even where an
// implementation looks them up by name alone, and within the 128
// characters CloudFormation allows.
func changeSetName(stack string, now time.Time) string {
	name := fmt.Sprintf("cicdgen-%s-%03d-%s", now.UTC().Format("20060102-150405"), now.Nanosecond()/int(time.Millisecond), stack)
	return strings.TrimRight(name[:min(len(name), 128)], "-")
}

// isEmptyChangeSet reports whether a FAILED change set's reason says it has
// nothing to do.
func isEmptyChangeSet(reason string) bool {
	r := strings.ToLower(reason)
	for _, s := range []string{"didn't contain changes", "did not contain changes", "does not contain changes", "contains no changes",
		"no updates are to be performed", "no changes"} {
		if strings.Contains(r, s) {
			return true
		}
	}
	return false
}

// waitChangeSet polls the change set until it is ready or failed and reads
// its changes.
//
// The first poll comes at once (a fast implementation has it ready), the
// next ones spaced by the poller. A change set not found in the first
// seconds is taken as not visible yet.
func (d *stackRun) waitChangeSet(ctx context.Context, cs *changeSet) (types.ChangeSetStatus, string, error) {
	cfn := d.cl.CloudFormation
	p := d.poller(0)
	for {
		if err := p.wait(ctx); err != nil {
			return "", "", err
		}
		// IncludePropertyValues: the before and after values of each
		// property, for diff (plan.go).
		out, err := cfn.DescribeChangeSet(ctx, &cloudformation.DescribeChangeSetInput{ChangeSetName: aws.String(cs.name), StackName: aws.String(cs.stack), IncludePropertyValues: aws.Bool(true)})
		if err != nil {
			if isNotFound(err) && p.elapsed() < settleGrace && ctx.Err() == nil {
				continue
			}
			return "", "", fmt.Errorf("describe change set of %s: %w", d.s.Name, err)
		}
		status := out.Status
		if status == "" && out.ExecutionStatus == types.ExecutionStatusAvailable {
			status = types.ChangeSetStatusCreateComplete
		}
		switch status {
		case types.ChangeSetStatusCreateComplete:
			cs.changes = appendChanges(nil, out.Changes)
			tokens := map[string]bool{}
			for token := out.NextToken; aws.ToString(token) != "" && !tokens[aws.ToString(token)] && len(tokens) < maxPages; {
				tokens[aws.ToString(token)] = true
				page, err := cfn.DescribeChangeSet(ctx, &cloudformation.DescribeChangeSetInput{ChangeSetName: aws.String(cs.name), StackName: aws.String(cs.stack), NextToken: token, IncludePropertyValues: aws.Bool(true)})
				if err != nil {
					return "", "", fmt.Errorf("describe change set of %s: %w", d.s.Name, err)
				}
				cs.changes = appendChanges(cs.changes, page.Changes)
				token = page.NextToken
			}
			return status, "", nil
		case types.ChangeSetStatusFailed:
			return out.Status, aws.ToString(out.StatusReason), nil
		case types.ChangeSetStatusDeleteComplete, types.ChangeSetStatusDeleteFailed, types.ChangeSetStatusDeleteInProgress:
			return "", "", failf("change set of %s was deleted by someone else (%s)", d.s.Name, out.Status)
		}
	}
}

func appendChanges(out []Change, cs []types.Change) []Change {
	for _, c := range cs {
		rc := c.ResourceChange
		if rc == nil {
			continue
		}
		ch := Change{Action: string(rc.Action), LogicalID: aws.ToString(rc.LogicalResourceId), Type: aws.ToString(rc.ResourceType)}
		if rc.Action == types.ChangeActionModify {
			ch.Replacement = string(rc.Replacement)
		}
		ch.Details = propertyChanges(rc.Details)
		out = append(out, ch)
	}
	return out
}

// cleanup deletes a change set that will not be executed, and the empty
// stack it created. It runs even when ctx is cancelled.
func (d *stackRun) cleanup(ctx context.Context, cs *changeSet) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	cfn := d.cl.CloudFormation
	_, err := cfn.DeleteChangeSet(ctx, &cloudformation.DeleteChangeSetInput{ChangeSetName: aws.String(cs.name), StackName: aws.String(cs.stack)})
	if err != nil && !isNotFound(err) {
		d.res.Note = fmt.Sprintf("could not delete change set %s: %v", cs.name, err)
	}
	if cs.newStack {
		// The change set created the stack (REVIEW_IN_PROGRESS, no
		// resources): delete it too. An implementation that creates
		// stacks only when a change set runs has none to delete.
		if _, err := cfn.DeleteStack(ctx, &cloudformation.DeleteStackInput{StackName: aws.String(cs.stack)}); err != nil && !isNotFound(err) {
			d.res.Note = fmt.Sprintf("could not delete the empty stack its change set created: %v", err)
		}
	}
}

// execute runs the change set and follows the stack until it settles.
// before is the stack's state before the change set (nil for a new stack).
func (d *stackRun) execute(ctx context.Context, cs *changeSet, before *stackState) error {
	cfn := d.cl.CloudFormation
	evr, err := newEventReader(ctx, cfn, cs.stack, true)
	if err != nil || ctx.Err() != nil {
		d.cleanup(ctx, cs)
		return &stackError{outcome: Interrupted, msg: "interrupted before execution; its change set was deleted, nothing changed"}
	}
	if evr.off {
		d.status("cannot read stack events; going on without them")
	}
	d.status(fmt.Sprintf("executing change set (%d changes)", len(cs.changes)))
	_, err = cfn.ExecuteChangeSet(uninterruptible(ctx), &cloudformation.ExecuteChangeSetInput{ChangeSetName: aws.String(cs.name), StackName: aws.String(cs.stack)})
	if err != nil && d.executedAnyway(ctx, err, cs) {
		err = nil
	}
	if err != nil {
		var api smithy.APIError
		if !errors.As(err, &api) && ctx.Err() == nil {
			// Sent, and no answer: it may run all the same.
			return d.unknown(fmt.Errorf("execute change set: %w", err))
		}
		d.cleanup(ctx, cs)
		if ctx.Err() != nil {
			return &stackError{outcome: Interrupted, msg: "interrupted before execution; its change set was deleted, nothing changed"}
		}
		return failf("execute change set of %s: %w; its change set was deleted", d.s.Name, err)
	}
	w, err := d.watch(ctx, cs.stack, before, evr, false)
	var lost *lostContactError
	if errors.As(err, &lost) {
		return d.unknown(lost)
	}
	if err != nil && ctx.Err() != nil {
		// One last look, not cancelled: the stack may have just settled.
		lastCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		st, lerr := describeStack(lastCtx, cfn, cs.stack)
		cancel()
		unchanged := before != nil && st != nil && string(st.StackStatus) == before.status && aws.ToTime(st.LastUpdatedTime).Equal(before.lastUpdated)
		if lerr != nil || st == nil || inProgress(string(st.StackStatus)) || unchanged {
			d.leftInProgress()
			return &stackError{outcome: Interrupted, msg: "interrupted while CloudFormation was changing it; it goes on in AWS"}
		}
		lastCtx, cancel = context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		for _, e := range evr.next(lastCtx, func(error) {}) {
			d.opts.Reporter.Event(d.s.Name, e)
			w.events = append(w.events, e)
		}
		cancel()
		d.outputsOf(st)
		w.status, err = string(st.StackStatus), nil
		if r := aws.ToString(st.StackStatusReason); r != "" {
			w.reason = r
		}
	}
	if err != nil {
		return err
	}
	switch w.status {
	case string(types.StackStatusCreateComplete), string(types.StackStatusUpdateComplete), string(types.StackStatusImportComplete):
		return nil
	}
	ev := firstFailure(w.events, d.s.Name)
	if ev == nil {
		ev = d.failedResource(ctx, cs.stack)
	}
	d.res.FailedEvent = ev
	if ev == nil {
		// No event names the resource (the events cannot be read): the
		// stack's status reason does, in AWS's words ("The following
		// resource(s) failed to create: [...]").
		return failf("the stack ended in %s: %s", w.status, orUnknown(w.reason))
	}
	return failf("%s (%s) %s: %s; the stack ended in %s", ev.LogicalID, ev.ResourceType, ev.Status, orUnknown(ev.Reason), w.status)
}

// executedAnyway reports whether an ExecuteChangeSet that failed with err
// ran all the same: a retry of an attempt whose answer was lost is refused
// (InvalidChangeSetStatus) while the stack already changes.
func (d *stackRun) executedAnyway(ctx context.Context, err error, cs *changeSet) bool {
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "InvalidChangeSetStatus" || ctx.Err() != nil {
		return false
	}
	st, derr := describeStack(ctx, d.cl.CloudFormation, cs.stack)
	return derr == nil && st != nil && inProgress(string(st.StackStatus)) && st.StackStatus != types.StackStatusReviewInProgress
}

// unknown is the outcome of a stack whose execution started and could not
// be followed to its end: contact with AWS was lost. It may still be
// changing, or may have ended well: a later run waits for it and goes on.
func (d *stackRun) unknown(cause error) error {
	d.leftInProgress()
	return &stackError{outcome: Unknown, cause: cause,
		msg: fmt.Sprintf("outcome unknown — still in progress in AWS: %v; run apply again to wait for it and go on", cause)}
}

// leftInProgress records that the stack may still be changing in AWS
// when the run ends (Result.InProgress, DestroyResult.InProgress).
func (d *stackRun) leftInProgress() {
	d.mu.Lock()
	d.inProgress[d.s.Name] = true
	d.mu.Unlock()
}

func (d *stackRun) outputsOf(st *types.Stack) {
	d.mu.Lock()
	d.outputs[d.s.Name] = stackOutputs(st)
	d.mu.Unlock()
}

// finish turns on termination protection when the manifest asks for it and
// records the stack's outputs.
func (d *stackRun) finish(ctx context.Context) error {
	st, err := describeStack(ctx, d.cl.CloudFormation, d.s.Name)
	if err != nil {
		return err
	}
	if st == nil {
		if d.opts.DryRun {
			return nil
		}
		return failf("stack %s is gone after its change set", d.s.Name)
	}
	d.outputsOf(st)
	if d.s.TerminationProtection && !aws.ToBool(st.EnableTerminationProtection) && !d.opts.DryRun {
		_, err := d.cl.CloudFormation.UpdateTerminationProtection(ctx, &cloudformation.UpdateTerminationProtectionInput{
			StackName: aws.String(d.s.Name), EnableTerminationProtection: aws.Bool(true),
		})
		switch {
		case err == nil:
			d.status("termination protection on")
		case isNotImplemented(err):
			// An endpoint without the call (a fake, an emulator): the
			// stack is deployed; say what is missing.
			d.res.Note = fmt.Sprintf("termination protection not turned on: the endpoint does not implement UpdateTerminationProtection (%v)", err)
			d.status(d.res.Note)
		default:
			return failf("turn on termination protection of %s: %w", d.s.Name, err)
		}
	}
	return nil
}

// failedResource returns a resource of the stack in a *_FAILED state, as
// DescribeStackResources shows it, or nil: the way to name the resource
// that failed when no event does (the events cannot be read). Errors are
// ignored: this only adds detail to a failure already known.
func (d *stackRun) failedResource(ctx context.Context, stack string) *Event {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	listed, err := listResources(ctx, d.cl.CloudFormation, stack)
	if err != nil {
		return nil
	}
	var evs []Event
	for _, r := range listed {
		evs = append(evs, r.Event)
	}
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].Time.Before(evs[j].Time) })
	return firstFailure(evs, stack)
}

// listedResource is a resource of a stack as DescribeStackResources lists
// it.
type listedResource struct {
	Event           // its logical id, type, status and reason, and when it got that status
	physical string // its physical id, "" when it has none (yet)
}

// listResources lists the resources of stack, in the order AWS gives;
// none when there is no such stack.
func listResources(ctx context.Context, cfn CloudFormationAPI, stack string) ([]listedResource, error) {
	out, err := cfn.DescribeStackResources(ctx, &cloudformation.DescribeStackResourcesInput{StackName: aws.String(stack)})
	if err != nil {
		if isNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("list the resources of %s: %w", stack, err)
	}
	var res []listedResource
	for _, r := range out.StackResources {
		res = append(res, listedResource{
			Event: Event{Time: aws.ToTime(r.Timestamp), LogicalID: aws.ToString(r.LogicalResourceId), ResourceType: aws.ToString(r.ResourceType),
				Status: string(r.ResourceStatus), Reason: aws.ToString(r.ResourceStatusReason)},
			physical: aws.ToString(r.PhysicalResourceId),
		})
	}
	return res, nil
}

// firstFailure returns the first resource that failed, preferring a real
// cause over the cancellations it triggers.
func firstFailure(events []Event, stack string) *Event {
	var fallback *Event
	for i := range events {
		e := &events[i]
		if !strings.HasSuffix(e.Status, "_FAILED") || e.ResourceType == stackResourceType && e.LogicalID == stack {
			continue
		}
		if strings.Contains(e.Reason, "cancelled") {
			if fallback == nil {
				fallback = e
			}
			continue
		}
		return e
	}
	return fallback
}

// describeStack returns the stack, or nil when it does not exist.
func describeStack(ctx context.Context, cfn CloudFormationAPI, name string) (*types.Stack, error) {
	out, err := cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	if err != nil {
		if isNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("describe stack %s: %w", name, err)
	}
	// The stack asked for, even from an implementation that lists others.
	for _, st := range out.Stacks {
		if aws.ToString(st.StackName) != name && aws.ToString(st.StackName) != "" {
			continue
		}
		if st.StackStatus == types.StackStatusDeleteComplete {
			continue
		}
		return &st, nil
	}
	return nil, nil
}

func stackOutputs(st *types.Stack) map[string]string {
	out := map[string]string{}
	for _, o := range st.Outputs {
		out[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	return out
}

// templateResources lists a JSON template's resources as additions.
func templateResources(body []byte) []Change {
	var t struct {
		Resources map[string]struct{ Type string }
	}
	if json.Unmarshal(body, &t) != nil {
		return nil
	}
	var out []Change
	for _, id := range slices.Sorted(maps.Keys(t.Resources)) {
		out = append(out, Change{Action: "Add", LogicalID: id, Type: t.Resources[id].Type})
	}
	return out
}
