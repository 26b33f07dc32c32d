package compiler

// The roles-<env> stack holds the two roles the pipeline uses in an
// environment's account. It is deployed by apply before the pipeline first
// deploys to the environment.
//
//	Logical id      Type             What it is
//	DeployRole      AWS::IAM::Role   Names.DeployRole(env): assumed by the pipeline role of the
//	                                 tooling account; runs the CloudFormation deploy action
//	ExecutionRole   AWS::IAM::Role   Names.ExecutionRole(env): assumed by CloudFormation; creates,
//	                                 updates and deletes the resources of the ecs-<env> stack
//
// Outputs: DeployRoleArn, ExecutionRoleArn (the pipeline refers to the roles
// by their deterministic ARNs, so nothing is exported).
//
// Both roles carry an explicit Deny of roles.deny plus ec2:TerminateInstances
// in a statement of its own.
//
// Least privilege: every Allow names its actions (no wildcard action) and is
// scoped to this environment's stack, roles, cluster, service, task family,
// load balancer, target groups, log groups and secret by their deterministic
// names; EC2 networking, which has no names, to the environment's region.
// Resource "*" appears only in the statements ValidateTemplates (deploy role)
// and DescribeWithoutResourceLevelPermissions (execution role), for actions
// that support no resource-level permissions: cloudformation:ValidateTemplate,
// cloudformation:ListExports (Fn::ImportValue), the EC2, ELB and logs
// Describe calls, and ecs:RegisterTaskDefinition, DeregisterTaskDefinition
// and DescribeTaskDefinition.

import (
	"github.com/awslabs/goformation/v7/cloudformation"
	"github.com/awslabs/goformation/v7/cloudformation/iam"

	"github.com/cicdgen/cicdgen/schema"
)

// Logical ids and outputs of the roles stack.
const (
	rolesDeployRole          = "DeployRole"
	rolesExecutionRole       = "ExecutionRole"
	rolesDeployRoleOutput    = "DeployRoleArn"
	rolesExecRoleOutput      = "ExecutionRoleArn"
	rolesDeployPolicyName    = "deploy"
	rolesExecutionPolicyName = "execute-ecs-stack"
)

// ecsInfrastructurePolicyARN is the AWS managed policy ECS needs to shift
// load balancer traffic in blue/green deployments.
const ecsInfrastructurePolicyARN = "arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers"

func buildRoles(sys *schema.System, env *schema.Environment) (*cloudformation.Template, map[string]Parameter) {
	c := newEnvCtx(sys, env)
	t := cloudformation.NewTemplate()
	t.Description = "cicdgen " + sys.Name + ": deploy and CloudFormation execution roles of environment " + env.Name

	t.Resources[rolesDeployRole] = &iam.Role{
		RoleName:                 cloudformation.String(c.names.DeployRole(env.Name)),
		Description:              cloudformation.String("Assumed by the pipeline " + c.names.Pipeline() + " to deploy the ecs stack of " + env.Name),
		AssumeRolePolicyDocument: rolesDeployTrust(c),
		Policies: []iam.Role_Policy{{
			PolicyName:     rolesDeployPolicyName,
			PolicyDocument: rolesDeployPolicy(c),
		}},
	}
	t.Resources[rolesExecutionRole] = &iam.Role{
		RoleName:                 cloudformation.String(c.names.ExecutionRole(env.Name)),
		Description:              cloudformation.String("Assumed by CloudFormation to manage the resources of " + c.names.StackName(schema.KindECS(env.Name))),
		AssumeRolePolicyDocument: envServiceTrust("cloudformation.amazonaws.com", nil),
		Policies: []iam.Role_Policy{{
			PolicyName:     rolesExecutionPolicyName,
			PolicyDocument: rolesExecutionPolicy(c),
		}},
	}
	t.Outputs[rolesDeployRoleOutput] = cloudformation.Output{
		Value:       cloudformation.GetAtt(rolesDeployRole, "Arn"),
		Description: cloudformation.String("ARN of the role the pipeline assumes to deploy " + env.Name),
	}
	t.Outputs[rolesExecRoleOutput] = cloudformation.Output{
		Value:       cloudformation.GetAtt(rolesExecutionRole, "Arn"),
		Description: cloudformation.String("ARN of the role CloudFormation runs as in " + env.Name),
	}
	return t, nil
}

