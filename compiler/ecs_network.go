package compiler

import (
	"fmt"
	"strings"

	"github.com/awslabs/goformation/v7/cloudformation/ec2"
	"github.com/awslabs/goformation/v7/cloudformation/iam"
	"github.com/awslabs/goformation/v7/cloudformation/logs"
	"github.com/cicdgen/cicdgen/compiler/cfn"

	"github.com/cicdgen/cicdgen/schema"
)

// ecsSubnetCIDRs carves the VPC into the public and private subnets of azs
// zones with schema.SubnetCIDRs. The semantic checks reject a network it
// cannot carve; should one get here anyway, the subnets fall back to
// Fn::Cidr so that CloudFormation, not the compiler, reports it.
func ecsSubnetCIDRs(cidr string, azs int) (public, private []string) {
	public, private, err := schema.SubnetCIDRs(cidr, azs)
	if err == nil {
		return public, private
	}
	all := cfn.CIDR(cfn.GetAtt(ecsVpc, "CidrBlock"), 2*azs, 8)
	for i := 0; i < azs; i++ {
		public = append(public, cfn.Select(i, all))
		private = append(private, cfn.Select(azs+i, all))
	}
	return public, private
}

// addNetwork adds the VPC, its subnets, gateways and routes, and with no NAT
// gateway the VPC endpoints the tasks need.
func (b *ecsBuilder) addNetwork() {
	r := b.t.Resources
	r[ecsVpc] = &ec2.VPC{
		CidrBlock:          cfn.String(b.net.CIDR),
		EnableDnsHostnames: cfn.Bool(true),
		EnableDnsSupport:   cfn.Bool(true),
	}
	r[ecsInternetGateway] = &ec2.InternetGateway{}
	r[ecsGatewayAttachment] = &ec2.VPCGatewayAttachment{
		VpcId:             cfn.Ref(ecsVpc),
		InternetGatewayId: cfn.RefPtr(ecsInternetGateway),
	}
	r[ecsPublicRouteTable] = &ec2.RouteTable{VpcId: cfn.Ref(ecsVpc)}
	r[ecsPublicDefaultRoute] = &ec2.Route{
		RouteTableId:               cfn.Ref(ecsPublicRouteTable),
		DestinationCidrBlock:       cfn.String("0.0.0.0/0"),
		GatewayId:                  cfn.RefPtr(ecsInternetGateway),
		AWSCloudFormationDependsOn: []string{ecsGatewayAttachment},
	}

	publicCIDRs, privateCIDRs := ecsSubnetCIDRs(b.net.CIDR, b.net.AZs)
	for i := 0; i < b.net.AZs; i++ {
		az := cfn.SelectPtr(i, cfn.GetAZs(""))
		pub := fmt.Sprintf("PublicSubnet%d", i+1)
		priv := fmt.Sprintf("PrivateSubnet%d", i+1)
		b.public = append(b.public, pub)
		b.private = append(b.private, priv)
		r[pub] = &ec2.Subnet{
			VpcId:               cfn.Ref(ecsVpc),
			CidrBlock:           cfn.String(publicCIDRs[i]),
			AvailabilityZone:    az,
			MapPublicIpOnLaunch: cfn.Bool(false),
		}
		r[priv] = &ec2.Subnet{
			VpcId:               cfn.Ref(ecsVpc),
			CidrBlock:           cfn.String(privateCIDRs[i]),
			AvailabilityZone:    az,
			MapPublicIpOnLaunch: cfn.Bool(false),
		}
		r[pub+"RouteTableAssociation"] = &ec2.SubnetRouteTableAssociation{
			SubnetId:     cfn.Ref(pub),
			RouteTableId: cfn.Ref(ecsPublicRouteTable),
		}
	}

	nats := b.net.NATGateways
	for j := 1; j <= nats; j++ {
		eip := fmt.Sprintf("NatEip%d", j)
		r[eip] = &ec2.EIP{
			Domain:                     cfn.String("vpc"),
			AWSCloudFormationDependsOn: []string{ecsGatewayAttachment},
		}
		r[fmt.Sprintf("NatGateway%d", j)] = &ec2.NatGateway{
			AllocationId: cfn.GetAttPtr(eip, "AllocationId"),
			SubnetId:     cfn.Ref(b.public[j-1]),
		}
	}
	for i := 1; i <= b.net.AZs; i++ {
		table := fmt.Sprintf("PrivateRouteTable%d", i)
		b.privateRouteTables = append(b.privateRouteTables, table)
		r[table] = &ec2.RouteTable{VpcId: cfn.Ref(ecsVpc)}
		r[fmt.Sprintf("PrivateSubnet%dRouteTableAssociation", i)] = &ec2.SubnetRouteTableAssociation{
			SubnetId:     cfn.Ref(b.private[i-1]),
			RouteTableId: cfn.Ref(table),
		}
		if nats > 0 {
			// Fewer NAT gateways than zones: zones share them round-robin.
			route := fmt.Sprintf("PrivateDefaultRoute%d", i)
			b.privateRoutes = append(b.privateRoutes, route)
			r[route] = &ec2.Route{
				RouteTableId:         cfn.Ref(table),
				DestinationCidrBlock: cfn.String("0.0.0.0/0"),
				NatGatewayId:         cfn.RefPtr(fmt.Sprintf("NatGateway%d", (i-1)%nats+1)),
			}
		}
	}
	if nats == 0 {
		b.addEndpoints()
	}
}

