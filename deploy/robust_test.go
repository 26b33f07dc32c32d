package deploy

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/smithy-go"

	"github.com/cicdgen/cicdgen/internal/fakeaws"
	"github.com/cicdgen/cicdgen/manifest"
)

// Apply must work against any implementation of the CloudFormation and STS
// APIs, not only against fakeaws as it usually answers: each case makes the
// fake answer like a simpler or different one, then checks a first create,
// a second run that executes nothing, and a failure that names its resource.
func TestApplyToleratesOtherImplementations(t *testing.T) {
	cases := map[string]struct {
		quirks fakeaws.Quirks
		// delay of every stack operation, so that polls see it in progress.
		delay time.Duration
		// updateFails makes the failure an update of a created stack
		// rather than a first create.
		updateFails bool
	}{
		"events listed oldest first still name the failed resource": {
			quirks: fakeaws.Quirks{OldestEventsFirst: true},
		},
		"events without EventId or PhysicalResourceId still name the failed resource": {
			quirks: fakeaws.Quirks{BareEvents: true},
		},
		"without DescribeStackEvents the stack's status reason names the failed resource": {
			quirks: fakeaws.Quirks{NoStackEvents: true}, delay: 30 * time.Millisecond,
		},
		"without DescribeStackEvents nor a status reason the stack's resources name the failed one": {
			quirks: fakeaws.Quirks{NoStackEvents: true},
		},
		"change sets without an id, pending at first and listing no changes": {
			quirks: fakeaws.Quirks{NoChangeSetID: true, PendingChangeSets: 2, NoChanges: true},
		},
		"an empty change set in other words is still no change": {
			quirks: fakeaws.Quirks{EmptyChangeSetReason: "No updates are to be performed."},
		},
		"without UpdateTerminationProtection protected stacks are still deployed": {
			quirks: fakeaws.Quirks{NoTerminationProtection: true},
		},
		"stacks that exist only once their change set runs": {
			quirks: fakeaws.Quirks{HiddenReview: true},
		},
		"a status still showing the state before the execution is not taken as its result": {
			quirks: fakeaws.Quirks{StaleStatus: 40 * time.Millisecond}, updateFails: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newParallelHarness(t)
			h.fake.SetQuirks(tc.quirks)
			h.fake.SetDelay("", tc.delay)
			const reason = `Resource handler returned message: "not authorized to perform: iam:CreateRole"`
			if !tc.updateFails {
				h.fake.FailResource("shop-roles-staging-x", "DeployRole", reason)
			}
			res := h.apply(t, context.Background(), fastOptions(nil))
			for _, s := range res.Stacks {
				want := Created
				switch {
				case tc.updateFails:
				case s.Stack == "shop-roles-staging-x":
					want = Failed
				case s.Stack == "shop-ecs-staging-x":
					want = Skipped
				}
				if s.Outcome != want {
					t.Errorf("%s: %s (%s), want %s", s.Stack, s.Outcome, s.Error, want)
				}
				m := h.bundle.Stack(s.Stack)
				info, ok := h.fake.Stack(m.Account.ID, m.Region, m.Name)
				if want == Created && (!ok || info.Status != "CREATE_COMPLETE" || info.Tags["team"] != "platform") {
					t.Errorf("%s in %s/%s: %+v", s.Stack, m.Account.ID, m.Region, info)
				}
				if want == Created && m.TerminationProtection && !tc.quirks.NoTerminationProtection && !info.TerminationProtection {
					t.Errorf("%s: no termination protection", s.Stack)
				}
				if want == Created && m.TerminationProtection && tc.quirks.NoTerminationProtection && !strings.Contains(s.Note, "termination protection not turned on") {
					t.Errorf("%s: note %q does not say termination protection is off", s.Stack, s.Note)
				}
			}
			if !tc.updateFails {
				if o := resultOf(t, res, "shop-roles-staging-x"); !strings.Contains(o.Error, "DeployRole") {
					t.Errorf("the failure does not name the resource: %s", o.Error)
				}
				h.fake.ClearFailures()
				opts := fastOptions(nil)
				opts.Yes = true
				if res := h.apply(t, context.Background(), opts); res.Failed() {
					t.Fatalf("recreate: %+v", res.Stacks)
				}
			}

			executed := h.fake.CallCount("ExecuteChangeSet")
			for _, s := range h.apply(t, context.Background(), fastOptions(nil)).Stacks {
				if s.Outcome != Unchanged {
					t.Errorf("second run: %s %s (%s)", s.Stack, s.Outcome, s.Error)
				}
			}
			if n := h.fake.CallCount("ExecuteChangeSet") - executed; n != 0 {
				t.Errorf("the second run executed %d change sets", n)
			}

			if tc.updateFails {
				h.bundle.Stack("shop-ecs-dev-x").Parameters["ImageUri"] = manifest.Parameter{Value: "nginx:broken"}
				h.fake.FailResource("shop-ecs-dev-x", "TaskDefinition", reason)
				rec := newRecorder()
				o := resultOf(t, h.apply(t, context.Background(), fastOptions(rec)), "shop-ecs-dev-x")
				if o.Outcome != Failed || !strings.Contains(o.Error, "TaskDefinition") || !strings.Contains(o.Error, "UPDATE_ROLLBACK_COMPLETE") {
					t.Errorf("failed update: %s: %s\nsteps: %v\nevents: %v", o.Outcome, o.Error, rec.status, rec.events["shop-ecs-dev-x"])
				}
			}
		})
	}
}

