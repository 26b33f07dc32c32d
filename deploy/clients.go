package deploy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/codeconnections"
	"github.com/aws/aws-sdk-go-v2/service/codepipeline"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/logging"

	"github.com/cicdgen/cicdgen/manifest"
)

// CloudFormationAPI is the part of the CloudFormation client that apply and
// diff use.
type CloudFormationAPI interface {
	DescribeStacks(context.Context, *cloudformation.DescribeStacksInput, ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
	DescribeStackEvents(context.Context, *cloudformation.DescribeStackEventsInput, ...func(*cloudformation.Options)) (*cloudformation.DescribeStackEventsOutput, error)
	CreateChangeSet(context.Context, *cloudformation.CreateChangeSetInput, ...func(*cloudformation.Options)) (*cloudformation.CreateChangeSetOutput, error)
	DescribeChangeSet(context.Context, *cloudformation.DescribeChangeSetInput, ...func(*cloudformation.Options)) (*cloudformation.DescribeChangeSetOutput, error)
	ExecuteChangeSet(context.Context, *cloudformation.ExecuteChangeSetInput, ...func(*cloudformation.Options)) (*cloudformation.ExecuteChangeSetOutput, error)
	DeleteChangeSet(context.Context, *cloudformation.DeleteChangeSetInput, ...func(*cloudformation.Options)) (*cloudformation.DeleteChangeSetOutput, error)
	DeleteStack(context.Context, *cloudformation.DeleteStackInput, ...func(*cloudformation.Options)) (*cloudformation.DeleteStackOutput, error)
	UpdateTerminationProtection(context.Context, *cloudformation.UpdateTerminationProtectionInput, ...func(*cloudformation.Options)) (*cloudformation.UpdateTerminationProtectionOutput, error)
	DescribeStackResources(context.Context, *cloudformation.DescribeStackResourcesInput, ...func(*cloudformation.Options)) (*cloudformation.DescribeStackResourcesOutput, error)
	GetTemplate(context.Context, *cloudformation.GetTemplateInput, ...func(*cloudformation.Options)) (*cloudformation.GetTemplateOutput, error)
}

// STSAPI is the part of the STS client that checks who the caller is.
type STSAPI interface {
	GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

// S3API uploads templates too large to pass inline, and empties buckets
// before destroy deletes them.
type S3API interface {
	PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	ListObjectVersions(context.Context, *s3.ListObjectVersionsInput, ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error)
	DeleteObjects(context.Context, *s3.DeleteObjectsInput, ...func(*s3.Options)) (*s3.DeleteObjectsOutput, error)
}

// ConnectionsAPI reads a CodeConnections (CodeStar connections) connection.
type ConnectionsAPI interface {
	GetConnection(context.Context, *codeconnections.GetConnectionInput, ...func(*codeconnections.Options)) (*codeconnections.GetConnectionOutput, error)
}

// ECRAPI finds images, and deletes them before destroy deletes a
// repository.
type ECRAPI interface {
	DescribeImages(context.Context, *ecr.DescribeImagesInput, ...func(*ecr.Options)) (*ecr.DescribeImagesOutput, error)
	ListImages(context.Context, *ecr.ListImagesInput, ...func(*ecr.Options)) (*ecr.ListImagesOutput, error)
	BatchDeleteImage(context.Context, *ecr.BatchDeleteImageInput, ...func(*ecr.Options)) (*ecr.BatchDeleteImageOutput, error)
}

// SecretsAPI reads a secret's metadata and versions (never its value).
type SecretsAPI interface {
	DescribeSecret(context.Context, *secretsmanager.DescribeSecretInput, ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error)
	ListSecretVersionIds(context.Context, *secretsmanager.ListSecretVersionIdsInput, ...func(*secretsmanager.Options)) (*secretsmanager.ListSecretVersionIdsOutput, error)
}

// LoadBalancersAPI finds a load balancer's DNS name, for the service URL of
// an ecs stack whose outputs do not give it.
type LoadBalancersAPI interface {
	DescribeLoadBalancers(context.Context, *elasticloadbalancingv2.DescribeLoadBalancersInput, ...func(*elasticloadbalancingv2.Options)) (*elasticloadbalancingv2.DescribeLoadBalancersOutput, error)
}

// Clients are the AWS clients of one account and region.
type Clients struct {
	CloudFormation CloudFormationAPI
	STS            STSAPI
	S3             S3API
	Connections    ConnectionsAPI
	ECR            ECRAPI
	Secrets        SecretsAPI
	CodePipeline   CodePipelineAPI  // status.go
	SSM            SSMAPI           // preflight.go
	LoadBalancers  LoadBalancersAPI // status.go
}

// ClientFactory builds the clients of an account and region.
type ClientFactory interface {
	Clients(ctx context.Context, account manifest.Account, region string) (*Clients, error)
}

// AccountError says that apply cannot act in an account. Its message names
// the account and says how to configure access to it.
type AccountError struct {
	Account manifest.Account
	Caller  string // the caller's account id
	Err     error  // the cause, when reaching the account failed
}

func (e *AccountError) Error() string {
	if e.Err != nil {
		how := "its role"
		if e.Account.Profile != "" {
			how = fmt.Sprintf("profile %q", e.Account.Profile)
		} else if e.Account.Role == "" {
			how = "the caller's credentials"
		}
		return fmt.Sprintf("cannot reach account %q (%s) through %s: %v", e.Account.Key, e.Account.ID, how, e.Err)
	}
	return fmt.Sprintf("account %q (%s) is not the caller's account (%s) and system.yaml gives no way to reach it: "+
		"under accounts, write `%s: {id: \"%s\", role: arn:aws:iam::%s:role/OrganizationAccountAccessRole}` (a role apply assumes) "+
		"or `%s: {id: \"%s\", profile: NAME}` (a named profile of ~/.aws/config)",
		e.Account.Key, e.Account.ID, e.Caller, e.Account.Key, e.Account.ID, e.Account.ID, e.Account.Key, e.Account.ID)
}

func (e *AccountError) Unwrap() error { return e.Err }

// AWSOptions configures NewAWS.
type AWSOptions struct {
	// Getenv reads the environment (USER and CI, for the session name;
	// AWS_PROFILE, for the fixes of errors).
	Getenv func(string) string
	// MaxAttempts of each AWS call under the SDK's retryer, which retries
	// connection errors and server errors quickly (throttling is retried by
	// the pacing, patiently); 0 means AWS_MAX_ATTEMPTS when it is set, else
	// 3.
	MaxAttempts int
	// MaxBackoff between the SDK's quick attempts; 0 means one second.
	MaxBackoff time.Duration
	// RequestsPerSecond is the steady rate of calls to one account and
	// region, shared by every stack; 0 means DefaultRequestsPerSecond, a
	// negative value no limit. Burst is how many may go at once; 0 means
	// DefaultBurst.
	RequestsPerSecond float64
	Burst             int
	// Now and Sleep are the clock of the pacing (waits for a token, waits
	// after a throttled call); nil means the real clock.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// DialTimeout bounds connecting to an endpoint; 0 means 5 seconds.
	DialTimeout time.Duration
}

// AWS is the ClientFactory over the AWS SDK for Go v2. It loads the default
// configuration once (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL_<SERVICE>,
// web identity ...), asks STS who the caller is, and reaches every other
// account through its role or profile, caching credentials per account;
// an account is reached only when a stack of it is. Every call to an
// account and region goes through one pacer (pace.go), shared by all the
// stacks of that account and region.
type AWS struct {
	base aws.Config
	opts AWSOptions
	// caller is the caller's account id, under the key "".
	caller flights[string]
	// accounts are the credentials of each account, by account id. Each
	// account is reached once, concurrently with the others.
	accounts flights[aws.CredentialsProvider]

	mu     sync.Mutex
	pacers map[string]*pacer // by account id and region
}

var _ ClientFactory = (*AWS)(nil)

// NewAWS loads the default AWS configuration.
func NewAWS(ctx context.Context, opts AWSOptions) (*AWS, error) {
	opts = opts.withDefaults()
	cfg, err := config.LoadDefaultConfig(ctx, sdkOptions(opts)...)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	return newAWS(cfg, opts), nil
}

// withDefaults returns opts with its zero fields set to their defaults.
func (opts AWSOptions) withDefaults() AWSOptions {
	if opts.Getenv == nil {
		opts.Getenv = func(string) string { return "" }
	}
	if opts.MaxAttempts == 0 {
		opts.MaxAttempts = 3
		if n, err := strconv.Atoi(opts.Getenv("AWS_MAX_ATTEMPTS")); err == nil && n > 0 {
			opts.MaxAttempts = n
		}
	}
	if opts.MaxBackoff == 0 {
		opts.MaxBackoff = time.Second
	}
	if opts.RequestsPerSecond == 0 {
		opts.RequestsPerSecond = DefaultRequestsPerSecond
	}
	if opts.Burst == 0 {
		opts.Burst = DefaultBurst
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Sleep == nil {
		opts.Sleep = sleepContext
	}
	if opts.DialTimeout == 0 {
		opts.DialTimeout = 5 * time.Second
	}
	return opts
}

// sdkOptions configure the SDK: the quick retryer, an HTTP client that
// gives up connecting within opts.DialTimeout, and no SDK log lines (its
// warnings are not for cicdgen's users; errors come back as errors).
func sdkOptions(opts AWSOptions) []func(*config.LoadOptions) error {
	client := awshttp.NewBuildableClient().
		WithDialerOptions(func(d *net.Dialer) { d.Timeout = opts.DialTimeout }).
		WithTransportOptions(func(t *http.Transport) {
			t.TLSHandshakeTimeout = opts.DialTimeout
			t.ResponseHeaderTimeout = 20 * time.Second
		})
	return []func(*config.LoadOptions) error{
		config.WithRetryer(newRetryer(opts)),
		config.WithHTTPClient(client),
		config.WithLogger(logging.Nop{}),
		config.WithClientLogMode(0),
	}
}

// newAWS returns the factory over a loaded configuration; opts has its
// defaults.
func newAWS(cfg aws.Config, opts AWSOptions) *AWS {
	return &AWS{base: cfg, opts: opts.withDefaults(), pacers: map[string]*pacer{}}
}

// newRetryer is the SDK's retryer: a few quick attempts for connection
// errors, timeouts and server errors. Throttling is not its business: the
// pacer retries it patiently, on a clock tests can inject.
func newRetryer(opts AWSOptions) func() aws.Retryer {
	return func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = opts.MaxAttempts
			o.MaxBackoff = opts.MaxBackoff
			o.Backoff = retry.NewExponentialJitterBackoff(opts.MaxBackoff)
			o.Retryables = []retry.IsErrorRetryable{
				retry.NoRetryCanceledError{},
				retry.RetryableError{},
				retry.RetryableConnectionError{},
				retry.RetryableHTTPStatusCode{Codes: retry.DefaultRetryableHTTPStatusCodes},
				retry.RetryableErrorCode{Codes: retry.DefaultRetryableErrorCodes},
			}
			// Many stacks polling at once must not exhaust a shared retry quota.
			o.RateLimiter = ratelimit.None
		})
	}
}

