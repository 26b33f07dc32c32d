package deploy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/aws/smithy-go"

	"github.com/cicdgen/cicdgen/manifest"
)

// EndpointError says that an AWS endpoint could not be reached: the
// connection was refused, its name does not resolve, or it did not answer
// in time. Nothing was asked of AWS.
type EndpointError struct {
	Service  string // the service, as the SDK names it ("CloudFormation")
	Endpoint string // scheme and host of the endpoint
	Region   string
	DNS      bool  // the endpoint's name does not resolve
	Err      error // the network error
}

func (e *EndpointError) Error() string {
	what, fix := "cannot be reached", "check the network (proxy, VPN, firewall) and AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE> when they are set"
	if e.DNS {
		what, fix = "does not resolve (DNS)", fmt.Sprintf("check the region name %q and the network's DNS", e.Region)
	}
	return fmt.Sprintf("the %s endpoint %s (region %s) %s: %v; %s", e.Service, orUnknown(e.Endpoint), orUnknown(e.Region), what, e.Err, fix)
}

func (e *EndpointError) Unwrap() error { return e.Err }

// endpointError returns err as an EndpointError when it is a failure to
// reach the endpoint (no AWS answer at all), else nil.
func endpointError(err error, region string) *EndpointError {
	var ee *EndpointError
	if errors.As(err, &ee) {
		return ee
	}
	var ae smithy.APIError
	if errors.As(err, &ae) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return nil // AWS answered, or the caller stopped waiting
	}
	var ue *url.Error
	var oe *net.OpError
	var de *net.DNSError
	var te interface{ Timeout() bool }
	found := errors.As(err, &ue) || errors.As(err, &oe) || errors.As(err, &de) || errors.As(err, &te) && te.Timeout()
	if !found {
		return nil
	}
	out := &EndpointError{Region: region, Err: err, DNS: errors.As(err, &de)}
	var op *smithy.OperationError
	if errors.As(err, &op) {
		out.Service = op.ServiceID
	}
	if ue != nil {
		if u, perr := url.Parse(ue.URL); perr == nil {
			out.Endpoint = u.Scheme + "://" + u.Host
		}
		out.Err = ue.Err
	}
	if out.Service == "" {
		out.Service = "AWS"
	}
	return out
}

// serviceNames are the names of services as the SDK gives them, by the
// prefix of their actions.
var serviceNames = map[string]string{
	"cloudformation": "CloudFormation", "sts": "STS", "s3": "S3", "ecr": "ECR", "secretsmanager": "Secrets Manager",
	"codeconnections": "CodeConnections", "codepipeline": "CodePipeline", "ssm": "SSM",
}

// CallError is an AWS call that failed, with the fix that fits the class of
// its error: permissions, expired credentials, unknown keys.
type CallError struct {
	Err error
	Fix string
}

func (e *CallError) Error() string { return e.Err.Error() + "; " + e.Fix }

func (e *CallError) Unwrap() error { return e.Err }

// identity describes how apply acts in an account, for the fixes of errors:
// through its role, its profile, or the caller's own credentials.
func identity(acct manifest.Account, getenv func(string) string) string {
	switch {
	case acct.Role != "":
		return fmt.Sprintf("role %s (accounts.%s.role in system.yaml)", acct.Role, acct.Key)
	case acct.Profile != "":
		return fmt.Sprintf("profile %q (accounts.%s.profile in system.yaml)", acct.Profile, acct.Key)
	case getenv("AWS_PROFILE") != "":
		return fmt.Sprintf("the caller's credentials (profile %q from AWS_PROFILE)", getenv("AWS_PROFILE"))
	}
	return "the caller's credentials (the AWS SDK's default chain)"
}

// loginProfile is the profile to log in again with for account: its own,
// else AWS_PROFILE's; "" when neither is set.
func loginProfile(acct manifest.Account, getenv func(string) string) string {
	if acct.Profile != "" {
		return acct.Profile
	}
	return getenv("AWS_PROFILE")
}

