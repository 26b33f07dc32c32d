package deploy

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"github.com/cicdgen/cicdgen/manifest"
)

// Default bounds of the interval between two polls of CloudFormation: a
// stack that takes a second is seen done within DefaultPollMin of its end;
// a long one is polled every DefaultPollMax.
const (
	DefaultPollMin = 250 * time.Millisecond
	DefaultPollMax = 3 * time.Second
)

// Options configures Apply.
type Options struct {
	Selection
	// Concurrency is how many stacks change at once; 0 means 4.
	Concurrency int
	// DryRun creates the change sets, records their changes and deletes
	// them: nothing is executed (apply --dry-run, diff).
	DryRun bool
	// Yes gives consent to steps that need it (deleting a stack left in
	// ROLLBACK_COMPLETE to create it again).
	Yes bool
	// Confirm asks the user a yes/no question; it returns ctx's error when
	// ctx is done first. Nil means nobody can be asked (stdin is not a
	// terminal): a step that needs consent fails and names --yes.
	Confirm func(ctx context.Context, question string) (bool, error)
	// Review runs once the selection and the templates are checked and
	// before any stack starts (cmd/cicdgen's traffic guard and approvals);
	// its error stops Apply, which returns it. Nil: no review.
	Review func(ctx context.Context) error
	// TemplateBucket is the S3 bucket templates over manifest.MaxTemplateBodySize
	// bytes are uploaded to.
	TemplateBucket string
	// Reporter shows progress; nil shows nothing.
	Reporter Reporter
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Sleep waits for d or until ctx is done; nil means a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// PollMin and PollMax bound the interval between polls of a change set
	// or a stack (see poller); 0 means DefaultPollMin and DefaultPollMax.
	PollMin, PollMax time.Duration
	// BusyWait is how long a stack that another operation is changing is
	// waited for before it fails; 0 means DefaultBusyWait.
	BusyWait time.Duration
	// LostContact is how long polls may fail to reach AWS, while a stack
	// changes, before its outcome is given as unknown; 0 means
	// DefaultLostContact.
	LostContact time.Duration
}

// DefaultBusyWait is how long apply waits for a stack busy with another
// operation, and DefaultLostContact how long it keeps trying to reach AWS
// while a stack changes.
const (
	DefaultBusyWait    = time.Hour
	DefaultLostContact = time.Minute
)

func (o *Options) defaults() {
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.Reporter == nil {
		o.Reporter = nopReporter{}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = sleepContext
	}
	if o.PollMin <= 0 {
		o.PollMin = DefaultPollMin
	}
	if o.PollMax <= 0 {
		o.PollMax = DefaultPollMax
	}
	o.PollMax = max(o.PollMax, o.PollMin)
	if o.BusyWait <= 0 {
		o.BusyWait = DefaultBusyWait
	}
	if o.LostContact <= 0 {
		o.LostContact = DefaultLostContact
	}
}

func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// TemplateTooLargeError says which templates need --template-bucket.
type TemplateTooLargeError struct {
	Stacks []string // "name (N bytes)"
}

func (e *TemplateTooLargeError) Error() string {
	return fmt.Sprintf("templates over %d bytes must be uploaded to S3, and no template bucket was given: %s; "+
		"run again with --template-bucket BUCKET (a bucket the deploying accounts can write to and CloudFormation can read)",
		manifest.MaxTemplateBodySize, strings.Join(e.Stacks, ", "))
}