// ecsSecretKinds reports whether service.secrets holds Secrets Manager
// secrets and SSM parameters.
func ecsSecretKinds(svc schema.Service) (secretsManager, ssm bool) {
	for _, v := range svc.Secrets {
		if v == schema.SecretManaged || strings.HasPrefix(v, "arn:") && strings.Contains(v, ":secretsmanager:") {
			secretsManager = true
		} else {
			ssm = true
		}
	}
	return secretsManager, ssm
}

// addEndpoints adds the VPC endpoints that let tasks in private subnets
// without a NAT gateway pull from ECR, log and read their secrets.
func (b *ecsBuilder) addEndpoints() {
	r := b.t.Resources
	r[ecsEndpointSecurityGroup] = &ec2.SecurityGroup{
		GroupDescription: "VPC interface endpoints of " + b.names.ECSService(b.env.Name) + ": HTTPS from the tasks",
		VpcId:            cfn.RefPtr(ecsVpc),
		SecurityGroupIngress: []ec2.SecurityGroup_Ingress{{
			IpProtocol:            "tcp",
			FromPort:              cfn.Int(443),
			ToPort:                cfn.Int(443),
			SourceSecurityGroupId: cfn.GetAttPtr(ecsServiceSG, "GroupId"),
			Description:           cfn.String("HTTPS from the tasks"),
		}},
	}
	service := func(name string) string { return "com.amazonaws." + b.region + "." + name }
	r["S3Endpoint"] = &ec2.VPCEndpoint{
		VpcId:           cfn.Ref(ecsVpc),
		ServiceName:     service("s3"),
		VpcEndpointType: cfn.String("Gateway"),
		RouteTableIds:   ecsRefs(b.privateRouteTables),
	}
	b.privateRoutes = append(b.privateRoutes, "S3Endpoint")
	interfaces := []struct{ id, name string }{
		{"EcrApiEndpoint", "ecr.api"},
		{"EcrDkrEndpoint", "ecr.dkr"},
		{"LogsEndpoint", "logs"},
	}
	sm, ssm := ecsSecretKinds(b.svc)
	if sm {
		interfaces = append(interfaces, struct{ id, name string }{"SecretsManagerEndpoint", "secretsmanager"})
	}
	if ssm {
		interfaces = append(interfaces, struct{ id, name string }{"SsmEndpoint", "ssm"})
	}
	for _, e := range interfaces {
		r[e.id] = &ec2.VPCEndpoint{
			VpcId:             cfn.Ref(ecsVpc),
			ServiceName:       service(e.name),
			VpcEndpointType:   cfn.String("Interface"),
			PrivateDnsEnabled: cfn.Bool(true),
			SubnetIds:         ecsRefs(b.private),
			SecurityGroupIds:  []string{cfn.GetAtt(ecsEndpointSecurityGroup, "GroupId")},
		}
		b.privateRoutes = append(b.privateRoutes, e.id)
	}
}

// addFlowLogs adds the VPC flow log, its log group and its delivery role.
func (b *ecsBuilder) addFlowLogs() {
	if !b.net.FlowLogs {
		return
	}
	r := b.t.Resources
	group := b.names.FlowLogGroup(b.env.Name)
	deletion, replace := envRetention(b.env)
	r[ecsFlowLogGroup] = &logs.LogGroup{
		LogGroupName:                         cfn.String(group),
		RetentionInDays:                      cfn.Int(ecsLogRetentionDays(b.env)),
		KmsKeyId:                             cfn.GetAttPtr(ecsLogKey, "Arn"),
		AWSCloudFormationDeletionPolicy:      deletion,
		AWSCloudFormationUpdateReplacePolicy: replace,
	}
	r[ecsFlowLogsRole] = &iam.Role{
		RoleName:    cfn.String(b.names.FlowLogsRole(b.env.Name)),
		Description: cfn.String("Delivers the VPC flow logs of " + b.env.Name + " to " + group),
		AssumeRolePolicyDocument: envServiceTrust("vpc-flow-logs.amazonaws.com", map[string]map[string]any{
			"StringEquals": {"aws:SourceAccount": b.account},
			"ArnLike":      {"aws:SourceArn": b.arn("ec2", "vpc-flow-log/*")},
		}),
		Policies: []iam.Role_Policy{{
			PolicyName: "deliver-flow-logs",
			PolicyDocument: Policy(
				Allow("WriteFlowLogs", []string{
					"logs:CreateLogStream",
					"logs:DescribeLogStreams",
					"logs:PutLogEvents",
				}, b.logGroupARNs(group)...),
				Allow("FindFlowLogGroup", []string{"logs:DescribeLogGroups"}, b.arn("logs", "log-group:*")),
			),
		}},
	}
	r[ecsFlowLog] = &ec2.FlowLog{
		ResourceType:             "VPC",
		ResourceId:               cfn.Ref(ecsVpc),
		TrafficType:              cfn.String("ALL"),
		LogDestinationType:       cfn.String("cloud-watch-logs"),
		LogDestination:           cfn.GetAttPtr(ecsFlowLogGroup, "Arn"),
		DeliverLogsPermissionArn: cfn.GetAttPtr(ecsFlowLogsRole, "Arn"),
	}
}

// ecsRefs returns a Ref to each logical id.
func ecsRefs(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = cfn.Ref(id)
	}
	return out
}