// pacer returns the pacer of account id and region.
func (a *AWS) pacer(id, region string) *pacer {
	a.mu.Lock()
	defer a.mu.Unlock()
	k := id + "/" + region
	p, ok := a.pacers[k]
	if !ok {
		p = newPacer(clock{now: a.opts.Now, sleep: a.opts.Sleep}, a.opts.RequestsPerSecond, a.opts.Burst, uint64(len(a.pacers)+1))
		a.pacers[k] = p
	}
	return p
}

// SessionName is the role session name apply uses: cicdgen-<user>, or
// cicdgen-ci when CI is set.
func SessionName(getenv func(string) string) string {
	user := getenv("USER")
	if getenv("CI") != "" || user == "" {
		user = "ci"
	}
	var b strings.Builder
	for _, r := range user {
		if r < 128 && (r == '_' || r == '=' || r == ',' || r == '.' || r == '@' || r == '-' ||
			(r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')) {
			b.WriteRune(r)
		}
	}
	name := "cicdgen-" + b.String()
	if len(name) > 64 {
		name = name[:64]
	}
	return name
}

// Caller returns the caller's account id (sts GetCallerIdentity, once),
// asking STS in region when the configuration names none. An interrupted
// call is not remembered: the next one asks again.
func (a *AWS) Caller(ctx context.Context, region string) (string, error) {
	return a.caller.do(ctx, "", func() (string, bool, error) {
		out, err := a.sts(a.base.Credentials, region, manifest.Account{}).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			return "", ctx.Err() == nil, fmt.Errorf("find the caller's AWS account (sts GetCallerIdentity): %w", err)
		}
		return aws.ToString(out.Account), true, nil
	})
}

