package deploy

import (
	"errors"
	"fmt"
	"testing"

	"github.com/aws/smithy-go"
)

// A failed stack keeps the AWS error behind it: errors.As finds the API
// error (its code) while the message reads as before.
func TestAFailedStackWrapsItsCause(t *testing.T) {
	cause := &smithy.GenericAPIError{Code: "ValidationError", Message: "Template format error"}
	err := failf("create change set of %s: %w", "shop-ecs-dev-x", cause)
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "ValidationError" {
		t.Errorf("errors.As(%v) found no API error with code ValidationError", err)
	}
	var se *stackError
	if !errors.As(err, &se) || se.outcome != Failed {
		t.Errorf("%v is not a failed stack", err)
	}
	if want := "create change set of shop-ecs-dev-x: api error ValidationError: Template format error"; err.Error() != want {
		t.Errorf("message %q, want %q", err.Error(), want)
	}
}

// Destroy gives up at once on every error fixFor explains as a matter of
// credentials or permissions: one list for both.
func TestRefusalsAreNotRetried(t *testing.T) {
	for _, code := range []string{"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError",
		"ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired",
		"InvalidClientTokenId", "UnrecognizedClientException", "SignatureDoesNotMatch", "InvalidAccessKeyId"} {
		err := fmt.Errorf("delete stack x: %w", &smithy.GenericAPIError{Code: code, Message: "no"})
		if !isRefused(err) {
			t.Errorf("%s is retried", code)
		}
	}
	denied := &smithy.GenericAPIError{Code: "ValidationError", Message: "User: arn:aws:iam::1:user/u is not authorized to perform: cloudformation:DeleteStack"}
	if !isRefused(denied) {
		t.Errorf("%v is retried", denied)
	}
	for _, err := range []error{nil, errors.New("connection reset"), &smithy.GenericAPIError{Code: "ValidationError", Message: "Export in use"}} {
		if isRefused(err) {
			t.Errorf("%v is not retried", err)
		}
	}
}