// A dry run deletes every change set it created, and the empty stacks they
// created, whether the implementation shows such stacks or not.
func TestDryRunLeavesNothingBehind(t *testing.T) {
	cases := map[string]fakeaws.Quirks{
		"stacks shown in REVIEW_IN_PROGRESS":                {},
		"stacks that exist only once their change set runs": {HiddenReview: true},
	}
	for name, quirks := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newParallelHarness(t)
			h.fake.SetQuirks(quirks)
			opts := fastOptions(nil)
			opts.DryRun = true
			res := h.apply(t, context.Background(), opts)
			if res.Failed() {
				t.Fatalf("%+v", res.Stacks)
			}
			for _, s := range res.Stacks {
				if s.Note != "" && strings.Contains(s.Note, "could not delete") {
					t.Errorf("%s: %s", s.Stack, s.Note)
				}
			}
			h.fake.SetQuirks(fakeaws.Quirks{}) // to see what is left
			for _, id := range []string{toolingID, devID, stagingID, prodID} {
				for _, region := range []string{"us-east-1", "us-west-2"} {
					if left := h.fake.Stacks(id, region); len(left) > 0 {
						t.Errorf("left in %s/%s: %v", id, region, left)
					}
				}
			}
			if n := h.fake.CallCount("ExecuteChangeSet"); n != 0 {
				t.Errorf("%d change sets executed", n)
			}
		})
	}
}

// newParallelHarness is newHarness for a test that runs in parallel: the
// SDK is pointed at the fake through the factory's own environment, not
// the process's.
func newParallelHarness(t *testing.T) *harness {
	t.Helper()
	fake := fakeaws.Start(t)
	b, err := LoadDir("testdata/seed")
	if err != nil {
		t.Fatal(err)
	}
	return &harness{fake: fake, bundle: b, factory: factoryFor(t, fake, toolingID, "us-east-1")}
}

// factoryFor returns an AWS factory whose SDK configuration points at fake
// with the caller's credentials in account, without touching the process's
// environment (so that tests can run in parallel).
func factoryFor(t *testing.T, fake *fakeaws.Server, account, region string) *AWS {
	t.Helper()
	env := map[string]string{"CI": "true", "AWS_ENDPOINT_URL_S3": fake.URL}
	opts := testAWSOptions(func(k string) string { return env[k] })
	cfg := aws.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider(fakeaws.AccessKey(account), "fake-secret", ""),
		BaseEndpoint: aws.String(fake.URL),
		Retryer:      newRetryer(opts),
	}
	return newAWS(cfg, opts)
}

