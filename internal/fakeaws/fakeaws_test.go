package fakeaws_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/cicdgen/cicdgen/internal/fakeaws"
)

const caller = "210987654321"

func clients(t *testing.T) (*fakeaws.Server, aws.Config) {
	t.Helper()
	fake := fakeaws.Start(t)
	fake.Setenv(t, caller, "eu-west-1", nil)
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return fake, cfg
}

func TestQueryProtocolErrors(t *testing.T) {
	_, cfg := clients(t)
	cfn := cloudformation.NewFromConfig(cfg)
	cases := map[string]struct {
		call     func() error
		code     string
		contains string
	}{
		"a missing stack is a ValidationError that says it does not exist": {
			call: func() error {
				_, err := cfn.DescribeStacks(context.Background(), &cloudformation.DescribeStacksInput{StackName: aws.String("nope")})
				return err
			},
			code: "ValidationError", contains: "Stack with id nope does not exist",
		},
		"a named IAM role needs CAPABILITY_NAMED_IAM": {
			call: func() error {
				_, err := cfn.CreateChangeSet(context.Background(), &cloudformation.CreateChangeSetInput{
					StackName: aws.String("s"), ChangeSetName: aws.String("c1"), ChangeSetType: cfntypes.ChangeSetTypeCreate,
					TemplateBody: aws.String(`{"Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "x"}}}}`),
					Capabilities: []cfntypes.Capability{cfntypes.CapabilityCapabilityIam},
				})
				return err
			},
			code: "InsufficientCapabilitiesException", contains: "CAPABILITY_NAMED_IAM",
		},
		"a parameter without a value is refused": {
			call: func() error {
				_, err := cfn.CreateChangeSet(context.Background(), &cloudformation.CreateChangeSetInput{
					StackName: aws.String("s"), ChangeSetName: aws.String("c1"), ChangeSetType: cfntypes.ChangeSetTypeCreate,
					TemplateBody: aws.String(`{"Parameters": {"P": {"Type": "String"}}, "Resources": {"T": {"Type": "AWS::SNS::Topic"}}}`),
				})
				return err
			},
			code: "ValidationError", contains: "Parameters: [P] must have values",
		},
		"an update of a stack that does not exist is refused": {
			call: func() error {
				_, err := cfn.CreateChangeSet(context.Background(), &cloudformation.CreateChangeSetInput{
					StackName: aws.String("s"), ChangeSetName: aws.String("c1"),
					TemplateBody: aws.String(`{"Resources": {"T": {"Type": "AWS::SNS::Topic"}}}`),
				})
				return err
			},
			code: "ValidationError", contains: "does not exist",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := tc.call()
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != tc.code || !strings.Contains(ae.ErrorMessage(), tc.contains) {
				t.Errorf("err = %v, want %s containing %q", err, tc.code, tc.contains)
			}
		})
	}
}