// Apply deploys the selected stacks of b, each through a change set, in
// dependency order and up to opts.Concurrency at once. It returns an error
// only when nothing could start (a selection or a template problem); what
// happened to each stack is in the Result.
func Apply(ctx context.Context, b *Bundle, f ClientFactory, opts Options) (*Result, error) {
	opts.defaults()
	names, err := b.Select(opts.Selection)
	if err != nil {
		return nil, err
	}
	if opts.TemplateBucket == "" {
		var big []string
		for _, n := range names {
			if size := len(b.Templates[n]); size > manifest.MaxTemplateBodySize {
				big = append(big, fmt.Sprintf("%s (%d bytes)", n, size))
			}
		}
		if len(big) > 0 {
			return nil, &TemplateTooLargeError{Stacks: big}
		}
	}
	if len(names) > 0 {
		if err := probe(ctx, f, b.Stack(names[0]).Region); err != nil {
			return nil, err
		}
	}
	if opts.Review != nil && !opts.DryRun {
		if err := opts.Review(ctx); err != nil {
			return nil, err
		}
	}
	r := &run{
		b: b, f: f, opts: opts, unreachable: map[string]*EndpointError{},
		results: map[string]*StackResult{}, outputs: map[string]map[string]string{},
		inProgress: map[string]bool{},
	}
	return r.schedule(ctx, names), nil
}

// run is one Apply.
type run struct {
	b    *Bundle
	f    ClientFactory
	opts Options

	mu         sync.Mutex
	results    map[string]*StackResult
	outputs    map[string]map[string]string // stack -> output key -> value, of stacks done in this run
	inProgress map[string]bool              // stacks left changing by an interruption
	// unreachable holds, by region, the endpoint that could not be
	// reached: the stacks of that region not started yet are skipped.
	unreachable map[string]*EndpointError
	confirmMu   sync.Mutex
}

// probe checks, when f can say who the caller is, that AWS can be reached
// at all before any stack starts: an endpoint that cannot be reached is
// then one error, once, rather than one per stack.
func probe(ctx context.Context, f ClientFactory, region string) error {
	c, ok := f.(interface {
		Caller(ctx context.Context, region string) (string, error)
	})
	if !ok {
		return nil
	}
	_, err := c.Caller(ctx, region)
	var ee *EndpointError
	if errors.As(err, &ee) {
		return ee
	}
	return nil
}

// schedule starts each stack when its dependencies are done.
func (r *run) schedule(ctx context.Context, names []string) *Result {
	result := func(n string) StackResult {
		r.mu.Lock()
		defer r.mu.Unlock()
		return *r.results[n]
	}
	sc := &scheduler{
		names: names, limit: r.opts.Concurrency,
		waitsFor: func(n string) []string { return r.b.Stack(n).DependsOn },
		succeeded: func(n string) bool {
			out := result(n).Outcome
			return out != Failed && out != Skipped && out != Interrupted && out != Unknown
		},
		skip: func(n, blocked string) bool {
			s := r.b.Stack(n)
			why := ""
			switch {
			case blocked != "":
				why = fmt.Sprintf("not started: it depends on %s, which did not complete", blocked)
			case ctx.Err() != nil:
				why = "not started: interrupted"
			default:
				r.mu.Lock()
				ee := r.unreachable[s.Region]
				r.mu.Unlock()
				if ee == nil {
					return false
				}
				why = fmt.Sprintf("not started: the %s endpoint %s (region %s) cannot be reached", ee.Service, orUnknown(ee.Endpoint), s.Region)
			}
			res := r.skeleton(s, Skipped, why)
			r.mu.Lock()
			r.results[n] = &res
			r.mu.Unlock()
			return true
		},
		run: func(n string) {
			res := r.stack(ctx, r.b.Stack(n))
			r.mu.Lock()
			r.results[n] = &res
			r.mu.Unlock()
		},
		finished: func(n string) { r.opts.Reporter.Done(result(n)) },
	}
	sc.schedule()
	r.opts.Reporter.Close()
	out := &Result{Interrupted: ctx.Err() != nil, DryRun: r.opts.DryRun}
	for _, n := range names {
		out.Stacks = append(out.Stacks, *r.results[n])
		if r.inProgress[n] {
			out.InProgress = append(out.InProgress, n)
		}
	}
	return out
}

func (r *run) skeleton(s *manifest.Stack, o Outcome, msg string) StackResult {
	return StackResult{Stack: s.Name, Account: s.Account.Key, AccountID: s.Account.ID, Region: s.Region, Outcome: o, Error: msg}
}

// stackError is a failure of one stack, with the outcome it gives.
type stackError struct {
	outcome Outcome
	msg     string
	cause   error // what made it fail (an AWS error ...), or nil
}

