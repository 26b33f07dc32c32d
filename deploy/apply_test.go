package deploy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cicdgen/cicdgen/internal/fakeaws"
	"github.com/cicdgen/cicdgen/manifest"
)

const (
	toolingID = "210987654321"
	devID     = "310987654321"
	stagingID = "410987654321"
	prodID    = "510987654321"
)

// harness is a fake AWS with the SDK pointed at it, and the seed bundle.
type harness struct {
	fake    *fakeaws.Server
	bundle  *Bundle
	factory *AWS
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	return newHarnessOn(t, nil)
}

// newHarnessOn is newHarness on c, unless c is nil: the fake's stacks
// progress on c, and the factory paces its calls on it.
func newHarnessOn(t *testing.T, c *virtualClock) *harness {
	t.Helper()
	fake := fakeaws.Start(t)
	if c != nil {
		fake.SetClock(c.Now)
	}
	fake.Setenv(t, toolingID, "us-east-1", nil)
	b, err := LoadDir("testdata/seed")
	if err != nil {
		t.Fatal(err)
	}
	return &harness{fake: fake, bundle: b, factory: newFactoryOn(t, c)}
}

func newFactory(t *testing.T) *AWS {
	t.Helper()
	return newFactoryOn(t, nil)
}

// newFactoryOn is newFactory on c, unless c is nil: its pacing and the
// SDK's retries wait on c.
func newFactoryOn(t *testing.T, c *virtualClock) *AWS {
	t.Helper()
	env := map[string]string{"CI": "true", "USER": "someone", "AWS_ENDPOINT_URL_S3": "set"}
	opts := testAWSOptions(func(k string) string { return env[k] })
	if c != nil {
		opts.Now, opts.Sleep = c.Now, c.Sleep
	}
	f, err := NewAWS(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if c != nil {
		f.base.Retryer = c.retryer(f.base.Retryer)
	}
	return f
}

// recorder is a Reporter that keeps everything.
type recorder struct {
	mu      sync.Mutex
	events  map[string][]Event
	status  []string
	done    []string
	onEvent func(stack string, e Event)
	onState func(stack, msg string)
}

func newRecorder() *recorder { return &recorder{events: map[string][]Event{}} }

func (r *recorder) Start(string) {}
func (r *recorder) Status(stack, msg string) {
	r.mu.Lock()
	r.status = append(r.status, stack+": "+msg)
	f := r.onState
	r.mu.Unlock()
	if f != nil {
		f(stack, msg)
	}
}
func (r *recorder) Event(stack string, e Event) {
	r.mu.Lock()
	r.events[stack] = append(r.events[stack], e)
	f := r.onEvent
	r.mu.Unlock()
	if f != nil {
		f(stack, e)
	}
}
func (r *recorder) Done(res StackResult) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.done = append(r.done, res.Stack)
}
func (r *recorder) Pause() func() { return func() {} }
func (r *recorder) Close()        {}

// testAWSOptions are AWS options for tests: quick retries, no rate limit,
// and waits after throttling that take no time.
func testAWSOptions(getenv func(string) string) AWSOptions {
	return AWSOptions{Getenv: getenv, MaxBackoff: 20 * time.Millisecond, RequestsPerSecond: -1,
		Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }}
}

func fastOptions(rep Reporter) Options {
	return Options{Reporter: rep, PollMin: 2 * time.Millisecond, PollMax: 10 * time.Millisecond}
}

func (h *harness) apply(t *testing.T, ctx context.Context, opts Options) *Result {
	t.Helper()
	res, err := Apply(ctx, h.bundle, h.factory, opts)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	return res
}

func outcomes(r *Result) map[string]Outcome {
	out := map[string]Outcome{}
	for _, s := range r.Stacks {
		out[s.Stack] = s.Outcome
	}
	return out
}

func resultOf(t *testing.T, r *Result, stack string) StackResult {
	t.Helper()
	for _, s := range r.Stacks {
		if s.Stack == stack {
			return s
		}
	}
	t.Fatalf("no result for %s", stack)
	return StackResult{}
}

