package fakeaws_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/codepipeline"
	cptypes "github.com/aws/aws-sdk-go-v2/service/codepipeline/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"

	"github.com/cicdgen/cicdgen/internal/fakeaws"
)

func TestObjectVersionsArePagedAndDeleted(t *testing.T) {
	fake, cfg := clients(t)
	ctx := context.Background()
	api := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	fake.PutObjectVersions("b", "a", 3, true)
	fake.PutObjectVersions("b", "c", 1, false)
	var ids []s3types.ObjectIdentifier
	in := &s3.ListObjectVersionsInput{Bucket: aws.String("b")}
	for pages := 0; ; pages++ {
		out, err := api.ListObjectVersions(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range out.Versions {
			ids = append(ids, s3types.ObjectIdentifier{Key: v.Key, VersionId: v.VersionId})
		}
		for _, m := range out.DeleteMarkers {
			ids = append(ids, s3types.ObjectIdentifier{Key: m.Key, VersionId: m.VersionId})
		}
		if !aws.ToBool(out.IsTruncated) {
			if pages == 0 {
				t.Error("five entries on one page: no paging to test")
			}
			break
		}
		in.KeyMarker, in.VersionIdMarker = out.NextKeyMarker, out.NextVersionIdMarker
	}
	if len(ids) != 5 {
		t.Fatalf("listed %d entries, want 5", len(ids))
	}
	if _, err := api.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String("b"), Delete: &s3types.Delete{Objects: ids}}); err != nil {
		t.Fatal(err)
	}
	if n := fake.ObjectVersions("b"); n != 0 {
		t.Errorf("%d versions left", n)
	}
	_, err := api.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("nope")})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "NoSuchBucket" {
		t.Errorf("an unknown bucket: %v, want NoSuchBucket", err)
	}
}

func TestParametersAndPipelineState(t *testing.T) {
	fake, cfg := clients(t)
	ctx := context.Background()
	params := ssm.NewFromConfig(cfg)
	_, err := params.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/shop/dev/x/roles-version")})
	var nf *ssmtypes.ParameterNotFound
	if !errors.As(err, &nf) {
		t.Errorf("a missing parameter: %v", err)
	}
	fake.PutParameter(caller, "eu-west-1", "/shop/dev/x/roles-version", "2")
	out, err := params.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/shop/dev/x/roles-version")})
	if err != nil || aws.ToString(out.Parameter.Value) != "2" {
		t.Errorf("GetParameter: %v %+v", err, out)
	}

	cp := codepipeline.NewFromConfig(cfg)
	fake.SetPipelineState(caller, "eu-west-1", "shop-pipeline-x", []fakeaws.StageState{{Name: "Source", Status: "Succeeded", ExecutionID: "e1"}, {Name: "Build"}})
	state, err := cp.GetPipelineState(ctx, &codepipeline.GetPipelineStateInput{Name: aws.String("shop-pipeline-x")})
	if err != nil || len(state.StageStates) != 2 || state.StageStates[0].LatestExecution.Status != cptypes.StageExecutionStatusSucceeded || state.StageStates[1].LatestExecution != nil {
		t.Errorf("GetPipelineState: %v %+v", err, state)
	}
	if _, err := cp.GetPipelineState(ctx, &codepipeline.GetPipelineStateInput{Name: aws.String("other")}); err == nil {
		t.Error("an unknown pipeline has a state")
	}
}

func TestForcedReplacementRequiresRecreation(t *testing.T) {
	fake, cfg := clients(t)
	ctx := context.Background()
	cfn := cloudformation.NewFromConfig(cfg)
	apply := func(name, priority string) *cloudformation.DescribeChangeSetOutput {
		t.Helper()
		typ := cfntypes.ChangeSetTypeUpdate
		if name == "c1" {
			typ = cfntypes.ChangeSetTypeCreate
		}
		body := `{"Resources": {"R": {"Type": "AWS::ElasticLoadBalancingV2::ListenerRule", "Properties": {"Priority": ` + priority + `}}}}`
		cs, err := cfn.CreateChangeSet(ctx, &cloudformation.CreateChangeSetInput{StackName: aws.String("s"), ChangeSetName: aws.String(name),
			ChangeSetType: typ, TemplateBody: aws.String(body)})
		if err != nil {
			t.Fatal(err)
		}
		desc, err := cfn.DescribeChangeSet(ctx, &cloudformation.DescribeChangeSetInput{ChangeSetName: cs.Id})
		if err != nil {
			t.Fatal(err)
		}
		return desc
	}
	if _, err := cfn.ExecuteChangeSet(ctx, &cloudformation.ExecuteChangeSetInput{ChangeSetName: apply("c1", "1").ChangeSetId}); err != nil {
		t.Fatal(err)
	}
	fake.ForceReplacement("s", "R")
	desc := apply("c2", "2")
	if len(desc.Changes) != 1 || len(desc.Changes[0].ResourceChange.Details) != 1 {
		t.Fatalf("changes: %+v", desc.Changes)
	}
	rc := desc.Changes[0].ResourceChange
	if rc.Replacement != cfntypes.ReplacementTrue || rc.Details[0].Target.RequiresRecreation != cfntypes.RequiresRecreationAlways {
		t.Errorf("a forced replacement: Replacement %s, Priority's RequiresRecreation %s; want True and Always", rc.Replacement, rc.Details[0].Target.RequiresRecreation)
	}
}
