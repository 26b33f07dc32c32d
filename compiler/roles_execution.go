package compiler

// The execution role's policy (roles-<env> stack, ExecutionRole) as a table:
// each row is one statement, the actions it allows on one set of the
// environment's resources, under a condition, in the order the policy lists
// them. The package comment of roles.go says why each scope is what it is;
// TestExecutionRoleCoversHandlerPermissions holds the rows to what the
// CloudFormation resource handlers of the ecs stack's types need.

import (
	"maps"

	"github.com/cicdgen/cicdgen/schema"
)

// execScope names a set of resources of an environment that execution role
// statements are scoped to.
type execScope int

const (
	// scopeRegionNetwork: EC2 networking resources have no names to scope
	// by; they are scoped to the environment's region. The account part
	// stays open: some resources a request names are not the account's own
	// (the AWS endpoint services of VPC endpoints), and the account's
	// resources are the only ones the role can create or change anyway.
	scopeRegionNetwork execScope = iota
	// scopeLoadBalancer: the load balancer, its listeners and rules, and
	// the blue and green target groups.
	scopeLoadBalancer
	// scopeService: the cluster, the service, its deployments and
	// revisions, and the task family.
	scopeService
	// scopeLogGroups: the service's and the flow logs' log groups.
	scopeLogGroups
	// scopeRegionKeys: the stack's log key (LogKey) has no name to scope by
	// before it exists: the keys of the environment's account and region.
	scopeRegionKeys
	// scopeStackRoles: the task, task execution, ECS infrastructure and
	// flow logs roles.
	scopeStackRoles
	// scopeInfrastructureRole: the ECS infrastructure role.
	scopeInfrastructureRole
	// scopeECSRoles: the roles ECS is passed (task, task execution,
	// infrastructure).
	scopeECSRoles
	// scopeFlowLogsRole: the flow logs role.
	scopeFlowLogsRole
	// scopeServiceLinkedRoles: the account's service-linked roles.
	scopeServiceLinkedRoles
	// scopeManagedSecrets: the environment's managed secrets
	// (<name>/<env>/<suffix>/*), whether or not it has one yet, so that
	// adding one needs no new roles version.
	scopeManagedSecrets
	// scopeRolesVersion: the roles' version parameter, which every stack
	// the pipeline deploys here resolves.
	scopeRolesVersion
	// scopeHostedZones: any private hosted zone (endpoint services' zones
	// are not the account's).
	scopeHostedZones
	// scopeAnything: Resource "*", for actions that support no
	// resource-level permissions.
	scopeAnything
)

// execGrant is one statement of the execution role's policy.
type execGrant struct {
	sid       string
	actions   []string
	scope     execScope
	condition map[string]map[string]any // nil: none
	// when, if set, says whether the environment needs the statement.
	when func(env *schema.Environment) bool
}