func TestApplyCreatesTheSeedSystemOverFourAccounts(t *testing.T) {
	h := newHarness(t)
	res := h.apply(t, context.Background(), fastOptions(newRecorder()))
	if res.Failed() || res.Interrupted {
		t.Fatalf("apply failed: %+v", res.Stacks)
	}
	for _, s := range h.bundle.Manifest.Stacks {
		if got := resultOf(t, res, s.Name).Outcome; got != Created {
			t.Errorf("%s: outcome %s, want created", s.Name, got)
		}
		info, ok := h.fake.Stack(s.Account.ID, s.Region, s.Name)
		if !ok {
			t.Errorf("%s: not in account %s region %s", s.Name, s.Account.ID, s.Region)
			continue
		}
		if info.Status != "CREATE_COMPLETE" {
			t.Errorf("%s: status %s", s.Name, info.Status)
		}
		for k, v := range s.Tags {
			if info.Tags[k] != v {
				t.Errorf("%s: tag %s = %q, want %q", s.Name, k, info.Tags[k], v)
			}
		}
		if strings.Join(info.Capabilities, ",") != "CAPABILITY_IAM,CAPABILITY_NAMED_IAM" {
			t.Errorf("%s: capabilities %v", s.Name, info.Capabilities)
		}
		if info.TerminationProtection != s.TerminationProtection {
			t.Errorf("%s: termination protection %v, want %v", s.Name, info.TerminationProtection, s.TerminationProtection)
		}
	}
	// Cross-region output passed as a parameter.
	art, _ := h.fake.Stack(toolingID, "us-west-2", "shop-artifacts-us-west-2-x")
	roles, _ := h.fake.Stack(prodID, "us-west-2", "shop-roles-prod-x")
	if want := art.Outputs["ArtifactKeyArn"]; want == "" || roles.Parameters["ArtifactKeyArn"] != want {
		t.Errorf("roles-prod ArtifactKeyArn = %q, want the support stack's output %q", roles.Parameters["ArtifactKeyArn"], want)
	}
	// Environment accounts are reached by role, with the CI session name.
	for _, s := range h.fake.Sessions() {
		if s != "cicdgen-ci" {
			t.Errorf("session name %q, want cicdgen-ci", s)
		}
	}
	if len(h.fake.Sessions()) != 3 {
		t.Errorf("AssumeRole called %d times, want once per environment account (3)", len(h.fake.Sessions()))
	}
	checkOrder(t, h.bundle, h.fake.Executions())
}

// checkOrder fails when a stack started before a stack it depends on ended.
func checkOrder(t *testing.T, b *Bundle, ex []fakeaws.Execution) {
	t.Helper()
	byStack := map[string]fakeaws.Execution{}
	for _, e := range ex {
		byStack[e.Stack] = e
	}
	for _, s := range b.Manifest.Stacks {
		e, ok := byStack[s.Name]
		if !ok {
			continue
		}
		for _, d := range s.DependsOn {
			if de, ok := byStack[d]; ok && e.Start.Before(de.End) {
				t.Errorf("%s started at %v, before its dependency %s ended at %v", s.Name, e.Start, d, de.End)
			}
		}
	}
}

func TestApplyAgainExecutesNothing(t *testing.T) {
	h := newHarness(t)
	h.apply(t, context.Background(), fastOptions(nil))
	executed := h.fake.CallCount("ExecuteChangeSet")
	res := h.apply(t, context.Background(), fastOptions(nil))
	for name, o := range outcomes(res) {
		if o != Unchanged {
			t.Errorf("%s: %s, want unchanged", name, o)
		}
	}
	if n := h.fake.CallCount("ExecuteChangeSet"); n != executed {
		t.Errorf("second apply executed %d change sets", n-executed)
	}
	if n, want := h.fake.CallCount("DeleteChangeSet"), len(h.bundle.Manifest.Stacks); n != want {
		t.Errorf("DeleteChangeSet called %d times, want %d (every empty change set deleted)", n, want)
	}
}