// When the caller's account is not one the system uses (a fake that
// answers any caller with one account), or cannot be found at all, every
// account is still reached through its role: each stack lands in its own
// account.
func TestApplyReachesEveryAccountThroughItsRole(t *testing.T) {
	cases := map[string]fakeaws.Quirks{
		"GetCallerIdentity names an account the system does not use": {Caller: "999999999999"},
		"GetCallerIdentity is not implemented":                       {NoCallerIdentity: true},
	}
	for name, quirks := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newParallelHarness(t)
			h.fake.SetQuirks(quirks)
			for i := range h.bundle.Manifest.Stacks {
				a := &h.bundle.Manifest.Stacks[i].Account
				if a.Role == "" {
					a.Role = "arn:aws:iam::" + a.ID + ":role/OrganizationAccountAccessRole"
				}
			}
			res := h.apply(t, context.Background(), fastOptions(nil))
			if res.Failed() {
				t.Fatalf("%+v", res.Stacks)
			}
			for _, s := range h.bundle.Manifest.Stacks {
				if _, ok := h.fake.Stack(s.Account.ID, s.Region, s.Name); !ok {
					t.Errorf("%s is not in account %s, region %s", s.Name, s.Account.ID, s.Region)
				}
			}
			if n := len(h.fake.Sessions()); n != 4 {
				t.Errorf("AssumeRole called %d times, want once per account (4)", n)
			}
		})
	}
}

// With the default polling, quick stacks are seen done soon after they
// end. One at a time, on the injected clock (the fake's stacks progress on
// it too): four stacks of a second each take about four seconds, not the
// seconds of slower polling. Four at once, on a clock the test moves on
// once all four are in progress: one stack's time.
func TestApplyDefaultPollingFollowsQuickStacks(t *testing.T) {
	const delay = time.Second
	t.Run("one at a time take about four stacks' time", func(t *testing.T) {
		t.Parallel()
		fake := fakeaws.Start(t)
		c := newVirtualClock()
		fake.SetClock(c.Now)
		fake.SetDelay("", delay)
		start := c.Now()
		res, err := Apply(context.Background(), independent(4), virtualFactory(t, fake, c, toolingID, "us-east-1"),
			Options{Concurrency: 1, Now: c.Now, Sleep: c.Sleep}) // default polling
		if err != nil || res.Failed() {
			t.Fatalf("%v %+v", err, res)
		}
		took := c.Now().Sub(start)
		t.Logf("took %v on the injected clock", took)
		if took < 4*delay || took > 5*delay {
			t.Errorf("took %v, want between %v and %v", took, 4*delay, 5*delay)
		}
	})
	t.Run("four at once take one stack's time", func(t *testing.T) {
		t.Parallel()
		// On a clock that stands still until the four are in progress:
		// concurrent waits overlap, and one step of a stack's time ends
		// them all.
		fake := fakeaws.Start(t)
		c := newSteppedClock()
		fake.SetClock(c.Now)
		fake.SetDelay("", delay)
		f := factoryFor(t, fake, toolingID, "us-east-1")
		res := stepThrough(t, fake, c, delay, []int{4}, func() (*Result, error) {
			return Apply(context.Background(), independent(4), f, Options{Concurrency: 4}) // default polling
		})
		if res.Failed() {
			t.Fatalf("%+v", res)
		}
		if got := fake.MaxConcurrent(); got != 4 {
			t.Errorf("%d stacks changed at once, want 4", got)
		}
	})
}

