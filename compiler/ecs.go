package compiler

// The ecs-<env> stack runs the service in an environment: its network, its
// load balancer, its ECS cluster, task definition and service, and the roles
// and log groups they use. The pipeline's deploy action updates this stack
// with a new ImageUri; CloudFormation stays the one owner of the task
// definition and ECS performs the blue/green (or rolling) deployment.
//
// Parameters and conditions:
//
//	ImageUri   parameter (String, default ""): the image to run; the pipeline passes
//	           the ImageURI of the build's imageDetail.json, apply passes nothing
//	HasImage   condition: ImageUri is not "". Without an image the service runs zero
//	           tasks of the initial image ecsInitialImage, so the first apply succeeds
//	           before the pipeline has built anything
//	RolesVersion
//	           parameter (AWS::SSM::Parameter::Value<String>, default the roles stack's
//	           version parameter) and rule CheckRolesVersion: the deployed roles are at
//	           least compiler.RolesVersion (see the roles stack)
//
// Resources (i = 1..network.azs, j = 1..network.nat_gateways):
//
//	Logical id                          Type                                        What it is
//	Vpc                                 AWS::EC2::VPC                               network.cidr, DNS support and hostnames on
//	InternetGateway                     AWS::EC2::InternetGateway                   the VPC's internet gateway
//	InternetGatewayAttachment           AWS::EC2::VPCGatewayAttachment              attaches it to the VPC
//	PublicSubnet<i>                     AWS::EC2::Subnet                            public subnet of AZ i (load balancer, NAT gateways)
//	PrivateSubnet<i>                    AWS::EC2::Subnet                            private subnet of AZ i (tasks)
//	PublicRouteTable                    AWS::EC2::RouteTable                        route table of the public subnets
//	PublicDefaultRoute                  AWS::EC2::Route                             0.0.0.0/0 to the internet gateway
//	PublicSubnet<i>RouteTableAssociation
//	                                    AWS::EC2::SubnetRouteTableAssociation       public subnet i → PublicRouteTable
//	NatEip<j>                           AWS::EC2::EIP                               Elastic IP of NAT gateway j
//	NatGateway<j>                       AWS::EC2::NatGateway                        NAT gateway j, in PublicSubnet<j>
//	PrivateRouteTable<i>                AWS::EC2::RouteTable                        route table of private subnet i
//	PrivateDefaultRoute<i>              AWS::EC2::Route                             0.0.0.0/0 to NatGateway<((i-1) mod nat_gateways)+1>;
//	                                                                                absent with nat_gateways 0
//	PrivateSubnet<i>RouteTableAssociation
//	                                    AWS::EC2::SubnetRouteTableAssociation       private subnet i → PrivateRouteTable<i>
//	EndpointSecurityGroup               AWS::EC2::SecurityGroup                     nat_gateways 0 only: HTTPS from the tasks to the endpoints
//	S3Endpoint                          AWS::EC2::VPCEndpoint                       nat_gateways 0 only: S3 gateway endpoint (ECR image layers)
//	EcrApiEndpoint, EcrDkrEndpoint      AWS::EC2::VPCEndpoint                       nat_gateways 0 only: ECR interface endpoints
//	LogsEndpoint                        AWS::EC2::VPCEndpoint                       nat_gateways 0 only: CloudWatch Logs interface endpoint
//	SecretsManagerEndpoint              AWS::EC2::VPCEndpoint                       nat_gateways 0 and a Secrets Manager secret or registry credentials
//	SsmEndpoint                         AWS::EC2::VPCEndpoint                       nat_gateways 0 and an SSM parameter among service.secrets
//	LogKey                              AWS::KMS::Key                               encrypts the log groups; CloudWatch Logs of the region may use it
//	                                                                            for this stack's log groups only; retained under protect
//	FlowLogGroup                        AWS::Logs::LogGroup                         network.flow_logs only: Names.FlowLogGroup(env)
//	FlowLogsRole                        AWS::IAM::Role                              network.flow_logs only: Names.FlowLogsRole(env)
//	FlowLog                             AWS::EC2::FlowLog                           network.flow_logs only: all VPC traffic to FlowLogGroup
//	Cluster                             AWS::ECS::Cluster                           Names.Cluster(env), Container Insights enabled
//	ServiceLogGroup                     AWS::Logs::LogGroup                         Names.ServiceLogGroup(env): the containers' awslogs
//	TaskExecutionRole                   AWS::IAM::Role                              Names.TaskExecutionRole(env): image pull, logs, secrets
//	TaskRole                            AWS::IAM::Role                              Names.TaskRole(env): the application's own role, no policy
//	TaskDefinition                      AWS::ECS::TaskDefinition                    Names.TaskFamily(env): Fargate, awsvpc, one container
//	LoadBalancerSecurityGroup           AWS::EC2::SecurityGroup                     the ALB: its listener ports from anywhere, out to the tasks
//	ServiceSecurityGroup                AWS::EC2::SecurityGroup                     the tasks
//	ServiceIngressFromLoadBalancer      AWS::EC2::SecurityGroupIngress              tasks accept service.port from the ALB only
//	LoadBalancer                        AWS::ElasticLoadBalancingV2::LoadBalancer   Names.LoadBalancer(env): internet-facing ALB
//	TargetGroupBlue                     AWS::ElasticLoadBalancingV2::TargetGroup    Names.TargetGroup(env, "blue", port): the primary target group
//	TargetGroupGreen                    AWS::ElasticLoadBalancingV2::TargetGroup    blue-green only: Names.TargetGroup(env, "green", port), the alternate
//	ProductionListener                  AWS::ElasticLoadBalancingV2::Listener       production traffic: port 80 (HTTP), or 443 (HTTPS) with a certificate
//	HttpRedirectListener                AWS::ElasticLoadBalancingV2::Listener       service.certificate only: port 80, a redirect to HTTPS
//	TestListener                        AWS::ElasticLoadBalancingV2::Listener       blue-green only: port 8080 (HTTP) or 8443 (HTTPS with a certificate)
//	ProductionListenerRule              AWS::ElasticLoadBalancingV2::ListenerRule   blue-green only: /* on ProductionListener
//	TestListenerRule                    AWS::ElasticLoadBalancingV2::ListenerRule   blue-green only: /* on TestListener
//	EcsInfrastructureRole               AWS::IAM::Role                              blue-green only: Names.ECSInfrastructureRole(env), lets ECS shift traffic
//	Service                             AWS::ECS::Service                           Names.ECSService(env): Fargate service in the private subnets
//
// Outputs: LoadBalancerDNSName, ServiceUrl, ServiceName, ClusterName, and
// with blue-green TestListenerUrl.
//
// Service and TaskDefinition are the typed extensions cfnx.ECSService and
// cfnx.ECSTaskDefinition: goformation v7.14.9 lacks the ECS-native
// blue/green properties and conditional repository credentials.
//
// Choices a user may want to know about:
//   - Blue/green is ECS-native: deployment controller ECS with strategy
//     BLUE_GREEN, CANARY (canary-10-5: 10 %, then the rest after 5 minutes)
//     or LINEAR (linear-10-1: 10 % a minute), a bake time of
//     service.bake_minutes, the green target group as the alternate, and
//     listener rules ECS re-weights. The listeners' default actions answer
//     404 and never see traffic: every path matches the rules.
//   - Blue/green stays safe over the system's life: ECS moves the weights
//     of the listener rules at every deployment, so a template change that
//     modifies or replaces a rule or a target group resets live traffic.
//     The rules hang on listeners whose logical ids never change (see
//     listeners): adding or changing service.certificate modifies
//     ProductionListener and TestListener in place and leaves the rules
//     untouched. Target group names carry the port, so a new service.port
//     (Port is create-only) creates new target groups beside the old ones
//     instead of failing on a name collision; the rules then change (the
//     deploy-side guard asks for --allow-traffic-reset). TrafficResources
//     lists these logical ids.
//   - The test listener serves the green revision during a deployment on
//     port 8080, or 8443 over HTTPS when a certificate is given, to callers
//     in the VPC only: its CIDR and the Elastic IPs of its NAT gateways
//     (through which tasks reach the internet-facing load balancer).
//   - Blue/green and rolling deployments both use the deployment circuit
//     breaker: a revision whose tasks never become healthy fails the
//     deployment and rolls back instead of keeping the stack update
//     waiting. Rolling deployments use one target group, no test listener
//     and no rules.
//   - The container runs with a read-only root filesystem and a writable
//     task-local volume on /tmp. An application that writes elsewhere needs
//     an override (ReadonlyRootFilesystem false) or another volume.
//   - With nat_gateways 0 the private subnets have no default route; the
//     interface and gateway endpoints above let tasks pull from ECR in the
//     environment's region, write logs and read secrets. Images from other
//     regions or public registries then cannot be pulled.
//   - The load balancer drops invalid header fields and mitigates HTTP
//     desync in defensive mode.
//   - Log groups keep 365 days of logs and are encrypted with the stack's
//     own KMS key (LogKey, about 1 USD a month); under protect: true they
//     and the key are retained when the stack is deleted; protected
//     environments get ALB deletion protection.
//   - ALB access logs are off: they need an S3 bucket with an ELB delivery
//     policy in the environment account, which this stack does not own.

