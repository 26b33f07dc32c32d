package deploy

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
)

// deployed is the harness with the seed system applied.
func deployed(t *testing.T) *harness {
	t.Helper()
	return deployedOn(t, nil)
}

// deployedOn is deployed on c, unless c is nil: the fake, the factory's
// pacing and the apply all run on it (see newHarnessOn).
func deployedOn(t *testing.T, c *virtualClock) *harness {
	t.Helper()
	h := newHarnessOn(t, c)
	opts := c.on(fastOptions(newRecorder()))
	res := h.apply(t, context.Background(), opts)
	if res.Failed() {
		t.Fatalf("apply failed: %+v", res.Stacks)
	}
	return h
}

func destroyOptions(includeProtected bool, envs ...string) DestroyOptions {
	o := DestroyOptions{Options: fastOptions(newRecorder()), IncludeProtected: includeProtected}
	o.Environments = envs
	return o
}

func (h *harness) destroy(t *testing.T, opts DestroyOptions) (*DestroyPlan, *DestroyResult) {
	t.Helper()
	plan, err := PlanDestroy(context.Background(), h.bundle, h.factory, opts)
	if err != nil {
		t.Fatalf("PlanDestroy: %v", err)
	}
	return plan, Destroy(context.Background(), h.bundle, h.factory, plan, opts)
}

func destroyedOf(t *testing.T, r *DestroyResult, stack string) DestroyedStack {
	t.Helper()
	for _, s := range r.Stacks {
		if s.Stack == stack {
			return s
		}
	}
	t.Fatalf("no result for %s in %+v", stack, r.Stacks)
	return DestroyedStack{}
}

// liveStacks lists the stacks of the bundle that still exist in the fake.
func (h *harness) liveStacks() []string {
	var out []string
	for _, s := range h.bundle.Manifest.Stacks {
		if _, ok := h.fake.Stack(s.Account.ID, s.Region, s.Name); ok {
			out = append(out, s.Name)
		}
	}
	return out
}

