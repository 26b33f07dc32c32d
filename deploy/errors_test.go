package deploy

import (
	"errors"
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