// rolesDeployTrust trusts the tooling account's root, narrowed to the
// pipeline role: the trust policy stays valid whether or not the pipeline
// role exists yet.
func rolesDeployTrust(c envCtx) *PolicyDocument {
	return Policy(Statement{
		Effect:    "Allow",
		Principal: map[string]any{"AWS": "arn:aws:iam::" + c.tooling + ":root"},
		Action:    "sts:AssumeRole",
		Condition: map[string]map[string]any{
			"ArnEquals": {"aws:PrincipalArn": schema.RoleARN(c.tooling, c.names.PipelineRole())},
		},
	})
}

// rolesDeployPolicy lets the deploy action create and update exactly this
// environment's ecs stack, pass it the execution role, and read the
// template from the artifact bucket.
func rolesDeployPolicy(c envCtx) *PolicyDocument {
	statements := []Statement{
		Allow("DeployEcsStack", []string{
			"cloudformation:CreateChangeSet",
			"cloudformation:CreateStack",
			"cloudformation:DeleteChangeSet",
			// CREATE_UPDATE deletes a stack left in ROLLBACK_COMPLETE before creating it again.
			"cloudformation:DeleteStack",
			"cloudformation:DescribeChangeSet",
			"cloudformation:DescribeStackEvents",
			"cloudformation:DescribeStackResources",
			"cloudformation:DescribeStacks",
			"cloudformation:ExecuteChangeSet",
			"cloudformation:GetTemplate",
			"cloudformation:UpdateStack",
		}, c.stackARN(schema.KindECS(c.env.Name))),
		// ValidateTemplate has no resource-level permissions: Resource "*".
		Allow("ValidateTemplates", []string{"cloudformation:ValidateTemplate"}, "*"),
		{
			Sid:      "PassExecutionRole",
			Effect:   "Allow",
			Action:   []string{"iam:PassRole"},
			Resource: c.roleARN(c.names.ExecutionRole(c.env.Name)),
			Condition: map[string]map[string]any{
				"StringEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"},
			},
		},
	}
	statements = append(statements, envArtifactReadStatements(c)...)
	statements = append(statements, envDenyStatement(c.sys))
	return Policy(statements...)
}