func TestApplyUpdatesWhatChanged(t *testing.T) {
	h := newHarness(t)
	h.apply(t, context.Background(), fastOptions(nil))
	h.bundle.Stack("shop-ecs-dev-x").Parameters["ImageUri"] = manifest.Parameter{Value: "210987654321.dkr.ecr.us-east-1.amazonaws.com/shop-web-x:abc123"}
	res := h.apply(t, context.Background(), fastOptions(nil))
	for name, o := range outcomes(res) {
		want := Unchanged
		if name == "shop-ecs-dev-x" {
			want = Updated
		}
		if o != want {
			t.Errorf("%s: %s, want %s", name, o, want)
		}
	}
	got := resultOf(t, res, "shop-ecs-dev-x").Changes
	if len(got) != 1 || got[0].Action != "Modify" || got[0].LogicalID != "TaskDefinition" || got[0].Type != "AWS::ECS::TaskDefinition" || got[0].Replacement != "False" {
		t.Errorf("changes %+v, want one Modify of TaskDefinition", got)
	}
	info, _ := h.fake.Stack(devID, "us-east-1", "shop-ecs-dev-x")
	if info.Status != "UPDATE_COMPLETE" || !strings.HasSuffix(info.Parameters["ImageUri"], ":abc123") {
		t.Errorf("stack %s with ImageUri %s", info.Status, info.Parameters["ImageUri"])
	}
}

func TestApplyFailureNamesTheResourceAndSkipsDependents(t *testing.T) {
	h := newHarness(t)
	reason := `Resource handler returned message: "User is not authorized to perform: iam:CreateRole"`
	h.fake.FailResource("shop-roles-staging-x", "DeployRole", reason)
	res := h.apply(t, context.Background(), fastOptions(nil))
	if !res.Failed() {
		t.Fatal("apply did not fail")
	}
	failed := resultOf(t, res, "shop-roles-staging-x")
	if failed.Outcome != Failed || failed.FailedEvent == nil || failed.FailedEvent.LogicalID != "DeployRole" ||
		failed.FailedEvent.ResourceType != "AWS::IAM::Role" || failed.FailedEvent.Reason != reason {
		t.Fatalf("failed stack result %+v, event %+v", failed, failed.FailedEvent)
	}
	for _, want := range []string{"DeployRole", "AWS::IAM::Role", "CREATE_FAILED", reason, "ROLLBACK_COMPLETE"} {
		if !strings.Contains(failed.Error, want) {
			t.Errorf("error %q does not mention %q", failed.Error, want)
		}
	}
	if o := resultOf(t, res, "shop-ecs-staging-x"); o.Outcome != Skipped || !strings.Contains(o.Error, "shop-roles-staging-x") {
		t.Errorf("ecs-staging: %+v, want skipped because of roles-staging", o)
	}
	for _, name := range []string{"shop-ecs-dev-x", "shop-ecs-prod-x", "shop-monitoring-x", "shop-secrets-staging-x"} {
		if o := resultOf(t, res, name).Outcome; o != Created {
			t.Errorf("%s: %s, want created (independent of the failure)", name, o)
		}
	}
	if info, _ := h.fake.Stack(stagingID, "us-east-1", "shop-roles-staging-x"); info.Status != "ROLLBACK_COMPLETE" {
		t.Errorf("failed stack is %s, want ROLLBACK_COMPLETE", info.Status)
	}

	// The stack is now ROLLBACK_COMPLETE: without consent apply refuses.
	h.fake.ClearFailures()
	res = h.apply(t, context.Background(), fastOptions(nil))
	if o := resultOf(t, res, "shop-roles-staging-x"); o.Outcome != Failed || !strings.Contains(o.Error, "--yes") {
		t.Errorf("without --yes: %+v, want a failure naming --yes", o)
	}
	// Refused at the prompt.
	opts := fastOptions(nil)
	asked := ""
	opts.Confirm = func(_ context.Context, q string) (bool, error) { asked = q; return false, nil }
	res = h.apply(t, context.Background(), opts)
	if o := resultOf(t, res, "shop-roles-staging-x"); o.Outcome != Failed || !strings.Contains(asked, "ROLLBACK_COMPLETE") {
		t.Errorf("refused at the prompt %q: %+v", asked, o)
	}
	// With --yes it is deleted and created again.
	opts = fastOptions(nil)
	opts.Yes = true
	res = h.apply(t, context.Background(), opts)
	if o := resultOf(t, res, "shop-roles-staging-x"); o.Outcome != Created || !strings.Contains(o.Note, "recreated") {
		t.Errorf("with --yes: %+v, want created again", o)
	}
	if o := resultOf(t, res, "shop-ecs-staging-x").Outcome; o != Created {
		t.Errorf("ecs-staging after the recreate: %s, want created", o)
	}
	if info, _ := h.fake.Stack(stagingID, "us-east-1", "shop-roles-staging-x"); info.Status != "CREATE_COMPLETE" {
		t.Errorf("recreated stack is %s", info.Status)
	}
}