import (
	"fmt"
	"strings"

	"github.com/cicdgen/cicdgen/compiler/cfn"

	"github.com/cicdgen/cicdgen/schema"
)

// Logical ids of the ecs stack that other parts of the builder refer to.
const (
	ecsImageParam             = "ImageUri"
	ecsHasImage               = "HasImage"
	ecsVpc                    = "Vpc"
	ecsInternetGateway        = "InternetGateway"
	ecsGatewayAttachment      = "InternetGatewayAttachment"
	ecsPublicRouteTable       = "PublicRouteTable"
	ecsPublicDefaultRoute     = "PublicDefaultRoute"
	ecsEndpointSecurityGroup  = "EndpointSecurityGroup"
	ecsLogKey                 = "LogKey"
	ecsFlowLogGroup           = "FlowLogGroup"
	ecsFlowLogsRole           = "FlowLogsRole"
	ecsFlowLog                = "FlowLog"
	ecsCluster                = "Cluster"
	ecsServiceLogGroup        = "ServiceLogGroup"
	ecsTaskExecutionRole      = "TaskExecutionRole"
	ecsTaskRole               = "TaskRole"
	ecsTaskDefinition         = "TaskDefinition"
	ecsLoadBalancerSG         = "LoadBalancerSecurityGroup"
	ecsServiceSG              = "ServiceSecurityGroup"
	ecsServiceIngress         = "ServiceIngressFromLoadBalancer"
	ecsLoadBalancer           = "LoadBalancer"
	ecsTargetGroupBlue        = "TargetGroupBlue"
	ecsTargetGroupGreen       = "TargetGroupGreen"
	ecsProductionListener     = "ProductionListener"
	ecsHTTPRedirectListener   = "HttpRedirectListener"
	ecsTestListener           = "TestListener"
	ecsProductionListenerRule = "ProductionListenerRule"
	ecsTestListenerRule       = "TestListenerRule"
	ecsInfrastructureRole     = "EcsInfrastructureRole"
	ecsService                = "Service"
)