func (e *stackError) Error() string { return e.msg }

// Unwrap returns the cause, so that errors.As finds the AWS error behind a
// failed stack.
func (e *stackError) Unwrap() error { return e.cause }

// failf is a failed stack whose message is fmt.Errorf(format, args...);
// the errors wrapped with %w are its causes.
func failf(format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	return &stackError{outcome: Failed, msg: err.Error(), cause: err}
}

// stack deploys one stack.
func (r *run) stack(ctx context.Context, s *manifest.Stack) StackResult {
	start := r.opts.Now()
	res := r.skeleton(s, "", "")
	r.opts.Reporter.Start(s.Name)
	d := &stackRun{run: r, s: s, res: &res}
	err := d.deploy(ctx)
	res.Duration = r.opts.Now().Sub(start)
	if err != nil {
		var ee *EndpointError
		if errors.As(err, &ee) && ctx.Err() == nil {
			r.mu.Lock()
			if r.unreachable[s.Region] == nil {
				r.unreachable[s.Region] = ee
			}
			r.mu.Unlock()
		}
		var se *stackError
		switch {
		case errors.As(err, &se):
			res.Outcome = se.outcome
			res.Error = se.msg
			if se.outcome == Failed && ctx.Err() != nil {
				res.Outcome = Interrupted
			}
		case ctx.Err() != nil:
			res.Outcome = Interrupted
			res.Error = "interrupted: " + err.Error()
		default:
			res.Outcome = Failed
			res.Error = err.Error()
		}
	}
	return res
}

// output returns the value of an output of stack name: from this run when
// it ran here, else from AWS.
func (r *run) output(ctx context.Context, ref *manifest.OutputRef) (string, error) {
	r.mu.Lock()
	outs, ok := r.outputs[ref.Stack]
	r.mu.Unlock()
	if !ok {
		st, err := r.describe(ctx, ref.Stack)
		if err != nil {
			return "", err
		}
		if st == nil {
			return "", fmt.Errorf("stack %s does not exist yet (deploy it first, or drop --no-deps)", ref.Stack)
		}
		outs = r.keepOutputs(ref.Stack, st)
	}
	v, ok := outs[ref.Output]
	if !ok {
		return "", fmt.Errorf("stack %s has no output %s", ref.Stack, ref.Output)
	}
	return v, nil
}

// describe reads stack name of the bundle, in its own account and region;
// nil when there is no such stack.
func (r *run) describe(ctx context.Context, name string) (*types.Stack, error) {
	src := r.b.Stack(name)
	cl, err := r.f.Clients(ctx, src.Account, src.Region)
	if err != nil {
		return nil, err
	}
	return describeStack(ctx, cl.CloudFormation, src.Name)
}

// keepOutputs records the outputs of stack name as st has them, for the
// rest of the run, and returns them.
func (r *run) keepOutputs(name string, st *types.Stack) map[string]string {
	outs := stackOutputs(st)
	r.mu.Lock()
	r.outputs[name] = outs
	r.mu.Unlock()
	return outs
}

// confirm asks for consent, or explains which flag gives it.
func (r *run) confirm(ctx context.Context, question, refusal string) error {
	if r.opts.Yes {
		return nil
	}
	if r.opts.Confirm == nil {
		return failf("%s; stdin is not a terminal, so nobody can be asked: run again with --yes", refusal)
	}
	r.confirmMu.Lock()
	defer r.confirmMu.Unlock()
	resume := r.opts.Reporter.Pause()
	ok, err := r.opts.Confirm(ctx, question)
	resume()
	if ctx.Err() != nil {
		return &stackError{outcome: Interrupted, msg: "interrupted at the question; nothing changed"}
	}
	if err != nil {
		return failf("%s; asking failed: %w", refusal, err)
	}
	if !ok {
		return failf("%s; not confirmed (run again with --yes to skip the question)", refusal)
	}
	return nil
}

func sortedChanges(cs []Change) []Change {
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].LogicalID < cs[j].LogicalID })
	return cs
}
