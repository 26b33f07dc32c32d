package deploy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go"

	"github.com/cicdgen/cicdgen/internal/fakeaws"
	"github.com/cicdgen/cicdgen/manifest"
)

// virtualClock is a clock whose sleeps take no time: each moves the clock
// on by its duration. Shared by apply, its pacing and the fake, it lets a
// test of minutes of waiting run in milliseconds.
type virtualClock struct {
	mu    sync.Mutex
	t     time.Time
	slept []time.Duration
}

// newVirtualClock returns a virtual clock that starts in 2100, ahead of the
// wall clock: the SDK's credentials cache goes by the wall clock, and the
// credentials the fake hands out are valid for an hour from the fake's
// (virtual) time; on a clock behind the wall clock they would be expired at
// once, and every call would assume its role again.
func newVirtualClock() *virtualClock {
	return &virtualClock{t: time.Date(2100, 1, 1, 9, 0, 0, 0, time.UTC)}
}

func (c *virtualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *virtualClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	c.slept = append(c.slept, d)
	return nil
}

// retryer returns the SDK's retryer with its waits between attempts moved
// onto c: the SDK waits on the wall clock and lets no clock be injected,
// so the retryer moves c on by each wait and gives the SDK none.
func (c *virtualClock) retryer(sdk func() aws.Retryer) func() aws.Retryer {
	return func() aws.Retryer {
		return virtualRetryer{RetryerV2: sdk().(aws.RetryerV2), c: c}
	}
}

// virtualRetryer is a retryer whose waits are on a virtual clock (see
// virtualClock.retryer).
type virtualRetryer struct {
	aws.RetryerV2
	c *virtualClock
}

func (r virtualRetryer) RetryDelay(attempt int, err error) (time.Duration, error) {
	d, derr := r.RetryerV2.RetryDelay(attempt, err)
	if derr != nil {
		return d, derr
	}
	_ = r.c.Sleep(context.Background(), d)
	return 0, nil
}

// on returns opts with their waits (polls, timeouts) on c, or opts as
// they are when c is nil.
func (c *virtualClock) on(opts Options) Options {
	if c != nil {
		opts.Now, opts.Sleep = c.Now, c.Sleep
	}
	return opts
}

// steppedClock stands still until the test moves it on. The fake's stacks
// on it stay in progress until then, however slow the machine, so a test
// can see which of them are in progress at once.
type steppedClock struct {
	mu       sync.Mutex
	t        time.Time
	released time.Time // when Release let it run with the wall clock
}

func newSteppedClock() *steppedClock {
	return &steppedClock{t: time.Date(2100, 1, 1, 9, 0, 0, 0, time.UTC)}
}

func (c *steppedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.released.IsZero() {
		return c.t.Add(time.Since(c.released))
	}
	return c.t
}

// Release lets the clock run with the wall clock from now on.
func (c *steppedClock) Release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.released = time.Now()
}

// Advance moves the clock on by d.
func (c *steppedClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// hangGuard is how long a test waits for something that must happen before
// it concludes that it never will: a guard against a hang, not a measure of
// speed.
const hangGuard = 30 * time.Second

// eventually polls cond until it holds, and fails the test if it still
// does not after hangGuard.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(hangGuard)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting after %v for %s", hangGuard, what)
		}
		time.Sleep(time.Millisecond)
	}
}

// applyRun is an apply running on its own goroutine.
type applyRun chan applyOutcome

type applyOutcome struct {
	res *Result
	err error
}

// goApply starts apply on its own goroutine.
func goApply(apply func() (*Result, error)) applyRun {
	done := make(applyRun, 1)
	go func() {
		res, err := apply()
		done <- applyOutcome{res, err}
	}()
	return done
}

// result waits for the apply to end and returns its result; an error, or
// the apply still running after hangGuard (when, as what says, it should
// have ended), fails the test.
func (r applyRun) result(t *testing.T, what string) *Result {
	t.Helper()
	select {
	case o := <-r:
		if o.err != nil {
			t.Fatalf("Apply: %v", o.err)
		}
		return o.res
	case <-time.After(hangGuard):
		t.Fatalf("apply still running after %v: %s", hangGuard, what)
		return nil
	}
}

