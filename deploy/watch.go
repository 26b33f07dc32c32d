package deploy

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Polling: the first poll of a wait comes after first; each next one after
// a quarter of the time waited so far, within [PollMin, PollMax]. A quick
// operation is so seen done soon after it ends (a stack of one second
// within PollMin of it), a long one is polled every PollMax, and the time
// lost to polling stays under a quarter of the wait.

// poller spaces the polls of one wait.
type poller struct {
	opts  *Options
	start time.Time
	first time.Duration
	polls int
}

func (r *run) poller(first time.Duration) *poller {
	return &poller{opts: &r.opts, start: r.opts.Now(), first: first}
}

// wait sleeps until the next poll, or returns ctx's error.
func (p *poller) wait(ctx context.Context) error {
	d := p.first
	if p.polls > 0 {
		d = min(max(p.elapsed()/4, p.opts.PollMin), p.opts.PollMax)
	}
	p.polls++
	if d <= 0 {
		return ctx.Err()
	}
	return p.opts.Sleep(ctx, d)
}

func (p *poller) elapsed() time.Duration { return p.opts.Now().Sub(p.start) }

// settleGrace is how long a stack may keep showing the state it had before
// an operation, or stay invisible after a create, before that state is
// taken as the result: some implementations start operations in the
// background.
const settleGrace = 10 * time.Second

// stackState is what a stack looked like before an operation, to tell its
// result from a state it had before.
type stackState struct {
	status      string
	lastUpdated time.Time
}

func stateOf(st *types.Stack) *stackState {
	if st == nil {
		return nil
	}
	return &stackState{status: string(st.StackStatus), lastUpdated: aws.ToTime(st.LastUpdatedTime)}
}

// watchResult is how a watched operation ended.
type watchResult struct {
	status string  // the stack's final status; DELETE_COMPLETE when it is gone
	reason string  // the last status reason seen while it changed
	events []Event // the events seen, oldest first
}

// watch follows stack after an operation (a change set execution, or a
// deletion when deleting is set) until it settles: no longer in progress
// and no longer in the state before describes. It reports the stack's
// events as they come.
func (d *stackRun) watch(ctx context.Context, stack string, before *stackState, evr *eventReader, deleting bool) (watchResult, error) {
	cfn := d.cl.CloudFormation
	var res watchResult
	p := d.poller(d.opts.PollMin)
	sawChange := false
	var lostSince time.Time // when polls began to fail to reach AWS
	for {
		if err := p.wait(ctx); err != nil {
			return res, err
		}
		st, err := describeStack(ctx, cfn, stack)
		if ee := endpointError(err, d.s.Region); ee != nil && ctx.Err() == nil {
			if lostSince.IsZero() {
				lostSince = d.opts.Now()
				d.status(fmt.Sprintf("lost contact with AWS (%v); trying again for %s", ee, d.opts.LostContact))
			}
			if d.opts.Now().Sub(lostSince) < d.opts.LostContact {
				continue
			}
			return res, &lostContactError{err: ee}
		}
		if err != nil {
			return res, err
		}
		if !lostSince.IsZero() {
			lostSince = time.Time{}
			d.status("contact with AWS is back")
		}
		// A change the events show counts from the next poll on: this
		// poll's status was read before them and may predate it.
		changed := sawChange
		var evs []Event
		if st != nil {
			evs = evr.next(ctx, func(err error) { d.status(fmt.Sprintf("cannot read stack events (%v); going on without them", err)) })
		}
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		for _, e := range evs {
			d.opts.Reporter.Event(d.s.Name, e)
			if e.LogicalID == stack && e.ResourceType == stackResourceType {
				sawChange = true
			}
		}
		res.events = append(res.events, evs...)
		if st == nil {
			// Gone: the end of a deletion; after a create, maybe not
			// visible yet.
			if deleting || before != nil || p.elapsed() >= settleGrace {
				res.status = string(types.StackStatusDeleteComplete)
				return res, nil
			}
			continue
		}
		status := string(st.StackStatus)
		if r := aws.ToString(st.StackStatusReason); r != "" {
			res.reason = r
		}
		d.outputsOf(st)
		if inProgress(status) {
			sawChange = true
			continue
		}
		if before == nil || changed || status != before.status || !aws.ToTime(st.LastUpdatedTime).Equal(before.lastUpdated) || p.elapsed() >= settleGrace {
			res.status = status
			return res, nil
		}
	}
}

// lostContactError says that AWS could not be reached for
// Options.LostContact while a stack changed.
type lostContactError struct{ err *EndpointError }

func (e *lostContactError) Error() string { return "lost contact with AWS: " + e.err.Error() }

func (e *lostContactError) Unwrap() error { return e.err }

// stackResourceType is the resource type of a stack's own events.
const stackResourceType = "AWS::CloudFormation::Stack"

func inProgress(status string) bool { return strings.HasSuffix(status, "_IN_PROGRESS") }

// maxPages bounds the pages read by one paginated read, against an
// implementation that hands out tokens forever.
const maxPages = 200

// eventReader reads the events of a stack that are new since it was made.
// It relies on no more than every implementation gives: events may come
// newest first (as AWS lists them) or oldest first, and may lack an EventId
// (then their content identifies them). Events are for show and for naming
// the resource that failed: when they cannot be read, the reader turns off
// and says so once.
type eventReader struct {
	cfn   CloudFormationAPI
	stack string
	seen  map[string]bool
	off   bool
}