// explain returns err with the fix that fits its class, for a call made in
// acct and region: an EndpointError when the endpoint cannot be reached, a
// CallError for a refusal, expired or unknown credentials; else err as it is.
//
// action names the call ("cloudformation:CreateChangeSet") when err does
// not (an error from inside the SDK's middleware); "" lets err say it.
func explain(err error, acct manifest.Account, region string, getenv func(string) string, action string) error {
	if err == nil {
		return nil
	}
	var already *CallError
	if errors.As(err, &already) {
		return err
	}
	if ee := endpointError(err, region); ee != nil {
		if service, _, ok := strings.Cut(action, ":"); ok && ee.Service == "AWS" && service != "" {
			ee.Service = serviceNames[service]
			if ee.Service == "" {
				ee.Service = service
			}
		}
		return ee
	}
	if fix := fixFor(err, acct, getenv, action); fix != "" {
		return &CallError{Err: err, Fix: fix}
	}
	return err
}

// fixFor is the fix of err, or "".
func fixFor(err error, acct manifest.Account, getenv func(string) string, action string) string {
	var op *smithy.OperationError
	switch {
	case errors.As(err, &op):
		action = strings.ToLower(strings.ReplaceAll(op.ServiceID, " ", "")) + ":" + op.OperationName
	case action == "" || strings.HasSuffix(action, ":"):
		action = "the call"
	}
	where := "the caller's account"
	if acct.ID != "" {
		where = fmt.Sprintf("account %s (%s)", acct.Key, acct.ID)
	}
	switch refusalOf(err) {
	case expiredCredentials:
		if p := loginProfile(acct, getenv); p != "" {
			return fmt.Sprintf("the credentials have expired: log in again (`aws sso login --profile %s`) or refresh them, then run again", p)
		}
		return "the credentials have expired: log in again (`aws sso login`, or refresh the keys in the environment), then run again"
	case deniedPermission:
		if action == "sts:AssumeRole" {
			return fmt.Sprintf("%s may not assume the role: the role's trust policy must name the caller (its account or role), and the caller needs sts:AssumeRole on the role", identity(acct, getenv))
		}
		return fmt.Sprintf("%s is not allowed %s in %s: allow it in that identity's policy, or give the account a role or profile that has it", identity(acct, getenv), action, where)
	case rejectedKey:
		return fmt.Sprintf("AWS does not accept the access key of %s for %s: check the keys (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN) or the profile", identity(acct, getenv), where)
	}
	return ""
}

// refusal is a kind of refusal of the caller's credentials or permissions:
// no retry changes it.
type refusal int

const (
	notRefused         refusal = iota
	expiredCredentials         // the credentials have expired
	deniedPermission           // the identity may not make the call
	rejectedKey                // AWS does not accept the access key
)

// refusalOf classifies err, the one list of the errors that explain (fixFor)
// and that destroy does not retry (isRefused).
func refusalOf(err error) refusal {
	if err == nil {
		return notRefused
	}
	code := ""
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
	}
	msg := strings.ToLower(err.Error())
	switch {
	case code == "ExpiredToken" || code == "ExpiredTokenException" || code == "RequestExpired" || code == "TokenRefreshRequired" ||
		strings.Contains(msg, "token has expired") || strings.Contains(msg, "token is expired") || strings.Contains(msg, "sso session has expired"):
		return expiredCredentials
	case code == "AccessDenied" || code == "AccessDeniedException" || code == "UnauthorizedOperation" || code == "AuthorizationError" ||
		strings.Contains(msg, "not authorized to perform"):
		return deniedPermission
	case code == "InvalidClientTokenId" || code == "UnrecognizedClientException" || code == "SignatureDoesNotMatch" || code == "InvalidAccessKeyId":
		return rejectedKey
	}
	return notRefused
}

// isRefused reports whether err is a refusal of the caller's credentials or
// permissions, which no retry changes.
func isRefused(err error) bool { return refusalOf(err) != notRefused }