// rolesExecutionPolicy lets CloudFormation create, update and delete what
// the ecs stack holds, scoped to this environment's names wherever the
// service supports resource-level permissions.
func rolesExecutionPolicy(c envCtx) *PolicyDocument {
	env := c.env.Name
	n := c.names
	lb := n.LoadBalancer(env)
	elb := func(resource string) string { return c.arn("elasticloadbalancing", resource) }
	cluster := n.Cluster(env)
	service := n.ECSService(env)

	roles := []any{
		c.roleARN(n.TaskRole(env)),
		c.roleARN(n.TaskExecutionRole(env)),
		c.roleARN(n.ECSInfrastructureRole(env)),
		c.roleARN(n.FlowLogsRole(env)),
	}
	logGroups := append(c.logGroupARNs(n.ServiceLogGroup(env)), c.logGroupARNs(n.FlowLogGroup(env))...)

	statements := []Statement{
		// EC2 networking resources have no names to scope by; they are scoped
		// to the environment's region. The account part stays open: some
		// resources a request names are not the account's own (the AWS
		// endpoint services of VPC endpoints), and the account's resources
		// are the only ones the role can create or change anyway.
		Allow("ManageNetwork", []string{
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
		}, "arn:aws:ec2:"+c.region+":*:*"),
		Allow("ManageLoadBalancer", []string{
			"elasticloadbalancing:AddTags",
			"elasticloadbalancing:CreateListener",
			"elasticloadbalancing:CreateLoadBalancer",
			"elasticloadbalancing:CreateRule",
			"elasticloadbalancing:CreateTargetGroup",
			"elasticloadbalancing:DeleteListener",
			"elasticloadbalancing:DeleteLoadBalancer",
			"elasticloadbalancing:DeleteRule",
			"elasticloadbalancing:DeleteTargetGroup",
			"elasticloadbalancing:ModifyListener",
			"elasticloadbalancing:ModifyListenerAttributes",
			"elasticloadbalancing:ModifyLoadBalancerAttributes",
			"elasticloadbalancing:ModifyRule",
			"elasticloadbalancing:ModifyTargetGroup",
			"elasticloadbalancing:ModifyTargetGroupAttributes",
			"elasticloadbalancing:RemoveTags",
			"elasticloadbalancing:SetRulePriorities",
			"elasticloadbalancing:SetSecurityGroups",
			"elasticloadbalancing:SetSubnets",
		},
			elb("loadbalancer/app/"+lb+"/*"),
			elb("listener/app/"+lb+"/*"),
			elb("listener-rule/app/"+lb+"/*"),
			elb("targetgroup/"+n.TargetGroup(env, "blue")+"/*"),
			elb("targetgroup/"+n.TargetGroup(env, "green")+"/*"),
		),
		Allow("ManageEcs", []string{
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
			"ecs:TagResource",
			"ecs:UntagResource",
			"ecs:UpdateCluster",
			"ecs:UpdateClusterSettings",
			"ecs:UpdateService",
		},
			c.arn("ecs", "cluster/"+cluster),
			c.arn("ecs", "service/"+cluster+"/"+service),
			c.arn("ecs", "service-deployment/"+cluster+"/"+service+"/*"),
			c.arn("ecs", "service-revision/"+cluster+"/"+service+"/*"),
			c.arn("ecs", "task-definition/"+n.TaskFamily(env)+":*"),
		),
		Allow("ManageLogGroups", []string{
			"logs:CreateLogGroup",
			"logs:DeleteLogGroup",
			"logs:DeleteRetentionPolicy",
			"logs:ListTagsForResource",
			"logs:ListTagsLogGroup",
			"logs:PutRetentionPolicy",
			"logs:TagLogGroup",
			"logs:TagResource",
			"logs:UntagLogGroup",
			"logs:UntagResource",
		}, logGroups...),
		Allow("ManageStackRoles", []string{
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
		}, roles...),
		{
			Sid:      "AttachEcsInfrastructurePolicy",
			Effect:   "Allow",
			Action:   []string{"iam:AttachRolePolicy", "iam:DetachRolePolicy"},
			Resource: c.roleARN(n.ECSInfrastructureRole(env)),
			Condition: map[string]map[string]any{
				"ArnEquals": {"iam:PolicyARN": ecsInfrastructurePolicyARN},
			},
		},
		{
			Sid:      "PassStackRoles",
			Effect:   "Allow",
			Action:   []string{"iam:PassRole"},
			Resource: roles,
			Condition: map[string]map[string]any{
				"StringEquals": {"iam:PassedToService": []string{
					"ecs-tasks.amazonaws.com",
					"ecs.amazonaws.com",
					"vpc-flow-logs.amazonaws.com",
				}},
			},
		},
		{
			// The first ECS cluster and load balancer of an account create
			// their service-linked roles.
			Sid:      "CreateServiceLinkedRoles",
			Effect:   "Allow",
			Action:   []string{"iam:CreateServiceLinkedRole"},
			Resource: "arn:aws:iam::" + c.account + ":role/aws-service-role/*",
			Condition: map[string]map[string]any{
				"StringEquals": {"iam:AWSServiceName": []string{
					"ecs.amazonaws.com",
					"elasticloadbalancing.amazonaws.com",
				}},
			},
		},
		Allow("DescribeRegistrySecret", []string{"secretsmanager:DescribeSecret"}, c.registrySecretARN()),
		// These actions support no resource-level permissions: Resource "*".
		Allow("DescribeWithoutResourceLevelPermissions", []string{
			"cloudformation:ListExports",
			"ec2:DescribeAccountAttributes",
			"ec2:DescribeAddresses",
			"ec2:DescribeAddressesAttribute",
			"ec2:DescribeAvailabilityZones",
			"ec2:DescribeFlowLogs",
			"ec2:DescribeInternetGateways",
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
			"ec2:DescribeVpcEndpointServices",
			"ec2:DescribeVpcEndpoints",
			"ec2:DescribeVpcs",
			"ecs:DeregisterTaskDefinition",
			"ecs:DescribeTaskDefinition",
			"ecs:RegisterTaskDefinition",
			"elasticloadbalancing:DescribeListenerAttributes",
			"elasticloadbalancing:DescribeListeners",
			"elasticloadbalancing:DescribeLoadBalancerAttributes",
			"elasticloadbalancing:DescribeLoadBalancers",
			"elasticloadbalancing:DescribeRules",
			"elasticloadbalancing:DescribeTags",
			"elasticloadbalancing:DescribeTargetGroupAttributes",
			"elasticloadbalancing:DescribeTargetGroups",
			"elasticloadbalancing:DescribeTargetHealth",
			"logs:DescribeLogGroups",
		}, "*"),
	}
	if c.env.Network.NATGateways == 0 {
		// Interface endpoints with private DNS associate the VPC with the
		// endpoint service's private hosted zone.
		statements = append(statements, Allow("AssociateEndpointDNS",
			[]string{"route53:AssociateVPCWithHostedZone"}, "arn:aws:route53:::hostedzone/*"))
	}
	statements = append(statements, envArtifactReadStatements(c)...)
	statements = append(statements, envDenyStatement(c.sys))
	return Policy(statements...)
}