// withinHangGuard runs f on its own goroutine and returns what it returns;
// f still running after hangGuard (when, as what says, it should have
// ended) fails the test.
func withinHangGuard[T any](t *testing.T, what string, f func() T) T {
	t.Helper()
	done := make(chan T, 1)
	go func() { done <- f() }()
	select {
	case v := <-done:
		return v
	case <-time.After(hangGuard):
		t.Fatalf("still running after %v: %s", hangGuard, what)
		var zero T
		return zero
	}
}

// stepThrough runs apply while the fake's clock stands still, and moves
// the clock on by delay (each stack's time) once the stacks of the next
// batch are all in progress: stacks started together overlap, as they do
// on AWS, whatever the machine's load. It returns apply's result after
// len(batches) steps of the clock (the critical path); apply not ending
// then, or a batch never all in progress, fails the test.
func stepThrough(t *testing.T, fake *fakeaws.Server, clock *steppedClock, delay time.Duration, batches []int, apply func() (*Result, error)) *Result {
	t.Helper()
	run := goApply(apply)
	started := 0
	for i, n := range batches {
		started += n
		eventually(t, fmt.Sprintf("batch %d: %d stacks executed, %d of them in progress at once", i+1, started, n), func() bool {
			return len(fake.Executions()) >= started
		})
		clock.Advance(delay)
	}
	return run.result(t, fmt.Sprintf("it should end after %d steps of the clock of %v each", len(batches), delay))
}

// virtualFactory is an AWS factory pointed at fake whose pacing runs on c,
// with the default rate limit.
func virtualFactory(t *testing.T, fake *fakeaws.Server, c *virtualClock, account, region string) *AWS {
	t.Helper()
	env := map[string]string{"CI": "true", "AWS_ENDPOINT_URL_S3": fake.URL}
	opts := AWSOptions{Getenv: func(k string) string { return env[k] }, MaxBackoff: 20 * time.Millisecond, Now: c.Now, Sleep: c.Sleep}
	cfg := aws.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider(fakeaws.AccessKey(account), "fake-secret", ""),
		BaseEndpoint: aws.String(fake.URL),
		Retryer:      newRetryer(opts.withDefaults()),
	}
	return newAWS(cfg, opts)
}

