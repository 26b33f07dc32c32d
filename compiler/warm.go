package compiler

import (
	"encoding/json"

	"github.com/awslabs/goformation/v7/cloudformation"
	"github.com/awslabs/goformation/v7/cloudformation/cloudwatch"
	"github.com/awslabs/goformation/v7/cloudformation/codebuild"
	"github.com/awslabs/goformation/v7/cloudformation/codepipeline"
	"github.com/awslabs/goformation/v7/cloudformation/ec2"
	"github.com/awslabs/goformation/v7/cloudformation/ecr"
	"github.com/awslabs/goformation/v7/cloudformation/ecs"
	elb "github.com/awslabs/goformation/v7/cloudformation/elasticloadbalancingv2"
	"github.com/awslabs/goformation/v7/cloudformation/events"
	"github.com/awslabs/goformation/v7/cloudformation/iam"
	"github.com/awslabs/goformation/v7/cloudformation/kms"
	"github.com/awslabs/goformation/v7/cloudformation/logs"
	"github.com/awslabs/goformation/v7/cloudformation/s3"
	"github.com/awslabs/goformation/v7/cloudformation/secretsmanager"
	"github.com/awslabs/goformation/v7/cloudformation/sns"
	"github.com/awslabs/goformation/v7/cloudformation/ssm"

	"github.com/cicdgen/cicdgen/compiler/cfnx"
)

// encodedResourceTypes has a zero value of every goformation type the
// builders put in the Resources of the golden systems' templates
// (TestWarmEncodersCoversTheBuilders keeps it so).
func encodedResourceTypes() []cloudformation.Resource {
	return []cloudformation.Resource{
		&cfnx.ECSService{}, &cfnx.ECSTaskDefinition{},
		&cloudwatch.Dashboard{}, &codebuild.Project{}, &codepipeline.Pipeline{},
		&ec2.EIP{}, &ec2.FlowLog{}, &ec2.InternetGateway{}, &ec2.NatGateway{}, &ec2.RouteTable{},
		&ec2.Route{}, &ec2.SecurityGroupIngress{}, &ec2.SecurityGroup{}, &ec2.SubnetRouteTableAssociation{},
		&ec2.Subnet{}, &ec2.VPCEndpoint{}, &ec2.VPCGatewayAttachment{}, &ec2.VPC{},
		&ecr.Repository{}, &ecs.Cluster{},
		&elb.ListenerRule{}, &elb.Listener{}, &elb.LoadBalancer{}, &elb.TargetGroup{},
		&events.Rule{}, &iam.Role{}, &kms.Alias{}, &kms.Key{}, &logs.LogGroup{},
		&s3.BucketPolicy{}, &s3.Bucket{}, &secretsmanager.Secret{},
		&sns.Subscription{}, &sns.TopicPolicy{}, &sns.Topic{}, &ssm.Parameter{},
	}
}

// WarmEncoders encodes a template holding a zero value of every resource
// type the builders use, and discards it. encoding/json builds and caches
// an encoder for each Go type the first time it meets it, which is most of
// the cost of encoding a build's first templates; a command calls it in a
// goroutine while it loads system.yaml, so that this work runs on the
// other core. It changes no output: the cache holds the same encoders
// whoever builds them.
func WarmEncoders() {
	t := cloudformation.NewTemplate()
	for i, r := range encodedResourceTypes() {
		t.Resources[string(rune('a'+i))] = r
	}
	t.Outputs["o"] = cloudformation.Output{Export: &cloudformation.Export{}}
	_, _ = json.Marshal(t)
}
