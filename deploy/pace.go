package deploy

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/codeconnections"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/cicdgen/cicdgen/compiler"
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
	ThrottleBaseBackoff = 500 * time.Millisecond
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
	region  string
	perSec  float64
	burst   float64
	mu      sync.Mutex // guards tokens, last, rng
	tokens  float64
	last    time.Time
	rng     *rand.Rand
	started bool
}

func newPacer(c clock, region string, perSec float64, burst int, seed uint64) *pacer {
	return &pacer{clock: c, region: region, perSec: perSec, burst: float64(max(burst, 1)), rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
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
	acct   compiler.ManifestAccount
	region string
	getenv func(string) string
}

// callIn makes one call through c.
func callIn[T any](ctx context.Context, c *calls, call func(context.Context) (T, error)) (T, error) {
	out, err := paced(ctx, c.p, call)
	return out, explain(err, c.acct, c.region, c.getenv)
}

// The clients of an account and region, each call paced (callIn).
type (
	pacedCloudFormation struct {
		api *cloudformation.Client
		c   *calls
	}
	pacedSTS struct {
		api *sts.Client
		c   *calls
	}
	pacedS3 struct {
		api *s3.Client
		c   *calls
	}
	pacedConnections struct {
		api *codeconnections.Client
		c   *calls
	}
	pacedECR struct {
		api *ecr.Client
		c   *calls
	}
	pacedSecrets struct {
		api *secretsmanager.Client
		c   *calls
	}
)

var (
	_ CloudFormationAPI = pacedCloudFormation{}
	_ STSAPI            = pacedSTS{}
	_ S3API             = pacedS3{}
	_ ConnectionsAPI    = pacedConnections{}
	_ ECRAPI            = pacedECR{}
	_ SecretsAPI        = pacedSecrets{}
)

type cfnOpt = func(*cloudformation.Options)

func (x pacedCloudFormation) DescribeStacks(ctx context.Context, in *cloudformation.DescribeStacksInput, o ...cfnOpt) (*cloudformation.DescribeStacksOutput, error) {
	return callIn(ctx, x.c, func(ctx context.Context) (*cloudformation.DescribeStacksOutput, error) {
		return x.api.DescribeStacks(ctx, in, o...)
	})
}

func (x pacedCloudFormation) DescribeStackEvents(ctx context.Context, in *cloudformation.DescribeStackEventsInput, o ...cfnOpt) (*cloudformation.DescribeStackEventsOutput, error) {
	return callIn(ctx, x.c, func(ctx context.Context) (*cloudformation.DescribeStackEventsOutput, error) {
		return x.api.DescribeStackEvents(ctx, in, o...)
	})
}

func (x pacedCloudFormation) CreateChangeSet(ctx context.Context, in *cloudformation.CreateChangeSetInput, o ...cfnOpt) (*cloudformation.CreateChangeSetOutput, error) {
	return callIn(ctx, x.c, func(ctx context.Context) (*cloudformation.CreateChangeSetOutput, error) {
		return x.api.CreateChangeSet(ctx, in, o...)
	})
}

func (x pacedCloudFormation) DescribeChangeSet(ctx context.Context, in *cloudformation.DescribeChangeSetInput, o ...cfnOpt) (*cloudformation.DescribeChangeSetOutput, error) {
	return callIn(ctx, x.c, func(ctx context.Context) (*cloudformation.DescribeChangeSetOutput, error) {
		return x.api.DescribeChangeSet(ctx, in, o...)
	})
}

func (x pacedCloudFormation) ExecuteChangeSet(ctx context.Context, in *cloudformation.ExecuteChangeSetInput, o ...cfnOpt) (*cloudformation.ExecuteChangeSetOutput, error) {
	return callIn(ctx, x.c, func(ctx context.Context) (*cloudformation.ExecuteChangeSetOutput, error) {
		return x.api.ExecuteChangeSet(ctx, in, o...)
	})
}

func (x pacedCloudFormation) DeleteChangeSet(ctx context.Context, in *cloudformation.DeleteChangeSetInput, o ...cfnOpt) (*cloudformation.DeleteChangeSetOutput, error) {
	return callIn(ctx, x.c, func(ctx context.Context) (*cloudformation.DeleteChangeSetOutput, error) {
		return x.api.DeleteChangeSet(ctx, in, o...)
	})
}

func (x pacedCloudFormation) DeleteStack(ctx context.Context, in *cloudformation.DeleteStackInput, o ...cfnOpt) (*cloudformation.DeleteStackOutput, error) {
	return callIn(ctx, x.c, func(ctx context.Context) (*cloudformation.DeleteStackOutput, error) {
		return x.api.DeleteStack(ctx, in, o...)
	})
}

func (x pacedCloudFormation) UpdateTerminationProtection(ctx context.Context, in *cloudformation.UpdateTerminationProtectionInput, o ...cfnOpt) (*cloudformation.UpdateTerminationProtectionOutput, error) {
	return callIn(ctx, x.c, func(ctx context.Context) (*cloudformation.UpdateTerminationProtectionOutput, error) {
		return x.api.UpdateTerminationProtection(ctx, in, o...)
	})
}

func (x pacedCloudFormation) DescribeStackResources(ctx context.Context, in *cloudformation.DescribeStackResourcesInput, o ...cfnOpt) (*cloudformation.DescribeStackResourcesOutput, error) {
	return callIn(ctx, x.c, func(ctx context.Context) (*cloudformation.DescribeStackResourcesOutput, error) {
		return x.api.DescribeStackResources(ctx, in, o...)
	})
}

func (x pacedSTS) GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, o ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	return callIn(ctx, x.c, func(ctx context.Context) (*sts.GetCallerIdentityOutput, error) {
		return x.api.GetCallerIdentity(ctx, in, o...)
	})
}

func (x pacedS3) PutObject(ctx context.Context, in *s3.PutObjectInput, o ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	return callIn(ctx, x.c, func(ctx context.Context) (*s3.PutObjectOutput, error) { return x.api.PutObject(ctx, in, o...) })
}

func (x pacedConnections) GetConnection(ctx context.Context, in *codeconnections.GetConnectionInput, o ...func(*codeconnections.Options)) (*codeconnections.GetConnectionOutput, error) {
	return callIn(ctx, x.c, func(ctx context.Context) (*codeconnections.GetConnectionOutput, error) {
		return x.api.GetConnection(ctx, in, o...)
	})
}

func (x pacedECR) DescribeImages(ctx context.Context, in *ecr.DescribeImagesInput, o ...func(*ecr.Options)) (*ecr.DescribeImagesOutput, error) {
	return callIn(ctx, x.c, func(ctx context.Context) (*ecr.DescribeImagesOutput, error) {
		return x.api.DescribeImages(ctx, in, o...)
	})
}

func (x pacedSecrets) DescribeSecret(ctx context.Context, in *secretsmanager.DescribeSecretInput, o ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
	return callIn(ctx, x.c, func(ctx context.Context) (*secretsmanager.DescribeSecretOutput, error) {
		return x.api.DescribeSecret(ctx, in, o...)
	})
}