// callsOf returns how calls are made in acct and region: paced, and their
// errors explained.
func (a *AWS) callsOf(acct manifest.Account, region string) *calls {
	return &calls{p: a.pacer(acct.ID, region), acct: acct, region: region, getenv: a.opts.Getenv}
}

// flights runs one call per key at a time and remembers the results its
// calls say to keep: a slow call for one key (assuming a role) holds up
// only the callers asking for that key. The zero value is ready to use.
type flights[T any] struct {
	mu sync.Mutex // guards m only, never held during a call
	m  map[string]*flight[T]
}

// flight is one call of flights: done closes when val and err are set.
type flight[T any] struct {
	done  chan struct{}
	val   T
	err   error
	again bool // the result was not kept: waiters call again
}

// do returns the kept result for key, or waits for the call in progress,
// or calls fn. fn reports whether its result is to be kept (an interrupted
// call is not). Waiting stops when ctx is done.
func (g *flights[T]) do(ctx context.Context, key string, fn func() (T, bool, error)) (T, error) {
	for {
		g.mu.Lock()
		if g.m == nil {
			g.m = map[string]*flight[T]{}
		}
		f, ok := g.m[key]
		if !ok {
			f = &flight[T]{done: make(chan struct{})}
			g.m[key] = f
			g.mu.Unlock()
			val, keep, err := fn()
			f.val, f.err = val, err
			if !keep {
				f.again = true
				g.mu.Lock()
				delete(g.m, key)
				g.mu.Unlock()
			}
			close(f.done)
			return val, err
		}
		g.mu.Unlock()
		select {
		case <-f.done:
			if !f.again {
				return f.val, f.err
			}
		case <-ctx.Done():
			var zero T
			return zero, ctx.Err()
		}
	}
}