// Every call of an apply throttled six times in a row before it is
// answered: the whole seed system is still created, each throttled call
// retried patiently, with waits that differ (full jitter), none over the
// cap.
func TestApplySurvivesEveryCallThrottledSixTimes(t *testing.T) {
	fake := fakeaws.Start(t)
	c := newVirtualClock()
	fake.SetClock(c.Now)
	fake.ThrottleEach(6)
	b, err := LoadDir("testdata/seed")
	if err != nil {
		t.Fatal(err)
	}
	// Apply's own waits (its polls) are counted apart from the pacing's.
	var polls atomic.Int64
	pollSleep := func(ctx context.Context, d time.Duration) error {
		polls.Add(1)
		return c.Sleep(ctx, d)
	}
	opts := Options{Concurrency: 4, Now: c.Now, Sleep: pollSleep}
	res, err := Apply(context.Background(), b, virtualFactory(t, fake, c, toolingID, "us-east-1"), opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed() || res.Interrupted {
		t.Fatalf("apply failed: %+v", res.Stacks)
	}
	for _, s := range res.Stacks {
		if s.Outcome != Created {
			t.Errorf("%s: %s, want created", s.Stack, s.Outcome)
		}
	}
	if fake.Throttled() < 6*len(b.Manifest.Stacks) {
		t.Errorf("only %d calls throttled", fake.Throttled())
	}
	// Each throttled call waits before it is retried, on the injected
	// clock: the pacing's waits (its backoffs, and its waits for a token)
	// are at least as many as the calls throttled. The polls' waits do not
	// count: they would hide backoffs made on the wall clock.
	paceWaits := len(c.slept) - int(polls.Load())
	if paceWaits < fake.Throttled() {
		t.Errorf("%d waits of the pacing on the injected clock for %d calls throttled: the others are on the wall clock", paceWaits, fake.Throttled())
	}
	t.Logf("%d waits (%d of the pacing), %d calls throttled", len(c.slept), paceWaits, fake.Throttled())
	distinct := map[time.Duration]bool{}
	for _, d := range c.slept {
		if d > ThrottleMaxBackoff {
			t.Errorf("a wait of %v, over the cap %v", d, ThrottleMaxBackoff)
		}
		distinct[d] = true
	}
	if len(distinct) < len(c.slept)/2 {
		t.Errorf("%d distinct waits among %d: retries go in step", len(distinct), len(c.slept))
	}
}

// One pacer per account and region: the calls of many stacks together stay
// under its rate, whatever the concurrency.
func TestPacerKeepsTheRate(t *testing.T) {
	c := newVirtualClock()
	p := newPacer(clock{now: c.Now, sleep: c.Sleep}, 20, 40, 1)
	const n = 1000
	start := c.Now()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range n / 8 {
				if _, err := paced(context.Background(), p, func(context.Context) (int, error) { return 0, nil }); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	took := c.Now().Sub(start)
	// 40 at once, then 20 a second: (1000-40)/20 = 48 s at least. The
	// virtual clock adds up concurrent waits, so only the floor is exact.
	if took < 48*time.Second {
		t.Errorf("%d calls in %v: over 20 a second", n, took)
	}
}

// Throttling is retried with full-jitter backoff under the cap; it fails a
// call only after ThrottleGiveUp of throttling in a row; other errors are
// not retried; cancelling stops the waits.
func TestPacedRetriesThrottlingOnly(t *testing.T) {
	throttled := &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded"}
	cases := map[string]struct {
		errs      []error // the answers, in order; then success
		cancel    bool
		wantCalls int
		wantErr   string
	}{
		"throttled six times, then answered": {errs: []error{throttled, throttled, throttled, throttled, throttled, throttled}, wantCalls: 7},
		"a validation error is not retried": {errs: []error{&smithy.GenericAPIError{Code: "ValidationError", Message: "bad"}},
			wantCalls: 1, wantErr: "ValidationError"},
		"a quota error is not throttling":  {errs: []error{&smithy.GenericAPIError{Code: "LimitExceededException", Message: "too many stacks"}}, wantCalls: 1, wantErr: "LimitExceeded"},
		"cancelled while waiting to retry": {errs: []error{throttled}, cancel: true, wantCalls: 1, wantErr: "context canceled"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c := newVirtualClock()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			p := newPacer(clock{now: c.Now, sleep: c.Sleep}, -1, 1, 7)
			calls := 0
			_, err := paced(ctx, p, func(context.Context) (int, error) {
				calls++
				if tc.cancel {
					cancel()
				}
				if calls <= len(tc.errs) {
					return 0, tc.errs[calls-1]
				}
				return 1, nil
			})
			if calls != tc.wantCalls {
				t.Errorf("%d calls, want %d", calls, tc.wantCalls)
			}
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("error %v, want %q", err, tc.wantErr)
			}
		})
	}
	t.Run("throttled without end fails after ThrottleGiveUp", func(t *testing.T) {
		c := newVirtualClock()
		p := newPacer(clock{now: c.Now, sleep: c.Sleep}, -1, 1, 7)
		_, err := paced(context.Background(), p, func(context.Context) (int, error) { return 0, throttled })
		if err == nil || !strings.Contains(err.Error(), "throttled for 30m0s in a row") {
			t.Errorf("error %v", err)
		}
		if c.Now().Sub(newVirtualClock().Now()) < ThrottleGiveUp {
			t.Errorf("gave up after %v", c.Now().Sub(newVirtualClock().Now()))
		}
	})
}

// A paced call marked uninterruptible is not cancelled once sent.
func TestUninterruptibleCallsAreNotCutOff(t *testing.T) {
	c := newVirtualClock()
	p := newPacer(clock{now: c.Now, sleep: c.Sleep}, -1, 1, 7)
	ctx, cancel := context.WithCancel(context.Background())
	_, err := paced(uninterruptible(ctx), p, func(callCtx context.Context) (int, error) {
		cancel()
		return 0, callCtx.Err()
	})
	if err != nil {
		t.Errorf("the call saw its context cancelled: %v", err)
	}
}

