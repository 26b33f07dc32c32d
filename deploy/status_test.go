package deploy

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cicdgen/cicdgen/internal/fakeaws"
)

func TestStatusOfTheSeedSystem(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	// The load balancer's DNS name, as the compiler's ecs stacks give it.
	for _, n := range []string{"shop-ecs-dev-x", "shop-ecs-prod-x"} {
		h.bundle.Templates[n] = bytes.Replace(h.bundle.Templates[n], []byte(`"Resources"`), []byte(`"Outputs": {"LoadBalancerDNSName": {"Value": "shop-lb.elb.amazonaws.com"}}, "Resources"`), 1)
	}
	// Half deployed: dev only.
	opts := fastOptions(nil)
	opts.Stacks = []string{"pipeline", "roles-dev", "secrets-dev", "ecs-dev"}
	if res := h.apply(t, ctx, opts); res.Failed() {
		t.Fatalf("apply dev: %+v", res.Stacks)
	}
	// A template changed since: stale.
	h.bundle.Templates["shop-roles-dev-x"] = bytes.Replace(h.bundle.Templates["shop-roles-dev-x"], []byte(`"Resources"`), []byte(`"Description": "changed", "Resources"`), 1)
	when := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	h.fake.SetPipelineState(toolingID, "us-east-1", "shop-pipeline-x", []fakeaws.StageState{
		{Name: "Source", Status: "Succeeded", ExecutionID: "e1", Updated: when},
		{Name: "Build", Status: "Failed", ExecutionID: "e1", Updated: when.Add(time.Minute)},
		{Name: "Deploy-dev"},
	})

	st, err := ReadStatus(ctx, h.bundle, h.factory, StatusOptions{})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]StackStatus{}
	for _, s := range st.Stacks {
		byName[s.Stack] = s
	}
	if len(st.Stacks) != len(h.bundle.Manifest.Stacks) {
		t.Errorf("%d stacks, want %d", len(st.Stacks), len(h.bundle.Manifest.Stacks))
	}
	cases := map[string]struct{ state, template string }{
		"shop-pipeline-x":  {"CREATE_COMPLETE", TemplateCurrent},
		"shop-ecs-dev-x":   {"CREATE_COMPLETE", TemplateCurrent},
		"shop-roles-dev-x": {"CREATE_COMPLETE", TemplateStale},
		"shop-ecs-prod-x":  {NotDeployed, TemplateMissing},
	}
	for name, want := range cases {
		got := byName[name]
		if got.State != want.state || got.Template != want.template || got.Error != "" {
			t.Errorf("%s: %+v, want %s and %s", name, got, want.state, want.template)
		}
		if want.state != NotDeployed && got.LastUpdated == nil {
			t.Errorf("%s: no last update", name)
		}
	}
	if len(st.Environments) != 3 || st.Environments[0].Name != "dev" || st.Environments[0].ServiceURL != "http://shop-lb.elb.amazonaws.com" || st.Environments[2].ServiceURL != "" {
		t.Errorf("environments: %+v", st.Environments)
	}
	p := st.Pipeline
	if p == nil || p.Name != "shop-pipeline-x" || p.Error != "" || len(p.Stages) != 3 {
		t.Fatalf("pipeline: %+v", p)
	}
	if p.Stages[1].Status != "Failed" || p.Stages[1].LastChange == nil || !p.Stages[1].LastChange.Equal(when.Add(time.Minute)) || p.Stages[2].Status != "" {
		t.Errorf("stages: %+v", p.Stages)
	}
	if StatusFailed(st) {
		t.Error("a healthy half-deployed system reads as failed")
	}

	var buf strings.Builder
	if err := WriteStatus(&buf, st); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"shop-roles-dev-x", "stale", "NOT_DEPLOYED", "12 stacks: 1 stale, 8 not deployed", "Pipeline shop-pipeline-x: https://us-east-1.console.aws.amazon.com/codesuite/codepipeline/pipelines/shop-pipeline-x/view?region=us-east-1", "Failed     2026-12-03T08:01:00Z"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("no %q in\n%s", want, buf.String())
		}
	}
}

func TestDestroyEmptiesARepositoryCloudFormationWouldNotEmpty(t *testing.T) {
	h := newHarness(t)
	editTemplate(t, h.bundle, "shop-pipeline-x", func(resources map[string]any) {
		resources["Images"] = map[string]any{"Type": "AWS::ECR::Repository", "DeletionPolicy": "Delete", "Properties": map[string]any{}}
	})
	if res := h.apply(t, context.Background(), fastOptions(nil)); res.Failed() {
		t.Fatalf("apply: %+v", res.Stacks)
	}
	repo, ok := h.fake.PhysicalID(toolingID, "us-east-1", "shop-pipeline-x", "Images")
	if !ok {
		t.Fatal("no repository")
	}
	h.fake.PutRepository(toolingID, "us-east-1", repo, "latest", "v1", "v2")
	_, res := h.destroy(t, destroyOptions(true))
	if res.Failed() {
		t.Fatalf("destroy: %+v", res.Stacks)
	}
	if o := destroyedOf(t, res, "shop-pipeline-x"); o.Outcome != Deleted || len(o.Emptied) != 1 || o.Emptied[0] != "ecr "+repo+" (3 images)" {
		t.Errorf("pipeline: %+v", o)
	}
}