func TestApplyFailedUpdateRollsBack(t *testing.T) {
	h := newHarness(t)
	h.apply(t, context.Background(), fastOptions(nil))
	h.bundle.Stack("shop-ecs-dev-x").Parameters["ImageUri"] = manifest.Parameter{Value: "nginx:broken"}
	h.fake.FailResource("shop-ecs-dev-x", "TaskDefinition", "Invalid request provided: image")
	res := h.apply(t, context.Background(), fastOptions(nil))
	o := resultOf(t, res, "shop-ecs-dev-x")
	if o.Outcome != Failed || o.FailedEvent == nil || o.FailedEvent.Status != "UPDATE_FAILED" || !strings.Contains(o.Error, "UPDATE_ROLLBACK_COMPLETE") {
		t.Errorf("%+v", o)
	}
	h.fake.ClearFailures()
	h.bundle.Stack("shop-ecs-dev-x").Parameters["ImageUri"] = manifest.Parameter{Value: "nginx:fixed"}
	if o := resultOf(t, h.apply(t, context.Background(), fastOptions(nil)), "shop-ecs-dev-x"); o.Outcome != Updated {
		t.Errorf("update after UPDATE_ROLLBACK_COMPLETE: %+v", o)
	}
}

func TestApplyStopsOnStackStates(t *testing.T) {
	cases := map[string]struct {
		status string
		want   []string
	}{
		"an update whose rollback failed stops with the command that continues it": {
			status: "UPDATE_ROLLBACK_FAILED",
			want:   []string{"aws cloudformation continue-update-rollback --stack-name shop-secrets-dev-x --region us-east-1"},
		},
		"a stack another operation keeps changing is waited for, then stops with what to do": {
			status: "UPDATE_IN_PROGRESS",
			want:   []string{"still UPDATE_IN_PROGRESS after 30ms", "wait until it ends"},
		},
		"a stack whose rollback failed stops with how to delete it": {
			status: "ROLLBACK_FAILED",
			want:   []string{"delete-stack --stack-name shop-secrets-dev-x --region us-east-1"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t)
			opts := fastOptions(nil)
			opts.Stacks = []string{"secrets-dev"}
			opts.BusyWait = 30 * time.Millisecond
			h.apply(t, context.Background(), opts)
			h.fake.SetStackStatus(devID, "us-east-1", "shop-secrets-dev-x", tc.status)
			h.bundle.Templates["shop-secrets-dev-x"] = []byte(strings.Replace(string(h.bundle.Templates["shop-secrets-dev-x"]), "docker-credentials", "registry-credentials", 1))
			o := resultOf(t, h.apply(t, context.Background(), opts), "shop-secrets-dev-x")
			if o.Outcome != Failed {
				t.Fatalf("outcome %s", o.Outcome)
			}
			for _, w := range tc.want {
				if !strings.Contains(o.Error, w) {
					t.Errorf("error %q does not contain %q", o.Error, w)
				}
			}
		})
	}
}

// A stack busy with another operation (someone else's, or a run
// interrupted before) is waited for, with a line saying so, then deployed.
func TestApplyWaitsForABusyStack(t *testing.T) {
	for _, busy := range []string{"UPDATE_IN_PROGRESS", "CREATE_IN_PROGRESS", "UPDATE_ROLLBACK_IN_PROGRESS"} {
		t.Run(busy, func(t *testing.T) {
			h := newHarness(t)
			opts := fastOptions(nil)
			opts.Stacks = []string{"secrets-dev"}
			opts.NoDeps = true
			h.apply(t, context.Background(), opts)
			h.fake.SetStackStatus(devID, "us-east-1", "shop-secrets-dev-x", busy)
			rec := newRecorder()
			rec.onState = func(stack, msg string) {
				if strings.HasPrefix(msg, "waiting: the stack is "+busy) {
					h.fake.SetStackStatus(devID, "us-east-1", "shop-secrets-dev-x", "UPDATE_COMPLETE")
				}
			}
			opts.Reporter = rec
			h.bundle.Templates["shop-secrets-dev-x"] = []byte(strings.Replace(string(h.bundle.Templates["shop-secrets-dev-x"]), "docker-credentials", "registry-credentials", 1))
			o := resultOf(t, h.apply(t, context.Background(), opts), "shop-secrets-dev-x")
			if o.Outcome != Updated {
				t.Fatalf("outcome %s: %s", o.Outcome, o.Error)
			}
			if !slices.ContainsFunc(rec.status, func(s string) bool { return strings.Contains(s, "waiting: the stack is "+busy) }) {
				t.Errorf("no line says it waits: %q", rec.status)
			}
		})
	}
}