func TestDestroyDeletesEverythingAndASecondRunDoesNothing(t *testing.T) {
	h := deployed(t)
	ctx := context.Background()
	// A versioned bucket with versions and a delete marker.
	bucket, ok := h.fake.PhysicalID(toolingID, "us-east-1", "shop-pipeline-x", "ArtifactBucket")
	if !ok {
		t.Fatal("no ArtifactBucket")
	}
	h.fake.PutObjectVersions(bucket, "builds/a.zip", 3, true)
	h.fake.PutObjectVersions(bucket, "builds/b.zip", 2, false)
	// A stack left DELETE_FAILED by an earlier attempt: its bucket holds versions.
	west, _ := h.fake.PhysicalID(toolingID, "us-west-2", "shop-artifacts-us-west-2-x", "ArtifactBucket")
	h.fake.PutObjectVersions(west, "x", 1, true)
	cl, err := h.factory.Clients(ctx, h.bundle.Stack("shop-artifacts-us-west-2-x").Account, "us-west-2")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.CloudFormation.DeleteStack(ctx, &cloudformation.DeleteStackInput{StackName: aws.String("shop-artifacts-us-west-2-x")}); err != nil {
		t.Fatal(err)
	}
	if info, _ := h.fake.Stack(toolingID, "us-west-2", "shop-artifacts-us-west-2-x"); info.Status != "DELETE_FAILED" {
		t.Fatalf("artifacts stack is %s, want DELETE_FAILED", info.Status)
	}
	// A resource AWS cannot delete at all.
	h.fake.FailDelete("shop-ecs-dev-x", "Cluster", "The Cluster cannot be deleted while Container Instances are active or draining.")

	plan, res := h.destroy(t, destroyOptions(true))
	if len(plan.Keep) != 0 {
		t.Errorf("kept %+v with --include-protected", plan.Keep)
	}
	if res.Failed() || res.Interrupted {
		t.Fatalf("destroy failed: %+v", res.Stacks)
	}
	if live := h.liveStacks(); len(live) != 0 {
		t.Errorf("stacks left: %v", live)
	}
	if n := h.fake.ObjectVersions(bucket); n != 0 {
		t.Errorf("%s still holds %d versions", bucket, n)
	}
	pipe := destroyedOf(t, res, "shop-pipeline-x")
	if pipe.Outcome != Deleted || !slices.Contains(pipe.Emptied, "s3://"+bucket+" (6 object versions)") {
		t.Errorf("pipeline: %+v", pipe)
	}
	if o := destroyedOf(t, res, "shop-artifacts-us-west-2-x"); o.Outcome != Deleted || len(o.LeftBehind) != 0 {
		t.Errorf("DELETE_FAILED artifacts stack: %+v", o)
	}
	dev := destroyedOf(t, res, "shop-ecs-dev-x")
	if dev.Outcome != Deleted || len(dev.LeftBehind) != 1 || dev.LeftBehind[0].LogicalID != "Cluster" || !strings.Contains(dev.LeftBehind[0].Reason, "Container Instances") {
		t.Errorf("ecs-dev: %+v", dev)
	}
	if got := h.fake.Orphans("shop-ecs-dev-x"); !slices.Equal(got, []string{"Cluster"}) {
		t.Errorf("orphans %v", got)
	}
	// Dependents went first.
	deletes := map[string]time.Time{}
	for _, c := range h.fake.Calls() {
		if c.Action == "DeleteStack" {
			deletes[c.Stack] = c.Time
		}
	}
	if !deletes["shop-monitoring-x"].Before(deletes["shop-pipeline-x"]) || !deletes["shop-ecs-prod-x"].Before(deletes["shop-roles-prod-x"]) {
		t.Errorf("deletion order: %v", deletes)
	}

	before := h.fake.CallCount("DeleteStack")
	_, again := h.destroy(t, destroyOptions(true))
	for _, s := range again.Stacks {
		if s.Outcome != Absent {
			t.Errorf("second run: %s %s", s.Stack, s.Outcome)
		}
	}
	if n := h.fake.CallCount("DeleteStack"); n != before {
		t.Errorf("second run called DeleteStack %d times", n-before)
	}
}

func TestDestroyKeepsProtectedEnvironmentsAndWhatTheyDependOn(t *testing.T) {
	cases := map[string]struct {
		envs               []string
		include            bool
		wantKept, wantGone []string
	}{
		"the whole system keeps prod, the pipeline and the artifacts prod uses": {
			wantKept: []string{"shop-ecs-prod-x", "shop-secrets-prod-x", "shop-roles-prod-x", "shop-pipeline-x", "shop-artifacts-us-west-2-x"},
			wantGone: []string{"shop-monitoring-x", "shop-ecs-dev-x", "shop-roles-dev-x", "shop-secrets-staging-x"},
		},
		"--env dev deletes only dev's stacks": {
			envs:     []string{"dev"},
			wantKept: []string{"shop-pipeline-x", "shop-ecs-staging-x", "shop-ecs-prod-x"},
			wantGone: []string{"shop-ecs-dev-x", "shop-secrets-dev-x", "shop-roles-dev-x"},
		},
		"--env prod without --include-protected deletes nothing": {
			envs:     []string{"prod"},
			wantKept: []string{"shop-ecs-prod-x", "shop-roles-prod-x", "shop-secrets-prod-x", "shop-pipeline-x"},
		},
		"--env prod --include-protected deletes prod": {
			envs: []string{"prod"}, include: true,
			wantKept: []string{"shop-pipeline-x", "shop-ecs-dev-x"},
			wantGone: []string{"shop-ecs-prod-x", "shop-roles-prod-x", "shop-secrets-prod-x"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			h := deployed(t)
			_, res := h.destroy(t, destroyOptions(tc.include, tc.envs...))
			if res.Failed() {
				t.Fatalf("destroy failed: %+v", res.Stacks)
			}
			live := h.liveStacks()
			for _, k := range tc.wantKept {
				if !slices.Contains(live, k) {
					t.Errorf("%s was deleted", k)
				}
			}
			for _, g := range tc.wantGone {
				if slices.Contains(live, g) {
					t.Errorf("%s is still there", g)
				}
			}
			if !tc.include {
				if info, ok := h.fake.Stack(prodID, "us-west-2", "shop-ecs-prod-x"); !ok || !info.TerminationProtection {
					t.Errorf("prod lost its termination protection: %+v", info)
				}
			}
			for _, k := range res.Kept {
				if k.Reason == "" {
					t.Errorf("%s kept without a reason", k.Stack)
				}
			}
		})
	}
}