func TestChangeSetLifecycle(t *testing.T) {
	fake, cfg := clients(t)
	fake.EventPageSize = 2
	ctx := context.Background()
	cfn := cloudformation.NewFromConfig(cfg)
	body := `{"Resources": {"A": {"Type": "AWS::SNS::Topic"}, "B": {"Type": "AWS::SNS::Topic"}}, "Outputs": {"Arn": {"Value": {"Ref": "A"}, "Export": {"Name": "a-arn"}}}}`
	cs, err := cfn.CreateChangeSet(ctx, &cloudformation.CreateChangeSetInput{StackName: aws.String("s"), ChangeSetName: aws.String("c1"),
		ChangeSetType: cfntypes.ChangeSetTypeCreate, TemplateBody: aws.String(body)})
	if err != nil {
		t.Fatal(err)
	}
	desc, err := cfn.DescribeChangeSet(ctx, &cloudformation.DescribeChangeSetInput{ChangeSetName: cs.Id})
	if err != nil || desc.Status != cfntypes.ChangeSetStatusCreateComplete || len(desc.Changes) != 2 {
		t.Fatalf("%v %+v", err, desc)
	}
	if _, err := cfn.ExecuteChangeSet(ctx, &cloudformation.ExecuteChangeSetInput{ChangeSetName: cs.Id}); err != nil {
		t.Fatal(err)
	}
	st, err := cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String("s")})
	if err != nil || st.Stacks[0].StackStatus != cfntypes.StackStatusCreateComplete || aws.ToString(st.Stacks[0].Outputs[0].ExportName) != "a-arn" {
		t.Fatalf("%v %+v", err, st)
	}
	// Events come newest first, a page at a time.
	var statuses []string
	var token *string
	for {
		page, err := cfn.DescribeStackEvents(ctx, &cloudformation.DescribeStackEventsInput{StackName: aws.String("s"), NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.StackEvents {
			statuses = append(statuses, aws.ToString(e.LogicalResourceId)+" "+string(e.ResourceStatus))
		}
		if token = page.NextToken; token == nil {
			break
		}
	}
	want := "s CREATE_COMPLETE,B CREATE_COMPLETE,B CREATE_IN_PROGRESS,A CREATE_COMPLETE,A CREATE_IN_PROGRESS,s CREATE_IN_PROGRESS,s REVIEW_IN_PROGRESS"
	if got := strings.Join(statuses, ","); got != want {
		t.Errorf("events\n got %s\nwant %s", got, want)
	}
	// The same template again: an empty change set, with AWS's reason.
	cs2, err := cfn.CreateChangeSet(ctx, &cloudformation.CreateChangeSetInput{StackName: aws.String("s"), ChangeSetName: aws.String("c2"), TemplateBody: aws.String(body)})
	if err != nil {
		t.Fatal(err)
	}
	desc, err = cfn.DescribeChangeSet(ctx, &cloudformation.DescribeChangeSetInput{ChangeSetName: cs2.Id})
	if err != nil || desc.Status != cfntypes.ChangeSetStatusFailed || aws.ToString(desc.StatusReason) != fakeaws.EmptyChangeSetReason {
		t.Errorf("%v %+v", err, desc)
	}
}

func TestYAMLTemplateIsAccepted(t *testing.T) {
	fake, cfg := clients(t)
	ctx := context.Background()
	cfn := cloudformation.NewFromConfig(cfg)
	body := `Parameters:
  TopicName:
    Type: String
Resources:
  A:
    Type: AWS::SNS::Topic
    DeletionPolicy: Retain
    Properties:
      TopicName:
        Ref: TopicName
  B:
    Type: AWS::SNS::Topic
Outputs:
  Name:
    Value:
      Ref: TopicName
`
	cs, err := cfn.CreateChangeSet(ctx, &cloudformation.CreateChangeSetInput{StackName: aws.String("y"), ChangeSetName: aws.String("c1"),
		ChangeSetType: cfntypes.ChangeSetTypeCreate, TemplateBody: aws.String(body),
		Parameters: []cfntypes.Parameter{{ParameterKey: aws.String("TopicName"), ParameterValue: aws.String("t")}}})
	if err != nil {
		t.Fatalf("a YAML template: %v", err)
	}
	desc, err := cfn.DescribeChangeSet(ctx, &cloudformation.DescribeChangeSetInput{ChangeSetName: cs.Id})
	if err != nil {
		t.Fatal(err)
	}
	var changes []string
	for _, c := range desc.Changes {
		changes = append(changes, string(c.ResourceChange.Action)+" "+aws.ToString(c.ResourceChange.LogicalResourceId)+" "+aws.ToString(c.ResourceChange.ResourceType))
	}
	if got, want := strings.Join(changes, ","), "Add A AWS::SNS::Topic,Add B AWS::SNS::Topic"; desc.Status != cfntypes.ChangeSetStatusCreateComplete || got != want {
		t.Fatalf("change set %s: changes %s, want %s", desc.Status, got, want)
	}
	if _, err := cfn.ExecuteChangeSet(ctx, &cloudformation.ExecuteChangeSetInput{ChangeSetName: cs.Id}); err != nil {
		t.Fatal(err)
	}
	st, ok := fake.Stack(caller, "eu-west-1", "y")
	if !ok || st.Status != "CREATE_COMPLETE" || strings.Join(st.Resources, ",") != "A,B" || st.Outputs["Name"] != "t" {
		t.Errorf("the stack of a YAML template: %v %+v", ok, st)
	}
}

func TestAssumeRoleReachesTheRolesAccount(t *testing.T) {
	fake, cfg := clients(t)
	ctx := context.Background()
	out, err := sts.NewFromConfig(cfg).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::310987654321:role/Deploy"), RoleSessionName: aws.String("cicdgen-ci")})
	if err != nil {
		t.Fatal(err)
	}
	assumed := cfg.Copy()
	c := out.Credentials
	assumed.Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: aws.ToString(c.AccessKeyId), SecretAccessKey: aws.ToString(c.SecretAccessKey), SessionToken: aws.ToString(c.SessionToken)}, nil
	})
	id, err := sts.NewFromConfig(assumed).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Account) != "310987654321" {
		t.Fatalf("%v %+v", err, id)
	}
	if got := fake.Sessions(); len(got) != 1 || got[0] != "cicdgen-ci" {
		t.Errorf("sessions %v", got)
	}
}

// ThrottleEach refuses every request n times in a row before answering it,
// then starts again for the next one; FailCall refuses the next requests of
// an action with the error given.
func TestInjectedFailures(t *testing.T) {
	fake, cfg := clients(t)
	cfg.RetryMaxAttempts = 1 // every attempt is seen here
	stsClient := sts.NewFromConfig(cfg)
	code := func() string {
		_, err := stsClient.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
		var api smithy.APIError
		if errors.As(err, &api) {
			return api.ErrorCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return ""
	}
	fake.ThrottleEach(2)
	var got []string
	for range 6 {
		got = append(got, code())
	}
	if want := "Throttling Throttling  Throttling Throttling "; strings.Join(got, " ") != want {
		t.Errorf("ThrottleEach(2): %q, want %q", strings.Join(got, " "), want)
	}
	if fake.Throttled() != 4 {
		t.Errorf("%d throttled, want 4", fake.Throttled())
	}
	fake.ThrottleEach(0)
	fake.FailCall("GetCallerIdentity", 1, "AccessDenied", "no")
	if a, b := code(), code(); a != "AccessDenied" || b != "" {
		t.Errorf("FailCall(1): %q then %q", a, b)
	}
}