func TestApplyCleansReviewInProgressLeftovers(t *testing.T) {
	h := newHarness(t)
	// A dry run interrupted after its change set: leave the REVIEW_IN_PROGRESS stack behind by
	// creating a change set the way another tool would.
	opts := fastOptions(nil)
	opts.Stacks = []string{"secrets-dev"}
	opts.NoDeps = true
	cl, err := h.factory.Clients(context.Background(), h.bundle.Stack("shop-secrets-dev-x").Account, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	d := &stackRun{run: &run{b: h.bundle, opts: opts, outputs: map[string]map[string]string{}}, s: h.bundle.Stack("shop-secrets-dev-x"), res: &StackResult{}, cl: cl}
	d.opts.defaults()
	if _, err := d.createChangeSet(context.Background(), "CREATE", template{body: string(h.bundle.Templates["shop-secrets-dev-x"])}, nil); err != nil {
		t.Fatal(err)
	}
	if info, _ := h.fake.Stack(devID, "us-east-1", "shop-secrets-dev-x"); info.Status != "REVIEW_IN_PROGRESS" {
		t.Fatalf("setup: stack is %q", info.Status)
	}
	o := resultOf(t, h.apply(t, context.Background(), opts), "shop-secrets-dev-x")
	if o.Outcome != Created {
		t.Errorf("%+v", o)
	}
}

func TestApplyInterruptedBeforeExecutionDeletesChangeSets(t *testing.T) {
	h := newHarness(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec := newRecorder()
	rec.onState = func(stack, msg string) {
		if msg == "creating change set" {
			cancel()
		}
	}
	res := h.apply(t, ctx, fastOptions(rec))
	if !res.Interrupted {
		t.Fatal("not interrupted")
	}
	if n := h.fake.CallCount("ExecuteChangeSet"); n != 0 {
		t.Errorf("%d change sets executed", n)
	}
	for _, id := range []string{toolingID, devID, stagingID, prodID} {
		for _, region := range []string{"us-east-1", "us-west-2"} {
			if left := h.fake.Stacks(id, region); len(left) > 0 {
				t.Errorf("stacks left in %s %s: %v", id, region, left)
			}
		}
	}
	for _, s := range res.Stacks {
		if s.Outcome != Interrupted && s.Outcome != Skipped {
			t.Errorf("%s: %s", s.Stack, s.Outcome)
		}
	}
}

// Interrupted while a stack changes, apply stops waiting for it at once and
// reports it still in progress in AWS.
func TestApplyInterruptedDuringExecutionStopsWaiting(t *testing.T) {
	h := newHarness(t)
	// The fake's clock stands still: the pipeline stack stays in progress
	// for good, so apply ends only if it stops waiting for it.
	h.fake.SetClock(newSteppedClock().Now)
	h.fake.SetDelay("shop-pipeline-x", time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec := newRecorder()
	rec.onEvent = func(stack string, e Event) {
		if stack == "shop-pipeline-x" {
			cancel()
		}
	}
	res := goApply(func() (*Result, error) { return Apply(ctx, h.bundle, h.factory, fastOptions(rec)) }).
		result(t, "it waits for the stack in progress after the interruption")
	if !res.Interrupted || !slices.Contains(res.InProgress, "shop-pipeline-x") {
		t.Fatalf("interrupted %v, in progress %v", res.Interrupted, res.InProgress)
	}
	if o := resultOf(t, res, "shop-monitoring-x"); o.Outcome != Skipped {
		t.Errorf("monitoring: %+v, want not started", o)
	}
	var buf strings.Builder
	if err := WriteSummary(&buf, res); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "still in progress in AWS") || !strings.Contains(buf.String(), "shop-pipeline-x") {
		t.Errorf("summary does not list the stack in progress:\n%s", buf.String())
	}
}

func TestApplyRetriesThrottledCalls(t *testing.T) {
	h := newHarness(t)
	h.fake.Throttle(6)
	res := h.apply(t, context.Background(), fastOptions(nil))
	if res.Failed() {
		t.Fatalf("apply failed: %+v", res.Stacks)
	}
	if n := h.fake.Throttled(); n != 6 {
		t.Errorf("%d calls throttled, want 6", n)
	}
}

// independent returns a bundle of n stacks that depend on nothing.
func independent(n int) *Bundle {
	b := &Bundle{Manifest: manifest.Manifest{Version: 1, System: "par", Suffix: "x", Region: "us-east-1"}, Templates: map[string][]byte{}}
	for i := range n {
		name := fmt.Sprintf("par-s%d-x", i)
		body := []byte(fmt.Sprintf(`{"Resources": {"Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": %q}}}}`, name))
		b.Manifest.Stacks = append(b.Manifest.Stacks, manifest.Stack{Name: name, Kind: fmt.Sprintf("s%d", i),
			Account: manifest.Account{Key: "tooling", ID: toolingID}, Region: "us-east-1", Template: name + ".json", SHA256: sha256Hex(body)})
		b.Templates[name] = body
	}
	return b
}

// Independent stacks run Concurrency at a time: on a clock that stands still
// until they are all in progress, four at once overlap four by four and end
// after one stack's time (the critical path), not four (the sum); one at a
// time never overlap.
func TestApplyRunsIndependentStacksInParallel(t *testing.T) {
	const delay = time.Minute // on the fake's clock, which the test moves on
	cases := map[string]struct {
		concurrency int
		batches     []int // the stacks in progress at once, batch after batch
	}{
		"four at once take the time of one":        {concurrency: 4, batches: []int{4}},
		"one at a time never overlap":              {concurrency: 1, batches: []int{1, 1, 1, 1}},
		"two at a time overlap two by two at most": {concurrency: 2, batches: []int{2, 2}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t)
			h.bundle = independent(4)
			clock := newSteppedClock()
			h.fake.SetClock(clock.Now)
			h.fake.SetDelay("", delay)
			opts := fastOptions(nil)
			opts.Concurrency = tc.concurrency
			start := clock.Now()
			res := stepThrough(t, h.fake, clock, delay, tc.batches, func() (*Result, error) {
				return Apply(context.Background(), h.bundle, h.factory, opts)
			})
			if res.Failed() {
				t.Fatalf("%+v", res.Stacks)
			}
			if got := h.fake.MaxConcurrent(); got != tc.concurrency {
				t.Errorf("%d stacks changed at once, want %d", got, tc.concurrency)
			}
			ex := h.fake.Executions()
			if len(ex) != 4 {
				t.Fatalf("%d executions, want 4", len(ex))
			}
			if last := ex[len(ex)-1].End.Sub(start); last != time.Duration(len(tc.batches))*delay {
				t.Errorf("the last stack ended after %v, want %v (the critical path), not %v (the sum)", last, time.Duration(len(tc.batches))*delay, 4*delay)
			}
		})
	}
}