// sts returns an STS client with credentials p, in the configured region,
// else in region (the region of the stack at hand): STS needs one, and
// AWS_REGION may be unset when system.yaml gives every region. Its calls
// are paced and explained as calls in acct (the zero account: the caller's).
func (a *AWS) sts(p aws.CredentialsProvider, region string, acct manifest.Account) *sts.Client {
	cfg := a.base.Copy()
	cfg.Credentials = p
	if cfg.Region == "" {
		cfg.Region = region
	}
	cfg.APIOptions = append(slices.Clone(cfg.APIOptions), a.callsOf(acct, cfg.Region).attach)
	return sts.NewFromConfig(cfg)
}

// credentials returns the credentials that act in account: the caller's,
// the account's role (assumed once, then cached) or its profile (checked
// once with GetCallerIdentity). When the caller's account cannot be found,
// an account with a role or profile is still reached through it.
func (a *AWS) credentials(ctx context.Context, acct manifest.Account, region string) (aws.CredentialsProvider, error) {
	return a.accounts.do(ctx, acct.ID, func() (aws.CredentialsProvider, bool, error) {
		p, err := a.reach(ctx, acct, region)
		return p, ctx.Err() == nil, err // an interrupted attempt is not kept
	})
}

// reach finds the credentials of account, for credentials, which calls it
// once per account.
func (a *AWS) reach(ctx context.Context, acct manifest.Account, region string) (aws.CredentialsProvider, error) {
	caller, err := a.Caller(ctx, region)
	var unreachable *EndpointError
	if err != nil && (ctx.Err() != nil || acct.Role == "" && acct.Profile == "" || errors.As(err, &unreachable)) {
		return nil, err
	}
	switch {
	case acct.ID == caller:
		return a.base.Credentials, nil
	case acct.Role != "":
		stsClient := a.sts(a.base.Credentials, region, manifest.Account{})
		p := aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsClient, acct.Role, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = SessionName(a.opts.Getenv)
		}))
		// Assume the role now, so that a refusal names the account.
		if _, err := p.Retrieve(ctx); err != nil {
			if ctx.Err() != nil {
				return nil, err
			}
			return p, &AccountError{Account: acct, Caller: caller, Err: err}
		}
		return p, nil
	case acct.Profile != "":
		cfg, err := config.LoadDefaultConfig(ctx, append(sdkOptions(a.opts), config.WithSharedConfigProfile(acct.Profile))...)
		if err != nil {
			return nil, &AccountError{Account: acct, Caller: caller, Err: fmt.Errorf("load profile: %w", err)}
		}
		p := cfg.Credentials
		// Check once that the profile reaches the right account.
		out, err := a.sts(p, region, acct).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return nil, err
			}
			return p, &AccountError{Account: acct, Caller: caller, Err: err}
		case aws.ToString(out.Account) != acct.ID:
			return p, &AccountError{Account: acct, Caller: caller, Err: fmt.Errorf("its credentials belong to account %s", aws.ToString(out.Account))}
		}
		return p, nil
	default:
		return nil, &AccountError{Account: acct, Caller: caller}
	}
}