func TestDestroyWaitsForADeletionInProgress(t *testing.T) {
	// One virtual clock for the fake, the pacing, apply and destroy: it
	// moves on only when they wait. Planning does not wait, so the
	// deletion is still in progress then however slow the machine; it
	// ends after 300 ms of destroy's waits.
	const delay = 300 * time.Millisecond
	c := newVirtualClock()
	h := deployedOn(t, c)
	ctx := context.Background()
	h.fake.SetDelay("shop-monitoring-x", delay)
	cl, err := h.factory.Clients(ctx, h.bundle.Stack("shop-monitoring-x").Account, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.CloudFormation.DeleteStack(ctx, &cloudformation.DeleteStackInput{StackName: aws.String("shop-monitoring-x")}); err != nil {
		t.Fatal(err)
	}
	deleting := c.Now()
	opts := destroyOptions(false)
	opts.Options = c.on(opts.Options)
	plan, err := PlanDestroy(ctx, h.bundle, h.factory, opts)
	if err != nil {
		t.Fatalf("PlanDestroy: %v", err)
	}
	// A destroy that looks again and again without waiting would never
	// see the deletion end: the clock moves only when it waits.
	res := withinHangGuard(t, "destroy should end once the deletion in progress does", func() *DestroyResult {
		return Destroy(ctx, h.bundle, h.factory, plan, opts)
	})
	if o := destroyedOf(t, res, "shop-monitoring-x"); o.Outcome != Deleted {
		t.Errorf("monitoring: %+v", o)
	}
	var p PlannedDeletion
	for _, d := range plan.Delete {
		if d.Stack == "shop-monitoring-x" {
			p = d
		}
	}
	if p.Status != "DELETE_IN_PROGRESS" {
		t.Errorf("planned status %q", p.Status)
	}
	// Waited for: the deletion has ended, after its time.
	m := h.bundle.Stack("shop-monitoring-x")
	if info, ok := h.fake.Stack(m.Account.ID, m.Region, m.Name); ok {
		t.Errorf("monitoring is still there after destroy: %s", info.Status)
	}
	if waited := c.Now().Sub(deleting); waited < delay {
		t.Errorf("destroy ended %v after the deletion began, before it could end (%v)", waited, delay)
	}
}

func TestDestroyListsWhatItsTemplatesRetain(t *testing.T) {
	got := retainedByPolicy([]byte(`{"Resources": {
		"Key": {"Type": "AWS::KMS::Key", "DeletionPolicy": "RetainExceptOnCreate"},
		"Logs": {"Type": "AWS::Logs::LogGroup", "DeletionPolicy": "Retain"},
		"Topic": {"Type": "AWS::SNS::Topic", "DeletionPolicy": "Delete"},
		"Queue": {"Type": "AWS::SQS::Queue"}}}`))
	want := []RetainedResource{
		{LogicalID: "Key", Type: "AWS::KMS::Key", Reason: "DeletionPolicy RetainExceptOnCreate"},
		{LogicalID: "Logs", Type: "AWS::Logs::LogGroup", Reason: "DeletionPolicy Retain"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}