// rolesExecutionGrants are the statements of the execution role's policy,
// in order. (The policy then reads the artifact bucket and ends with the
// explicit Deny, as the deploy role's does.)
var rolesExecutionGrants = []execGrant{
	{sid: "ManageNetwork", scope: scopeRegionNetwork, actions: []string{
		"ec2:AllocateAddress",
		"ec2:AssociateAddress",
		"ec2:AssociateRouteTable",
		"ec2:AttachInternetGateway",
		"ec2:AuthorizeSecurityGroupEgress",
		"ec2:AuthorizeSecurityGroupIngress",
		"ec2:CreateFlowLogs",
		"ec2:CreateInternetGateway",
		"ec2:CreateNatGateway",
		"ec2:CreateRoute",
		"ec2:CreateRouteTable",
		"ec2:CreateSecurityGroup",
		"ec2:CreateSubnet",
		"ec2:CreateTags",
		"ec2:CreateVpc",
		"ec2:CreateVpcEndpoint",
		"ec2:DeleteFlowLogs",
		"ec2:DeleteInternetGateway",
		"ec2:DeleteNatGateway",
		"ec2:DeleteRoute",
		"ec2:DeleteRouteTable",
		"ec2:DeleteSecurityGroup",
		"ec2:DeleteSubnet",
		"ec2:DeleteTags",
		"ec2:DeleteVpc",
		"ec2:DeleteVpcEndpoints",
		"ec2:DetachInternetGateway",
		"ec2:DisassociateAddress",
		"ec2:DisassociateRouteTable",
		"ec2:ModifySecurityGroupRules",
		"ec2:ModifySubnetAttribute",
		"ec2:ModifyVpcAttribute",
		"ec2:ModifyVpcEndpoint",
		"ec2:ReleaseAddress",
		"ec2:ReplaceRoute",
		"ec2:ReplaceRouteTableAssociation",
		"ec2:RevokeSecurityGroupEgress",
		"ec2:RevokeSecurityGroupIngress",
		"ec2:UpdateSecurityGroupRuleDescriptionsEgress",
		"ec2:UpdateSecurityGroupRuleDescriptionsIngress",
	}},
	{sid: "ManageLoadBalancer", scope: scopeLoadBalancer, actions: []string{
		"elasticloadbalancing:AddTags",
		"elasticloadbalancing:CreateListener",
		"elasticloadbalancing:CreateLoadBalancer",
		"elasticloadbalancing:CreateRule",
		"elasticloadbalancing:CreateTargetGroup",
		"elasticloadbalancing:DeleteListener",
		"elasticloadbalancing:DeleteLoadBalancer",
		"elasticloadbalancing:DeleteRule",
		"elasticloadbalancing:DeleteTargetGroup",
		"elasticloadbalancing:DeregisterTargets",
		"elasticloadbalancing:ModifyCapacityReservation",
		"elasticloadbalancing:ModifyIpPools",
		"elasticloadbalancing:ModifyListener",
		"elasticloadbalancing:ModifyListenerAttributes",
		"elasticloadbalancing:ModifyLoadBalancerAttributes",
		"elasticloadbalancing:ModifyRule",
		"elasticloadbalancing:ModifyTargetGroup",
		"elasticloadbalancing:ModifyTargetGroupAttributes",
		"elasticloadbalancing:RegisterTargets",
		"elasticloadbalancing:RemoveTags",
		"elasticloadbalancing:SetIpAddressType",
		"elasticloadbalancing:SetRulePriorities",
		"elasticloadbalancing:SetSecurityGroups",
		"elasticloadbalancing:SetSubnets",
	}},
	{sid: "ManageEcs", scope: scopeService, actions: []string{
		"ecs:CreateCluster",
		"ecs:CreateService",
		"ecs:DeleteCluster",
		"ecs:DeleteService",
		"ecs:DescribeClusters",
		"ecs:DescribeServiceDeployments",
		"ecs:DescribeServiceRevisions",
		"ecs:DescribeServices",
		"ecs:ListServiceDeployments",
		"ecs:ListTagsForResource",
		"ecs:PutClusterCapacityProviders",
		// A stack rollback or an update during a deployment stops it.
		"ecs:StopServiceDeployment",
		"ecs:TagResource",
		"ecs:UntagResource",
		"ecs:UpdateCluster",
		"ecs:UpdateClusterSettings",
		"ecs:UpdateService",
	}},
	{sid: "ManageLogGroups", scope: scopeLogGroups, actions: []string{
		"logs:AssociateKmsKey",
		"logs:CreateLogGroup",
		"logs:DeleteDataProtectionPolicy",
		"logs:DeleteLogGroup",
		"logs:DeleteRetentionPolicy",
		"logs:DisassociateKmsKey",
		"logs:GetDataProtectionPolicy",
		"logs:ListTagsForResource",
		"logs:ListTagsLogGroup",
		"logs:PutDataProtectionPolicy",
		"logs:PutRetentionPolicy",
		"logs:TagLogGroup",
		"logs:TagResource",
		"logs:UntagLogGroup",
		"logs:UntagResource",
	}},
	// The ECS cluster's handler describes keys too.
	{sid: "ManageLogKey", scope: scopeRegionKeys, actions: []string{
		"kms:DescribeKey",
		"kms:DisableKey",
		"kms:DisableKeyRotation",
		"kms:EnableKey",
		"kms:EnableKeyRotation",
		"kms:GetKeyPolicy",
		"kms:GetKeyRotationStatus",
		"kms:ListResourceTags",
		"kms:PutKeyPolicy",
		"kms:ScheduleKeyDeletion",
		"kms:TagResource",
		"kms:UntagResource",
		"kms:UpdateKeyDescription",
	}},
	{sid: "ManageStackRoles", scope: scopeStackRoles, actions: []string{
		"iam:CreateRole",
		"iam:DeleteRole",
		"iam:DeleteRolePolicy",
		"iam:GetRole",
		"iam:GetRolePolicy",
		"iam:ListAttachedRolePolicies",
		"iam:ListInstanceProfilesForRole",
		"iam:ListRolePolicies",
		"iam:ListRoleTags",
		"iam:PutRolePolicy",
		"iam:TagRole",
		"iam:UntagRole",
		"iam:UpdateAssumeRolePolicy",
		"iam:UpdateRole",
		"iam:UpdateRoleDescription",
	}},
	{
		sid: "AttachEcsInfrastructurePolicy", scope: scopeInfrastructureRole,
		actions:   []string{"iam:AttachRolePolicy", "iam:DetachRolePolicy"},
		condition: map[string]map[string]any{"ArnEquals": {"iam:PolicyARN": ecsInfrastructurePolicyARN}},
	},
	{
		sid: "PassStackRoles", scope: scopeECSRoles,
		actions: []string{"iam:PassRole"},
		condition: map[string]map[string]any{"StringEquals": {"iam:PassedToService": []string{
			"ecs-tasks.amazonaws.com",
			"ecs.amazonaws.com",
		}}},
	},
	// EC2 documents the permission to pass the flow logs role without a
	// service condition and names no iam:PassedToService value for it; the
	// one role it covers trusts only VPC Flow Logs.
	{sid: "PassFlowLogsRole", scope: scopeFlowLogsRole, actions: []string{"iam:PassRole"}},
	// The first ECS cluster, load balancer and flow log of an account
	// create their service-linked roles.
	{
		sid: "CreateServiceLinkedRoles", scope: scopeServiceLinkedRoles,
		actions: []string{"iam:CreateServiceLinkedRole"},
		condition: map[string]map[string]any{"StringEquals": {"iam:AWSServiceName": []string{
			"ecs.amazonaws.com",
			"elasticloadbalancing.amazonaws.com",
			"vpc-flow-logs.amazonaws.com",
		}}},
	},
	// The managed secrets of the secrets-<env> stack. The handlers of
	// AWS::SecretsManager::Secret read the secret's value.
	{sid: "ManageManagedSecrets", scope: scopeManagedSecrets, actions: []string{
		"secretsmanager:CreateSecret",
		"secretsmanager:DeleteSecret",
		"secretsmanager:DescribeSecret",
		"secretsmanager:GetSecretValue",
		"secretsmanager:TagResource",
		"secretsmanager:UntagResource",
		"secretsmanager:UpdateSecret",
	}},
	// CloudFormation resolves the RolesVersion parameter of the stacks it
	// deploys here (see roles_version.go).
	{sid: "ReadRolesVersion", scope: scopeRolesVersion, actions: []string{"ssm:GetParameters"}},
	// Reads without resource-level permissions: cloudformation:ListExports
	// resolves Fn::ImportValue, ec2:DescribeAvailabilityZones Fn::GetAZs;
	// the others are what the resource handlers of the stack's types read
	// (their "list" handlers included).
	{sid: "DescribeWithoutResourceLevelPermissions", scope: scopeAnything, actions: []string{
		"autoscaling:DescribeTags",
		"cloudformation:ListExports",
		"ec2:DescribeAccountAttributes",
		"ec2:DescribeAddresses",
		"ec2:DescribeAddressesAttribute",
		"ec2:DescribeAvailabilityZones",
		"ec2:DescribeFlowLogs",
		"ec2:DescribeInstances",
		"ec2:DescribeInternetGateways",
		"ec2:DescribeIpamPools",
		"ec2:DescribeNatGateways",
		"ec2:DescribeNetworkAcls",
		"ec2:DescribeNetworkInterfaces",
		"ec2:DescribePrefixLists",
		"ec2:DescribeRouteTables",
		"ec2:DescribeSecurityGroupRules",
		"ec2:DescribeSecurityGroups",
		"ec2:DescribeSubnets",
		"ec2:DescribeTags",
		"ec2:DescribeVpcAttribute",
		"ec2:DescribeVpcEncryptionControls",
		"ec2:DescribeVpcEndpointServices",
		"ec2:DescribeVpcEndpoints",
		"ec2:DescribeVpcs",
		"ec2:DescribeVpnGateways",
		"ecs:DeregisterTaskDefinition",
		"ecs:DescribeTaskDefinition",
		"ecs:ListClusters",
		"ecs:ListServices",
		"ecs:ListTaskDefinitions",
		"ecs:RegisterTaskDefinition",
		"elasticloadbalancing:DescribeCapacityReservation",
		"elasticloadbalancing:DescribeListenerAttributes",
		"elasticloadbalancing:DescribeListeners",
		"elasticloadbalancing:DescribeLoadBalancerAttributes",
		"elasticloadbalancing:DescribeLoadBalancers",
		"elasticloadbalancing:DescribeRules",
		"elasticloadbalancing:DescribeTags",
		"elasticloadbalancing:DescribeTargetGroupAttributes",
		"elasticloadbalancing:DescribeTargetGroups",
		"elasticloadbalancing:DescribeTargetHealth",
		"iam:ListRoles",
		"kms:ListKeys",
		"logs:DescribeLogGroups",
		"logs:DescribeResourcePolicies",
		"secretsmanager:ListSecrets",
	}},
	// Writes without resource-level permissions: a new key has no ARN
	// before CreateKey; log deliveries are the flow log's; and
	// PutAccountSetting changes the calling role's own ECS settings only.
	{sid: "CreateWithoutResourceLevelPermissions", scope: scopeAnything, actions: []string{
		"ecs:PutAccountSetting",
		"kms:CreateKey",
		"logs:CreateLogDelivery",
		"logs:DeleteLogDelivery",
	}},
	// Interface endpoints with private DNS associate the VPC with the
	// endpoint service's private hosted zone: only without NAT gateways.
	{
		sid: "AssociateEndpointDNS", scope: scopeHostedZones,
		actions: []string{"route53:AssociateVPCWithHostedZone"},
		when:    func(env *schema.Environment) bool { return env.Network.NATGateways == 0 },
	},
}