// Clients returns the clients of account in region.
func (a *AWS) Clients(ctx context.Context, acct manifest.Account, region string) (*Clients, error) {
	p, err := a.credentials(ctx, acct, region)
	if err != nil {
		return nil, err
	}
	cfg := a.base.Copy()
	cfg.Credentials = p
	if region != "" {
		cfg.Region = region
	}
	if cfg.Region == "" {
		return nil, errors.New("no AWS region: set AWS_REGION or a region in the profile")
	}
	pathStyle := a.opts.Getenv("AWS_ENDPOINT_URL_S3") != "" || a.opts.Getenv("AWS_ENDPOINT_URL") != ""
	cfg.APIOptions = append(slices.Clone(cfg.APIOptions), a.callsOf(acct, cfg.Region).attach)
	return &Clients{
		CloudFormation: cloudformation.NewFromConfig(cfg),
		STS:            sts.NewFromConfig(cfg),
		S3: s3.NewFromConfig(cfg, func(o *s3.Options) {
			if pathStyle {
				o.UsePathStyle = true
			}
		}),
		Connections:   codeconnections.NewFromConfig(cfg),
		ECR:           ecr.NewFromConfig(cfg),
		Secrets:       secretsmanager.NewFromConfig(cfg),
		CodePipeline:  codepipeline.NewFromConfig(cfg),
		SSM:           ssm.NewFromConfig(cfg),
		LoadBalancers: elasticloadbalancingv2.NewFromConfig(cfg),
	}, nil
}
