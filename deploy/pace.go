package deploy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/cicdgen/cicdgen/manifest"
)

// Pacing: every call to one account and region takes a token from one
// bucket shared by all the stacks of that account and region, so that a
// large --concurrency cannot flood the API; a throttled call is retried
// patiently, with full-jitter exponential backoff (a random wait between 0
// and min(ThrottleMaxBackoff, ThrottleBaseBackoff·2^attempt)), so that stacks
// throttled together do not retry together. Throttling never fails a call
// while the API keeps answering, short of ThrottleGiveUp of throttling in a
// row. Other errors are returned at once: the SDK's own retryer makes the few
// quick retries of connection errors (see newRetryer).

// Defaults of the pacing of AWS calls.
const (
	// DefaultRequestsPerSecond is the steady rate of calls to one account
	// and region; DefaultBurst how many may go at once after a pause.
	DefaultRequestsPerSecond = 20
	DefaultBurst             = 40
	// ThrottleBaseBackoff and ThrottleMaxBackoff bound the wait after a
	// throttled call (full jitter below the bound).
	ThrottleBaseBackoff = 200 * time.Millisecond
	ThrottleMaxBackoff  = 20 * time.Second
	// ThrottleGiveUp is how long a call may be throttled in a row before it
	// fails: far longer than any throttling episode of a live API.
	ThrottleGiveUp = 30 * time.Minute
)

// clock is the time source of pacing and polling: tests inject a virtual one.
type clock struct {
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
}

// pacer paces the calls to one account and region (a token bucket) and
// retries the throttled ones.
type pacer struct {
	clock
	perSec  float64
	burst   float64
	mu      sync.Mutex // guards tokens, last, rng
	tokens  float64
	last    time.Time
	rng     *rand.Rand
	started bool
}

func newPacer(c clock, perSec float64, burst int, seed uint64) *pacer {
	return &pacer{clock: c, perSec: perSec, burst: float64(max(burst, 1)), rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// reserve takes a token and returns how long to wait before using it.
func (p *pacer) reserve() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if !p.started {
		p.started, p.tokens, p.last = true, p.burst, now
	}
	if now.After(p.last) {
		p.tokens = min(p.burst, p.tokens+now.Sub(p.last).Seconds()*p.perSec)
		p.last = now
	}
	p.tokens--
	if p.tokens >= 0 {
		return 0
	}
	return time.Duration(-p.tokens / p.perSec * float64(time.Second))
}

// take waits for a token, or returns ctx's error.
func (p *pacer) take(ctx context.Context) error {
	if p.perSec <= 0 {
		return ctx.Err()
	}
	if d := p.reserve(); d > 0 {
		return p.sleep(ctx, d)
	}
	return ctx.Err()
}

// backoff is the wait before retry number attempt (0 for the first retry):
// full jitter below an exponential bound.
func (p *pacer) backoff(attempt int) time.Duration {
	bound := ThrottleMaxBackoff
	if attempt < 16 {
		bound = min(bound, ThrottleBaseBackoff<<attempt)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return time.Duration(p.rng.Int64N(int64(bound)) + 1)
}

// uninterruptibleKey marks a context whose calls must not be cancelled
// half-way (see uninterruptible).
type uninterruptibleKey struct{}

// uninterruptible returns ctx marked so that paced calls under it are not
// cancelled once sent: a CreateChangeSet or ExecuteChangeSet cut off
// half-way leaves something in AWS that apply would not know of. Cancelling
// ctx still stops the waits between attempts.
func uninterruptible(ctx context.Context) context.Context {
	return context.WithValue(ctx, uninterruptibleKey{}, true)
}

// paced makes one call through p: it waits for a token, and retries while
// the call is throttled. The error of the last attempt is returned as it is.
func paced[T any](ctx context.Context, p *pacer, call func(context.Context) (T, error)) (T, error) {
	var zero T
	attemptCtx := ctx
	if ctx.Value(uninterruptibleKey{}) != nil {
		attemptCtx = context.WithoutCancel(ctx)
	}
	var throttledSince time.Time
	for attempt := 0; ; attempt++ {
		if err := p.take(ctx); err != nil {
			return zero, err
		}
		out, err := call(attemptCtx)
		if err == nil || !isThrottle(err) {
			return out, err
		}
		if attempt == 0 {
			throttledSince = p.now()
		}
		if p.now().Sub(throttledSince) >= ThrottleGiveUp {
			return zero, fmt.Errorf("throttled for %s in a row (%d attempts): %w", ThrottleGiveUp, attempt+1, err)
		}
		if serr := p.sleep(ctx, p.backoff(attempt)); serr != nil {
			return zero, serr
		}
	}
}

// throttleCodes are the error codes AWS services throttle with. Quota
// errors (LimitExceededException: too many stacks) are not among them: they
// do not pass by waiting.
var throttleCodes = map[string]bool{
	"Throttling": true, "ThrottlingException": true, "ThrottledException": true, "RequestThrottledException": true,
	"TooManyRequestsException": true, "RequestLimitExceeded": true, "RequestThrottled": true, "SlowDown": true,
	"ProvisionedThroughputExceededException": true, "PriorRequestNotComplete": true,
}

// isThrottle reports whether err says the caller goes too fast.
func isThrottle(err error) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) && throttleCodes[ae.ErrorCode()] {
		return true
	}
	var re *smithyhttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() == http.StatusTooManyRequests
}

// calls is how the calls to one account and region are made: through its
// pacer, their errors explained (explain).
type calls struct {
	p      *pacer
	acct   manifest.Account
	region string
	getenv func(string) string
}

// attach adds the pacing to a client's middleware stack (an
// aws.Config's APIOptions): every call of the client, whatever its
// operation, goes through c's pacer and has its errors explained. It sits
// at the end of the initialize step, outside the SDK's retry loop, so that a
// retried throttled call is serialized, signed and sent again as new.
func (c *calls) attach(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("cicdgen.Pacing", c.handle), middleware.After)
}

// handle is the pacing middleware.
func (c *calls) handle(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	type result struct {
		out middleware.InitializeOutput
		md  middleware.Metadata
	}
	r, err := paced(ctx, c.p, func(ctx context.Context) (result, error) {
		// A body read by an attempt is read again from its start.
		if s, ok := bodyOf(in.Parameters).(io.Seeker); ok {
			if _, err := s.Seek(0, io.SeekStart); err != nil {
				return result{}, fmt.Errorf("rewind the request body: %w", err)
			}
		}
		out, md, err := next.HandleInitialize(ctx, in)
		return result{out, md}, err
	})
	if err != nil {
		action := strings.ToLower(strings.ReplaceAll(middleware.GetServiceID(ctx), " ", "")) + ":" + middleware.GetOperationName(ctx)
		err = explain(err, c.acct, c.region, c.getenv, action)
	}
	return r.out, r.md, err
}

// bodyOf returns the streamed body of a call's input, or nil.
func bodyOf(params any) any {
	if in, ok := params.(*s3.PutObjectInput); ok && in.Body != nil {
		return in.Body
	}
	return nil
}
