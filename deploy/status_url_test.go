package deploy

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// stubStackResources answers DescribeStackResources with one resource.
type stubStackResources struct {
	physical string
	err      error
	asked    *cloudformation.DescribeStackResourcesInput
}

func (s *stubStackResources) DescribeStackResources(_ context.Context, in *cloudformation.DescribeStackResourcesInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStackResourcesOutput, error) {
	s.asked = in
	if s.err != nil {
		return nil, s.err
	}
	out := &cloudformation.DescribeStackResourcesOutput{}
	if s.physical != "" {
		out.StackResources = []cfntypes.StackResource{{PhysicalResourceId: aws.String(s.physical)}}
	}
	return out, nil
}

// stubLoadBalancers knows one load balancer by its ARN.
type stubLoadBalancers struct{ arn, dns string }

func (s stubLoadBalancers) DescribeLoadBalancers(_ context.Context, in *elasticloadbalancingv2.DescribeLoadBalancersInput, _ ...func(*elasticloadbalancingv2.Options)) (*elasticloadbalancingv2.DescribeLoadBalancersOutput, error) {
	if len(in.LoadBalancerArns) != 1 || in.LoadBalancerArns[0] != s.arn {
		return nil, errors.New("LoadBalancerNotFound")
	}
	return &elasticloadbalancingv2.DescribeLoadBalancersOutput{LoadBalancers: []elbtypes.LoadBalancer{{DNSName: aws.String(s.dns)}}}, nil
}

func TestLoadBalancerURLWhenTheOutputsAreMissing(t *testing.T) {
	const arn = "arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/app/shop-dev-x/50dc6c495c0c9188"
	elb := stubLoadBalancers{arn: arn, dns: "shop-dev-x-1.eu-west-1.elb.amazonaws.com"}
	httpTemplate := []byte(`{"Outputs":{"ServiceUrl":{"Value":{"Fn::Sub":"http://${LoadBalancer.DNSName}"}}}}`)
	httpsTemplate := []byte(`{"Outputs":{"ServiceUrl":{"Value":{"Fn::Sub":"https://${LoadBalancer.DNSName}"}}}}`)
	tests := map[string]struct {
		cfn      *stubStackResources
		template []byte
		want     string
	}{
		"http":                              {&stubStackResources{physical: arn}, httpTemplate, "http://shop-dev-x-1.eu-west-1.elb.amazonaws.com"},
		"https when the template serves it": {&stubStackResources{physical: arn}, httpsTemplate, "https://shop-dev-x-1.eu-west-1.elb.amazonaws.com"},
		"no load balancer resource":         {&stubStackResources{}, httpTemplate, ""},
		"the stack cannot be read":          {&stubStackResources{err: errors.New("AccessDenied")}, httpTemplate, ""},
		"an unknown load balancer":          {&stubStackResources{physical: arn + "0"}, httpTemplate, ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := loadBalancerURL(context.Background(), tc.cfn, elb, "shop-ecs-dev-x", tc.template)
			if got != tc.want {
				t.Errorf("URL = %q, want %q", got, tc.want)
			}
			if in := tc.cfn.asked; in == nil || aws.ToString(in.StackName) != "shop-ecs-dev-x" || aws.ToString(in.LogicalResourceId) != "LoadBalancer" {
				t.Errorf("asked for %+v, want the stack's LoadBalancer resource", in)
			}
		})
	}
}