// Stacks that take time start only once their dependencies are done, and
// independent ones overlap: the fake's clock stands still until two are in
// progress at once, however slow the machine, then runs.
func TestApplyFollowsDependenciesWithDelays(t *testing.T) {
	h := newHarness(t)
	clock := newSteppedClock()
	h.fake.SetClock(clock.Now)
	h.fake.SetDelay("", 40*time.Millisecond)
	run := goApply(func() (*Result, error) { return Apply(context.Background(), h.bundle, h.factory, fastOptions(nil)) })
	eventually(t, "two independent stacks in progress at once", func() bool { return len(h.fake.Executions()) >= 2 })
	clock.Release()
	res := run.result(t, "its stacks end 40ms after they start")
	if res.Failed() {
		t.Fatalf("%+v", res.Stacks)
	}
	checkOrder(t, h.bundle, h.fake.Executions())
	if h.fake.MaxConcurrent() < 2 {
		t.Errorf("independent stacks never overlapped")
	}
}

func TestApplyLargeTemplates(t *testing.T) {
	big := independent(1)
	pad := strings.Repeat("x", manifest.MaxTemplateBodySize)
	big.Templates["par-s0-x"] = []byte(fmt.Sprintf(`{"Description": %q, "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}`, pad))

	t.Run("without a bucket apply stops before any call", func(t *testing.T) {
		h := newHarness(t)
		_, err := Apply(context.Background(), big, h.factory, fastOptions(nil))
		var tl *TemplateTooLargeError
		if !errors.As(err, &tl) || !strings.Contains(err.Error(), "par-s0-x") || !strings.Contains(err.Error(), "--template-bucket") {
			t.Fatalf("err = %v", err)
		}
		if n := len(h.fake.Calls()); n != 0 {
			t.Errorf("%d AWS calls made", n)
		}
	})
	t.Run("with a bucket the template goes through S3", func(t *testing.T) {
		h := newHarness(t)
		opts := fastOptions(nil)
		opts.TemplateBucket = "templates-bucket"
		res, err := Apply(context.Background(), big, h.factory, opts)
		if err != nil || res.Failed() {
			t.Fatalf("err %v, %+v", err, res)
		}
		found := false
		for _, c := range h.fake.Calls() {
			if c.Action == "PutObject" {
				found = true
			}
			if c.Action == "CreateChangeSet" && (c.Form.Get("TemplateURL") == "" || c.Form.Get("TemplateBody") != "") {
				t.Errorf("change set created without TemplateURL")
			}
		}
		if !found {
			t.Error("no PutObject")
		}
	})
}

