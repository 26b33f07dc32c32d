package deploy

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
)

// A protected environment whose first create failed is created again by
// apply --yes: termination protection does not stop the delete, and the
// resources the failed create made are gone with its rollback when their
// DeletionPolicy is RetainExceptOnCreate. With a plain Retain they would
// stay behind and the new create would collide with them.
func TestApplyRecreatesAProtectedStackAfterAFailedFirstCreate(t *testing.T) {
	cases := map[string]struct {
		policy      string
		wantCreated bool
	}{
		"RetainExceptOnCreate leaves nothing behind": {policy: "RetainExceptOnCreate", wantCreated: true},
		"a plain Retain collides with what it kept":  {policy: "Retain"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t)
			const stack = "shop-ecs-prod-x"
			if !h.bundle.Stack(stack).TerminationProtection {
				t.Fatal("the seed's prod is not protected")
			}
			editTemplate(t, h.bundle, stack, func(resources map[string]any) {
				logs, ok := resources["LogGroup"].(map[string]any)
				if !ok {
					t.Fatal("the template has no LogGroup to protect")
				}
				logs["DeletionPolicy"], logs["UpdateReplacePolicy"] = tc.policy, "Retain"
			})
			ctx := context.Background()
			h.fake.FailResource(stack, "Service", "Resource handler returned message: \"the service could not start\"")
			if res := h.apply(t, ctx, fastOptions(nil)); resultOf(t, res, stack).Outcome != Failed {
				t.Fatalf("first create: %+v", resultOf(t, res, stack))
			}
			if info, _ := h.fake.Stack(prodID, "us-west-2", stack); info.Status != "ROLLBACK_COMPLETE" {
				t.Fatalf("after the failed create: %s", info.Status)
			}
			// Protected meanwhile (an earlier apply, the console).
			cl, err := h.factory.Clients(ctx, h.bundle.Stack(stack).Account, "us-west-2")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := cl.CloudFormation.UpdateTerminationProtection(ctx, &cloudformation.UpdateTerminationProtectionInput{
				StackName: aws.String(stack), EnableTerminationProtection: aws.Bool(true),
			}); err != nil {
				t.Fatal(err)
			}

			h.fake.ClearFailures()
			opts := fastOptions(nil)
			opts.Yes = true
			res := h.apply(t, ctx, opts)
			got := resultOf(t, res, stack)
			info, _ := h.fake.Stack(prodID, "us-west-2", stack)
			if !tc.wantCreated {
				if got.Outcome != Failed || !strings.Contains(got.Error, "already exists") {
					t.Errorf("recreate with a plain Retain: %+v, want a collision", got)
				}
				return
			}
			if got.Outcome != Created || !strings.Contains(got.Note, "recreated after ROLLBACK_COMPLETE") {
				t.Fatalf("recreate: %+v", got)
			}
			if info.Status != "CREATE_COMPLETE" || !info.TerminationProtection {
				t.Errorf("recreated stack: %s, termination protection %v", info.Status, info.TerminationProtection)
			}
		})
	}
}

// editTemplate changes the resources of the template of stack in b.
func editTemplate(t *testing.T, b *Bundle, stack string, edit func(resources map[string]any)) {
	t.Helper()
	var tmpl map[string]any
	if err := json.Unmarshal(b.Templates[stack], &tmpl); err != nil {
		t.Fatal(err)
	}
	resources, _ := tmpl["Resources"].(map[string]any)
	edit(resources)
	body, err := json.Marshal(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	b.Templates[stack] = body
}