// resources returns the ARNs of scope in the environment of c.
func (c envCtx) resources(scope execScope) []any {
	env, n := c.env.Name, c.names
	elb := func(resource string) string { return c.arn("elasticloadbalancing", resource) }
	cluster, service := n.Cluster(env), n.ECSService(env)
	ecsRoles := []any{
		c.roleARN(n.TaskRole(env)),
		c.roleARN(n.TaskExecutionRole(env)),
		c.roleARN(n.ECSInfrastructureRole(env)),
	}
	switch scope {
	case scopeRegionNetwork:
		return []any{"arn:aws:ec2:" + c.region + ":*:*"}
	case scopeLoadBalancer:
		lb := n.LoadBalancer(env)
		return []any{
			elb("loadbalancer/app/" + lb + "/*"),
			elb("listener/app/" + lb + "/*"),
			elb("listener-rule/app/" + lb + "/*"),
			elb("targetgroup/" + n.TargetGroupPattern(env, "blue") + "/*"),
			elb("targetgroup/" + n.TargetGroupPattern(env, "green") + "/*"),
		}
	case scopeService:
		return []any{
			c.arn("ecs", "cluster/"+cluster),
			c.arn("ecs", "service/"+cluster+"/"+service),
			c.arn("ecs", "service-deployment/"+cluster+"/"+service+"/*"),
			c.arn("ecs", "service-revision/"+cluster+"/"+service+"/*"),
			c.arn("ecs", "task-definition/"+n.TaskFamily(env)+":*"),
		}
	case scopeLogGroups:
		return append(c.logGroupARNs(n.ServiceLogGroup(env)), c.logGroupARNs(n.FlowLogGroup(env))...)
	case scopeRegionKeys:
		return []any{c.arn("kms", "key/*")}
	case scopeStackRoles:
		return append(ecsRoles, c.roleARN(n.FlowLogsRole(env)))
	case scopeInfrastructureRole:
		return []any{c.roleARN(n.ECSInfrastructureRole(env))}
	case scopeECSRoles:
		return ecsRoles
	case scopeFlowLogsRole:
		return []any{c.roleARN(n.FlowLogsRole(env))}
	case scopeServiceLinkedRoles:
		return []any{"arn:aws:iam::" + c.account + ":role/aws-service-role/*"}
	case scopeManagedSecrets:
		return []any{c.arn("secretsmanager", "secret:"+n.ManagedSecret(env, "*"))}
	case scopeRolesVersion:
		return []any{rolesVersionARN(c)}
	case scopeHostedZones:
		return []any{"arn:aws:route53:::hostedzone/*"}
	}
	return []any{"*"} // scopeAnything
}

// rolesExecutionPolicy lets CloudFormation create, update and delete what
// the ecs stack holds, scoped to this environment's names wherever the
// service supports resource-level permissions: the statements of
// rolesExecutionGrants that the environment needs, then the artifact reads
// and the explicit Deny.
func rolesExecutionPolicy(c envCtx) *PolicyDocument {
	var statements []Statement
	for _, g := range rolesExecutionGrants {
		if g.when != nil && !g.when(c.env) {
			continue
		}
		s := Allow(g.sid, g.actions, c.resources(g.scope)...)
		if g.condition != nil {
			// A copy: the builders run in parallel over the shared table.
			s.Condition = maps.Clone(g.condition)
		}
		statements = append(statements, s)
	}
	statements = append(statements, envArtifactReadStatements(c)...)
	statements = append(statements, envDenyStatement(c.sys))
	return Policy(statements...)
}