func TestApplyReportsAccountsItCannotReach(t *testing.T) {
	cases := map[string]struct {
		account manifest.Account
		deny    string
		want    []string
	}{
		"an account without role or profile says how to configure one": {
			account: manifest.Account{Key: "audit", ID: "610987654321"},
			want:    []string{`account "audit" (610987654321)`, "role:", "profile:"},
		},
		"a role that cannot be assumed names the account and the cause": {
			account: manifest.Account{Key: "audit", ID: "610987654321", Role: "arn:aws:iam::610987654321:role/Deploy"},
			deny:    "arn:aws:iam::610987654321:role/Deploy",
			want:    []string{`account "audit" (610987654321)`, "AccessDenied"},
		},
		"a profile of another account is refused": {
			account: manifest.Account{Key: "audit", ID: "610987654321", Profile: "audit"},
			want:    []string{`profile "audit"`, "belong to account 710987654321"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			fake := fakeaws.Start(t)
			fake.Setenv(t, toolingID, "us-east-1", map[string]string{"audit": "710987654321"})
			if tc.deny != "" {
				fake.DenyRole(tc.deny)
			}
			f := newFactory(t)
			b := independent(1)
			b.Manifest.Stacks[0].Account = tc.account
			res, err := Apply(context.Background(), b, f, fastOptions(nil))
			if err != nil {
				t.Fatal(err)
			}
			o := res.Stacks[0]
			if o.Outcome != Failed {
				t.Fatalf("%+v", o)
			}
			for _, w := range tc.want {
				if !strings.Contains(o.Error, w) {
					t.Errorf("error %q does not contain %q", o.Error, w)
				}
			}
		})
	}
}

func TestApplyThroughAProfile(t *testing.T) {
	fake := fakeaws.Start(t)
	fake.Setenv(t, toolingID, "us-east-1", map[string]string{"audit": "610987654321"})
	b := independent(1)
	b.Manifest.Stacks[0].Account = manifest.Account{Key: "audit", ID: "610987654321", Profile: "audit"}
	res, err := Apply(context.Background(), b, newFactory(t), fastOptions(nil))
	if err != nil || res.Failed() {
		t.Fatalf("%v %+v", err, res)
	}
	if _, ok := fake.Stack("610987654321", "us-east-1", "par-s0-x"); !ok {
		t.Error("stack not created in the profile's account")
	}
}