func TestChangeSetNamesAreUniqueAndValid(t *testing.T) {
	now := time.Date(2026, 11, 26, 2, 20, 3, 456_000_000, time.UTC)
	cases := map[string]struct {
		stack string
		at    time.Time
		want  string
	}{
		"a name carries the time to the millisecond and the stack": {
			stack: "shop-ecs-dev-x", at: now, want: "cicdgen-20261126-022003-456-shop-ecs-dev-x",
		},
		"a long stack name is cut to 128 characters": {
			stack: strings.Repeat("a", 200), at: now, want: ("cicdgen-20261126-022003-456-" + strings.Repeat("a", 200))[:128],
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := changeSetName(tc.stack, tc.at); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	if changeSetName("a", now) == changeSetName("b", now) || changeSetName("a", now) == changeSetName("a", now.Add(time.Millisecond)) {
		t.Error("names repeat across stacks or milliseconds")
	}
}

func TestIsEmptyChangeSet(t *testing.T) {
	cases := map[string]struct {
		reason string
		want   bool
	}{
		"AWS's words for a change set without changes": {fakeaws.EmptyChangeSetReason, true},
		"the words of an update without changes":       {"No updates are to be performed.", true},
		"a real failure is not empty":                  {"Template format error: Unresolved resource dependencies [X]", false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := isEmptyChangeSet(tc.reason); got != tc.want {
				t.Errorf("isEmptyChangeSet(%q) = %v", tc.reason, got)
			}
		})
	}
}

// Every error path cleans up what it created: an execution AWS refuses
// leaves neither its change set nor the REVIEW_IN_PROGRESS stack its change
// set created.
func TestAFailedExecutionLeavesNothingBehind(t *testing.T) {
	cases := map[string]struct {
		existing bool // the stack exists before (an update)
	}{
		"a new stack":       {},
		"an existing stack": {existing: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t)
			opts := fastOptions(nil)
			opts.Stacks = []string{"secrets-dev"}
			opts.NoDeps = true
			if tc.existing {
				h.apply(t, context.Background(), opts)
				h.bundle.Templates["shop-secrets-dev-x"] = []byte(strings.Replace(string(h.bundle.Templates["shop-secrets-dev-x"]), "docker-credentials", "registry-credentials", 1))
			}
			h.fake.FailCall("ExecuteChangeSet", 1, "InvalidChangeSetStatus", "ChangeSet is in an invalid state")
			o := resultOf(t, h.apply(t, context.Background(), opts), "shop-secrets-dev-x")
			if o.Outcome != Failed || !strings.Contains(o.Error, "InvalidChangeSetStatus") || !strings.Contains(o.Error, "its change set was deleted") {
				t.Fatalf("%s: %s", o.Outcome, o.Error)
			}
			info, ok := h.fake.Stack(devID, "us-east-1", "shop-secrets-dev-x")
			switch {
			case !tc.existing && ok:
				t.Errorf("the stack is left behind: %s, change sets %v", info.Status, info.ChangeSets)
			case tc.existing && (!ok || len(info.ChangeSets) > 0 || info.Status != "CREATE_COMPLETE"):
				t.Errorf("stack %v %s, change sets %v left", ok, info.Status, info.ChangeSets)
			}
		})
	}
}