// TrafficResources returns the logical ids of the traffic-critical
// resources of env's ecs-<env> stack, sorted: with blue/green deployments
// the production and test listener rules, whose forward weights ECS moves at
// every deployment, and the two target groups. A change set that modifies
// or replaces one of them resets live traffic (the deploy side refuses it
// without --allow-traffic-reset). With rolling deployments nothing
// re-weights the listener, and there are none.
func TrafficResources(env *schema.Environment) []string {
	if env.Service.Deployment == schema.DeploymentRolling {
		return nil
	}
	return []string{ecsProductionListenerRule, ecsTargetGroupBlue, ecsTargetGroupGreen, ecsTestListenerRule}
}

// ecsInitialImage is the image of the task definition until the pipeline
// passes one. The service runs zero tasks of it (DesiredCount is 0 without
// ImageUri); it is public so that describing it needs no credentials.
const ecsInitialImage = "public.ecr.aws/docker/library/busybox:stable"

// Listener ports of the load balancer.
const (
	ecsHTTPPort      = 80
	ecsHTTPSPort     = 443
	ecsTestHTTPPort  = 8080 // test listener without a certificate
	ecsTestHTTPSPort = 8443 // test listener with a certificate
)

// ecsLogRetentionDays is the retention of the stack's log groups.
func ecsLogRetentionDays(*schema.Environment) int {
	// A year in every environment: what audits (and Control Tower's
	// CT.CLOUDWATCH.PR.2) ask for; protect additionally retains the group.
	return 365
}

// ecsBuilder builds one ecs-<env> template.
type ecsBuilder struct {
	envCtx
	t         *cfn.Template
	svc       schema.Service
	net       schema.Network
	blueGreen bool
	https     bool
	// public and private are the logical ids of the subnets, in AZ order.
	public, private []string
	// privateRoutes are the logical ids the service waits for so that its
	// tasks can reach ECR: the private default routes or the endpoints.
	privateRoutes []string
	// privateRouteTables are the logical ids of the private route tables.
	privateRouteTables []string
}

func buildECS(sys *schema.System, env *schema.Environment) (*cfn.Template, map[string]Parameter) {
	b := &ecsBuilder{
		envCtx:    newEnvCtx(sys, env),
		t:         cfn.NewTemplate(),
		svc:       env.Service,
		net:       env.Network,
		blueGreen: env.Service.Deployment != schema.DeploymentRolling,
		https:     env.Service.HTTPS(),
	}
	b.t.Description = fmt.Sprintf("cicdgen %s: network, load balancer and ECS service %s of environment %s",
		sys.Name, b.names.ECSService(env.Name), env.Name)
	b.t.Parameters[ecsImageParam] = cfn.Parameter{
		Type:        "String",
		Default:     "",
		Description: cfn.String("Image URI the service runs; the pipeline passes the build's image. Empty: zero tasks of " + ecsInitialImage),
	}
	b.t.Conditions[ecsHasImage] = cfn.Not(cfn.Equals(cfn.Ref(ecsImageParam), ""))

	b.addNetwork()
	b.addLogKey()
	b.addFlowLogs()
	b.addLoadBalancing()
	b.addCompute()
	b.addService()
	b.addOutputs()
	return b.t, nil
}

// ecsTitle turns "blue" into "Blue" for logical ids.
func ecsTitle(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