// Each class of AWS error gets the fix that fits it, naming the account's
// role or profile, the action, or the endpoint.
func TestErrorsCarryTheFixOfTheirClass(t *testing.T) {
	withRole := manifest.Account{Key: "prod", ID: prodID, Role: "arn:aws:iam::" + prodID + ":role/Deploy"}
	withProfile := manifest.Account{Key: "dev", ID: devID, Profile: "dev-admin"}
	op := func(service, name string, err error) error {
		return &smithy.OperationError{ServiceID: service, OperationName: name, Err: err}
	}
	refused := &smithy.OperationError{ServiceID: "CloudFormation", OperationName: "DescribeStacks",
		Err: fmt.Errorf("request send failed: %w", &url.Error{Op: "Post", URL: "http://127.0.0.1:1/", Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}})}
	noName := &smithy.OperationError{ServiceID: "STS", OperationName: "GetCallerIdentity",
		Err: &url.Error{Op: "Post", URL: "https://sts.us-eest-1.amazonaws.com/", Err: &net.DNSError{Err: "no such host", Name: "sts.us-eest-1.amazonaws.com", IsNotFound: true}}}
	cases := map[string]struct {
		err    error
		acct   manifest.Account
		env    map[string]string
		action string // as the pacing middleware gives it
		want   []string
	}{
		"inside the SDK, the service comes from the action": {
			err:    &url.Error{Op: "Post", URL: "http://127.0.0.1:1/", Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}},
			action: "sts:GetCallerIdentity", want: []string{"the STS endpoint http://127.0.0.1:1 (region us-west-2) cannot be reached"},
		},
		"access denied names the action and the role": {
			err:  op("CloudFormation", "CreateChangeSet", &smithy.GenericAPIError{Code: "AccessDenied", Message: "User: x is not authorized to perform: cloudformation:CreateChangeSet"}),
			acct: withRole, want: []string{"cloudformation:CreateChangeSet", "role arn:aws:iam::" + prodID + ":role/Deploy", "account prod (" + prodID + ")"},
		},
		"an expired token suggests the login of the account's profile": {
			err:  op("CloudFormation", "DescribeStacks", &smithy.GenericAPIError{Code: "ExpiredToken", Message: "The security token included in the request is expired"}),
			acct: withProfile, want: []string{"aws sso login --profile dev-admin"},
		},
		"an expired token of the caller suggests the login of AWS_PROFILE": {
			err:  op("STS", "GetCallerIdentity", &smithy.GenericAPIError{Code: "ExpiredTokenException", Message: "expired"}),
			env:  map[string]string{"AWS_PROFILE": "sso-main"},
			want: []string{"aws sso login --profile sso-main"},
		},
		"an unknown key names the identity": {
			err:  op("CloudFormation", "DescribeStacks", &smithy.GenericAPIError{Code: "InvalidClientTokenId", Message: "invalid"}),
			acct: withProfile, want: []string{`profile "dev-admin"`, "AWS_ACCESS_KEY_ID"},
		},
		"a refused connection names the endpoint and the region": {
			err: refused, acct: withRole, want: []string{"CloudFormation endpoint http://127.0.0.1:1 (region us-west-2) cannot be reached", "connection refused"},
		},
		"a name that does not resolve names the endpoint and the region": {
			err: noName, want: []string{"STS endpoint https://sts.us-eest-1.amazonaws.com (region us-west-2) does not resolve (DNS)", `region name "us-west-2"`},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := explain(tc.err, tc.acct, "us-west-2", func(k string) string { return tc.env[k] }, tc.action)
			for _, w := range tc.want {
				if !strings.Contains(got.Error(), w) {
					t.Errorf("%q\nlacks %q", got, w)
				}
			}
			if !errors.Is(got, tc.err) && !errors.As(got, new(*EndpointError)) {
				t.Errorf("%v does not wrap its cause", got)
			}
		})
	}
	t.Run("a validation error is left as it is", func(t *testing.T) {
		err := op("CloudFormation", "CreateChangeSet", &smithy.GenericAPIError{Code: "ValidationError", Message: "Template format error"})
		if got := explain(err, withRole, "us-east-1", func(string) string { return "" }, ""); got != err {
			t.Errorf("got %v", got)
		}
	})
}