// newEventReader returns a reader of the events of stack that come after
// the ones it has now. A stack that does not exist has none.
func newEventReader(ctx context.Context, cfn CloudFormationAPI, stack string, exists bool) (*eventReader, error) {
	r := &eventReader{cfn: cfn, stack: stack, seen: map[string]bool{}}
	if !exists {
		return r, nil
	}
	if _, err := r.read(ctx); err != nil {
		switch {
		case ctx.Err() != nil:
			return nil, err
		case isNotFound(err):
			// Not visible yet (an implementation that creates the
			// stack when its change set runs): no events so far.
		default:
			r.off = true
		}
	}
	return r, nil
}

// next returns the events that are new since the last call, oldest first.
// When they cannot be read it calls warn once and returns nothing from then
// on.
func (r *eventReader) next(ctx context.Context, warn func(error)) []Event {
	if r == nil || r.off {
		return nil
	}
	evs, err := r.read(ctx)
	if err != nil {
		if ctx.Err() == nil && !isNotFound(err) {
			r.off = true
			warn(err)
		}
		return nil
	}
	return evs
}

// read reads the events not seen yet and marks them seen.
func (r *eventReader) read(ctx context.Context) ([]Event, error) {
	var fresh []types.StackEvent
	newestFirst := true
	var token *string
	tokens := map[string]bool{}
	for page := 0; page < maxPages; page++ {
		out, err := r.cfn.DescribeStackEvents(ctx, &cloudformation.DescribeStackEventsInput{StackName: aws.String(r.stack), NextToken: token})
		if err != nil {
			return nil, fmt.Errorf("describe stack events of %s: %w", r.stack, err)
		}
		evs := out.StackEvents
		if n := len(evs); n > 1 && aws.ToTime(evs[0].Timestamp).Before(aws.ToTime(evs[n-1].Timestamp)) {
			newestFirst = false
		}
		known := false
		for _, e := range evs {
			k := eventKey(e)
			if r.seen[k] {
				known = true
				continue
			}
			r.seen[k] = true
			fresh = append(fresh, e)
		}
		// Newest first, a known event means the rest is old.
		if known && newestFirst || out.NextToken == nil || aws.ToString(out.NextToken) == "" || tokens[aws.ToString(out.NextToken)] {
			break
		}
		tokens[aws.ToString(out.NextToken)] = true
		token = out.NextToken
	}
	if newestFirst {
		slices.Reverse(fresh)
	}
	out := make([]Event, 0, len(fresh))
	dated := true
	for _, e := range fresh {
		dated = dated && e.Timestamp != nil
		out = append(out, Event{
			Time: aws.ToTime(e.Timestamp), LogicalID: aws.ToString(e.LogicalResourceId), ResourceType: aws.ToString(e.ResourceType),
			Status: string(e.ResourceStatus), Reason: aws.ToString(e.ResourceStatusReason),
		})
	}
	if dated {
		sort.SliceStable(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	}
	return out, nil
}

// eventKey identifies an event: its EventId, else its content.
func eventKey(e types.StackEvent) string {
	if id := aws.ToString(e.EventId); id != "" {
		return id
	}
	return strings.Join([]string{aws.ToTime(e.Timestamp).Format(time.RFC3339Nano), aws.ToString(e.LogicalResourceId),
		aws.ToString(e.PhysicalResourceId), aws.ToString(e.ResourceType), string(e.ResourceStatus), aws.ToString(e.ResourceStatusReason)}, "\x00")
}

// isNotFound reports whether err says that a stack or change set does not
// exist, in any of the ways implementations say it.
func isNotFound(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.ErrorCode() {
	case "ChangeSetNotFound", "ChangeSetNotFoundException", "StackNotFoundException", "ResourceNotFoundException", "NotFound", "NoSuchEntity":
		return true
	case "ValidationError":
		msg := strings.ToLower(ae.ErrorMessage())
		return strings.Contains(msg, "does not exist") || strings.Contains(msg, "not found")
	}
	return false
}

// isNotImplemented reports whether err says that the endpoint does not
// implement the call (a fake or an emulator): not a refusal, not a failure
// of the call itself.
func isNotImplemented(err error) bool {
	var ae smithy.APIError
	hasCode := errors.As(err, &ae)
	if hasCode {
		switch ae.ErrorCode() {
		case "InvalidAction", "UnknownOperation", "UnknownOperationException", "NotImplemented", "NotImplementedException",
			"UnsupportedOperation", "UnsupportedOperationException":
			return true
		case "ValidationError", "AccessDenied", "AccessDeniedException", "InvalidClientTokenId", "ExpiredToken":
			return false
		}
		msg := strings.ToLower(ae.ErrorMessage())
		if strings.Contains(msg, "not implemented") || strings.Contains(msg, "does not implement") {
			return true
		}
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		switch re.HTTPStatusCode() {
		case http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusNotImplemented:
			return true
		case http.StatusInternalServerError:
			// An error page that is no AWS error at all (an emulator
			// answering a call it lacks, as moto does): AWS's own
			// internal errors decode.
			var de *smithy.DeserializationError
			return errors.As(err, &de)
		}
	}
	return false
}