// Contact lost while a stack changes: after Options.LostContact of failed
// polls its outcome is unknown, "still in progress in AWS", never failed.
// Lost contact is measured on a virtual clock, shared by the fake, the
// pacing, the SDK's retries and apply's polls.
func TestLostContactIsAnUnknownOutcome(t *testing.T) {
	c := newVirtualClock()
	h := newHarnessOn(t, c)
	h.fake.SetDelay("", time.Minute)
	opts := c.on(fastOptions(nil))
	opts.Stacks = []string{"secrets-dev"}
	opts.NoDeps = true
	opts.LostContact = 50 * time.Millisecond
	rec := newRecorder()
	var once sync.Once
	var lost time.Time // when AWS went out of reach
	rec.onEvent = func(stack string, e Event) {
		if e.Status == "CREATE_IN_PROGRESS" {
			once.Do(func() {
				lost = c.Now()
				h.fake.Close() // AWS out of reach from now on
			})
		}
	}
	opts.Reporter = rec
	// Apply trying to reach AWS forever would hang on the virtual clock.
	res := goApply(func() (*Result, error) { return Apply(context.Background(), h.bundle, h.factory, opts) }).
		result(t, "apply should give up once contact is lost for LostContact")
	o := resultOf(t, res, "shop-secrets-dev-x")
	if o.Outcome != Unknown || !strings.Contains(o.Error, "outcome unknown — still in progress in AWS") {
		t.Fatalf("%s: %s", o.Outcome, o.Error)
	}
	if !slices.Equal(res.InProgress, []string{"shop-secrets-dev-x"}) || !res.Failed() {
		t.Errorf("in progress %v, failed %v", res.InProgress, res.Failed())
	}
	if tried := c.Now().Sub(lost); tried < opts.LostContact {
		t.Errorf("gave up %v after contact was lost, before LostContact (%v)", tried, opts.LostContact)
	}
}

// A stack that another operation starts changing between apply's read and
// its change set is waited for too, then deployed.
func TestApplyWaitsForAnOperationStartedMeanwhile(t *testing.T) {
	h := newHarness(t)
	opts := fastOptions(nil)
	opts.Stacks = []string{"secrets-dev"}
	opts.NoDeps = true
	h.apply(t, context.Background(), opts)
	h.bundle.Templates["shop-secrets-dev-x"] = []byte(strings.Replace(string(h.bundle.Templates["shop-secrets-dev-x"]), "docker-credentials", "registry-credentials", 1))
	h.fake.FailCall("CreateChangeSet", 1, "ValidationError", "Stack:arn:aws:cloudformation:us-east-1:310987654321:stack/shop-secrets-dev-x/1 is in UPDATE_IN_PROGRESS state and can not be updated.")
	rec := newRecorder()
	opts.Reporter = rec
	o := resultOf(t, h.apply(t, context.Background(), opts), "shop-secrets-dev-x")
	if o.Outcome != Updated {
		t.Fatalf("%s: %s", o.Outcome, o.Error)
	}
	if !slices.ContainsFunc(rec.status, func(s string) bool { return strings.Contains(s, "another operation started") }) {
		t.Errorf("no line says so: %q", rec.status)
	}
}

// describeOnly is a CloudFormation client that answers DescribeStacks with
// one stack in status; other calls are not expected.
type describeOnly struct {
	CloudFormationAPI
	status types.StackStatus
}

func (d describeOnly) DescribeStacks(context.Context, *cloudformation.DescribeStacksInput, ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error) {
	return &cloudformation.DescribeStacksOutput{Stacks: []types.Stack{{StackName: aws.String("s"), StackStatus: d.status}}}, nil
}

// An ExecuteChangeSet refused as InvalidChangeSetStatus while the stack
// already changes ran all the same (a retry of an attempt whose answer was
// lost); otherwise the refusal stands.
func TestExecutedAnyway(t *testing.T) {
	invalid := &smithy.GenericAPIError{Code: "InvalidChangeSetStatus", Message: "ChangeSet is in an invalid state"}
	cases := map[string]struct {
		err    error
		status types.StackStatus
		want   bool
	}{
		"refused while the stack updates: it ran":      {err: invalid, status: types.StackStatusUpdateInProgress, want: true},
		"refused while the stack waits for review":     {err: invalid, status: types.StackStatusReviewInProgress},
		"refused while the stack is still as it was":   {err: invalid, status: types.StackStatusCreateComplete},
		"another refusal is a refusal, whatever state": {err: &smithy.GenericAPIError{Code: "ValidationError"}, status: types.StackStatusUpdateInProgress},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			d := &stackRun{cl: &Clients{CloudFormation: describeOnly{status: tc.status}}}
			if got := d.executedAnyway(context.Background(), tc.err, &changeSet{stack: "s"}); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}