// unreachableSeed returns the seed bundle and a factory whose endpoint, the
// closed fake's, refuses connections.
func unreachableSeed(t *testing.T) (*fakeaws.Server, ClientFactory, *Bundle) {
	t.Helper()
	fake := fakeaws.Start(t)
	f := factoryFor(t, fake, toolingID, "us-east-1")
	fake.Close()
	b, err := LoadDir("testdata/seed")
	if err != nil {
		t.Fatal(err)
	}
	return fake, f, b
}

// An endpoint that refuses connections is one error, naming it, before any
// stack starts.
func TestApplyReportsAnUnreachableEndpointOnce(t *testing.T) {
	fake, f, b := unreachableSeed(t)
	start := time.Now()
	res, err := Apply(context.Background(), b, f, fastOptions(nil))
	var ee *EndpointError
	if !errors.As(err, &ee) || res != nil {
		t.Fatalf("Apply: %v, %+v", err, res)
	}
	// Only a guard against a retry loop without end: the error comes
	// once, before any stack (res is nil), which is what the test proves.
	if took := time.Since(start); took > hangGuard {
		t.Errorf("took %v", took)
	}
	for _, want := range []string{"the STS endpoint " + fake.URL, "(region us-east-1) cannot be reached", "connection refused"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
}

// status, destroy's plan and preflight say so once too: one error before
// any stack is read, or one failed check with the others not run.
func TestReadersReportAnUnreachableEndpointOnce(t *testing.T) {
	fake, f, b := unreachableSeed(t)
	ctx := context.Background()
	var ee *EndpointError
	if st, err := ReadStatus(ctx, b, f, StatusOptions{}); !errors.As(err, &ee) || st != nil {
		t.Errorf("ReadStatus: %v, %+v; want one endpoint error", err, st)
	}
	if plan, err := PlanDestroy(ctx, b, f, DestroyOptions{}); !errors.As(err, &ee) || plan != nil {
		t.Errorf("PlanDestroy: %v, %+v; want one endpoint error", err, plan)
	}
	in := PreflightInput{
		Accounts:   []AccountRef{{Account: b.Stack(b.Manifest.Stacks[0].Name).Account}},
		Tooling:    b.Stack(b.Manifest.Stacks[0].Name).Account,
		HomeRegion: "us-east-1",
		Connection: "arn:aws:codeconnections:us-east-1:" + toolingID + ":connection/x",
	}
	named := 0
	for _, c := range Preflight(ctx, in, f) {
		if strings.Contains(c.Detail, fake.URL) {
			named++
		}
	}
	if named != 1 {
		t.Errorf("preflight names the endpoint in %d checks, want 1", named)
	}
}

// CloudFormation out of reach while STS answers: the first stack fails
// naming the endpoint; the stacks of that region not started yet are
// skipped, not tried one by one.
func TestAnUnreachableServiceSkipsTheStacksNotStarted(t *testing.T) {
	fake := fakeaws.Start(t)
	fake.Setenv(t, toolingID, "us-east-1", nil)
	closed := fakeaws.New()
	closed.Close()
	t.Setenv("AWS_ENDPOINT_URL_CLOUDFORMATION", closed.URL)
	f, err := NewAWS(context.Background(), testAWSOptions(func(string) string { return "" }))
	if err != nil {
		t.Fatal(err)
	}
	opts := fastOptions(nil)
	opts.Concurrency = 1
	res, err := Apply(context.Background(), independent(4), f, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range res.Stacks {
		want, msg := Skipped, "not started: the CloudFormation endpoint "+closed.URL+" (region us-east-1) cannot be reached"
		if i == 0 {
			want, msg = Failed, "the CloudFormation endpoint "+closed.URL+" (region us-east-1) cannot be reached"
		}
		if s.Outcome != want || !strings.Contains(s.Error, msg) {
			t.Errorf("%s: %s: %s\nwant %s: %s", s.Stack, s.Outcome, s.Error, want, msg)
		}
	}
}