func TestDryRunChangesNothing(t *testing.T) {
	h := newHarness(t)
	opts := fastOptions(nil)
	opts.DryRun = true
	res := h.apply(t, context.Background(), opts)
	if n := h.fake.CallCount("ExecuteChangeSet"); n != 0 {
		t.Errorf("%d executions", n)
	}
	pipe := resultOf(t, res, "shop-pipeline-x")
	if pipe.Outcome != Planned || len(pipe.Changes) != 4 || pipe.Changes[0].Action != "Add" {
		t.Errorf("pipeline: %+v", pipe)
	}
	if roles := resultOf(t, res, "shop-roles-dev-x"); roles.Outcome != Planned || !strings.Contains(roles.Note, "ArtifactKeyArn") {
		t.Errorf("roles-dev: %+v, want a note that its parameters wait for the pipeline", roles)
	}
	for _, id := range []string{toolingID, devID} {
		if left := h.fake.Stacks(id, "us-east-1"); len(left) > 0 {
			t.Errorf("dry run left stacks %v", left)
		}
	}
	// After an apply, a dry run of a change shows the replacement.
	h.apply(t, context.Background(), fastOptions(nil))
	h.bundle.Templates["shop-ecs-dev-x"] = []byte(strings.Replace(string(h.bundle.Templates["shop-ecs-dev-x"]), `"ClusterName":"shop-dev-x"`, `"ClusterName":"shop-dev2-x"`, 1))
	res = h.apply(t, context.Background(), opts)
	var buf strings.Builder
	if err := WriteChanges(&buf, res); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "± Replace  Cluster  AWS::ECS::Cluster  replaced: a new resource, the old one deleted") ||
		!strings.Contains(buf.String(), "shop-pipeline-x (210987654321, us-east-1): no changes") {
		t.Errorf("changes:\n%s", buf.String())
	}
	if info, _ := h.fake.Stack(devID, "us-east-1", "shop-ecs-dev-x"); info.Status != "CREATE_COMPLETE" {
		t.Errorf("dry run changed the stack: %s", info.Status)
	}
}

func TestApplyKeepsParametersSetOutsideIt(t *testing.T) {
	h := newHarness(t)
	h.apply(t, context.Background(), fastOptions(nil))
	// The pipeline deployed an image; the manifest does not name one.
	delete(h.bundle.Stack("shop-ecs-dev-x").Parameters, "ImageUri")
	res := h.apply(t, context.Background(), fastOptions(nil))
	if o := resultOf(t, res, "shop-ecs-dev-x"); o.Outcome != Unchanged {
		t.Errorf("%+v, want unchanged", o)
	}
	if info, _ := h.fake.Stack(devID, "us-east-1", "shop-ecs-dev-x"); info.Parameters["ImageUri"] != "public.ecr.aws/nginx/nginx:stable" {
		t.Errorf("ImageUri = %q, want the previous value kept", info.Parameters["ImageUri"])
	}
}

// `apply --env dev` (and diff) calls nothing in the other environments'
// accounts and reaches only dev's: credentials are set up when a stack of
// the account is touched.
func TestApplyAnEnvironmentTouchesOnlyItsAccount(t *testing.T) {
	for _, dryRun := range []bool{false, true} {
		t.Run(fmt.Sprintf("dry run %v", dryRun), func(t *testing.T) {
			h := newHarness(t)
			h.apply(t, context.Background(), fastOptions(nil))
			before := len(h.fake.Calls())
			h.factory = newFactory(t) // no credentials cached from the first run
			opts := fastOptions(nil)
			opts.Environments = []string{"dev"}
			opts.DryRun = dryRun
			res := h.apply(t, context.Background(), opts)
			if res.Failed() {
				t.Fatalf("%+v", res.Stacks)
			}
			for _, s := range res.Stacks {
				if s.AccountID != devID {
					t.Errorf("stack %s of account %s applied", s.Stack, s.AccountID)
				}
			}
			for _, c := range h.fake.Calls()[before:] {
				if c.Account != devID && c.Account != toolingID {
					t.Errorf("%s %s called in account %s", c.Service, c.Action, c.Account)
				}
				if c.Action == "AssumeRole" && !strings.Contains(c.Form.Get("RoleArn"), devID) {
					t.Errorf("assumed %s", c.Form.Get("RoleArn"))
				}
			}
		})
	}
}
