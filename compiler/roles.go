package compiler

// The roles-<env> stack holds the two roles the pipeline uses in an
// environment's account. It is deployed by apply before the pipeline first
// deploys to the environment.
//
//	Logical id      Type                  What it is
//	DeployRole      AWS::IAM::Role        Names.DeployRole(env): assumed by the pipeline role of the
//	                                      tooling account; runs the CloudFormation deploy actions
//	ExecutionRole   AWS::IAM::Role        Names.ExecutionRole(env): assumed by CloudFormation; creates,
//	                                      updates and deletes the resources of the ecs-<env> and
//	                                      secrets-<env> stacks
//	RolesVersion    AWS::SSM::Parameter   Names.RolesVersionParameter(env): the roles' version,
//	                                      RolesVersion, which the pipeline's stacks assert
//
// Outputs: DeployRoleArn, ExecutionRoleArn, RolesVersion (the pipeline refers
// to the roles by their deterministic ARNs, so nothing is exported).
//
// The stack is the account's bootstrap, applied by a person or CI with
// `cicdgen apply`, never by the pipeline. RolesVersion publishes the roles'
// version, a number that rises only when a cicdgen release changes the
// roles' permissions. Every stack the pipeline deploys into the account
// (ecs-<env>, secrets-<env>) has a parameter RolesVersion of type
// AWS::SSM::Parameter::Value<String> whose default is this parameter's name,
// and a rule CheckRolesVersion that refuses every older version: a stale
// account fails the deploy action at once, before any resource changes,
// with the command that updates it (cicdgen apply system.yaml --stack
// roles-<env>). Both roles may read the parameter (ssm:GetParameters): the
// deploy role creates the change sets, which resolve it.
//
// Both roles carry an explicit Deny of roles.deny plus ec2:TerminateInstances
// in a statement of its own.
//
// Least privilege: every Allow names its actions (no wildcard action) and is
// scoped to this environment's stack, roles, cluster, service, task family,
// load balancer, target groups, log groups and secret by their deterministic
// names; EC2 networking, which has no names, to the environment's region;
// the log key, which has none either, to the KMS keys of the environment's
// account and region. Resource "*" appears only in the statements
// ValidateTemplates (deploy role), DescribeWithoutResourceLevelPermissions,
// CreateWithoutResourceLevelPermissions and ListSecrets (execution role), for actions
// that support no resource-level permissions: cloudformation:ValidateTemplate
// and GetTemplateSummary, cloudformation:ListExports (Fn::ImportValue),
// ec2:DescribeAvailabilityZones (Fn::GetAZs), the Describe and List calls of
// the resource handlers, ecs:RegisterTaskDefinition, DeregisterTaskDefinition
// and DescribeTaskDefinition, kms:CreateKey, logs:CreateLogDelivery and
// DeleteLogDelivery, ecs:PutAccountSetting and secretsmanager:ListSecrets.
//
// The execution role grants every permission the CloudFormation resource
// handlers of the ecs stack's types list for create, read, update, delete
// and list (the registry schemas' "handlers"), except those of features the
// stack never uses; TestExecutionRoleCoversHandlerPermissions checks it
// against testdata/handler-permissions.json and names each exception.

import (
	"slices"

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
	execution := rolesExecutionPolicy(c)
	execution.Statement = append(execution.Statement, rolesExecutionBootstrapStatements(c)...)
	t.Resources[rolesExecutionRole] = &iam.Role{
		RoleName: cloudformation.String(c.names.ExecutionRole(env.Name)),
		Description: cloudformation.String("Assumed by CloudFormation to manage the resources of " +
			c.names.StackName(schema.KindECS(env.Name)) + " and " + c.names.StackName(schema.KindSecrets(env.Name))),
		AssumeRolePolicyDocument: envServiceTrust("cloudformation.amazonaws.com", nil),
		Policies: []iam.Role_Policy{{
			PolicyName:     rolesExecutionPolicyName,
			PolicyDocument: execution,
		}},
	}
	addRolesVersion(c, t)
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

// rolesDeployPolicy lets the deploy actions create and update exactly this
// environment's ecs and secrets stacks, pass them the execution role, read
// the roles' version (the change sets it creates resolve it) and read the
// templates from the artifact bucket. The secrets stack is granted whether
// or not the environment has one, so that adding a managed secret later
// needs no new roles version.
func rolesDeployPolicy(c envCtx) *PolicyDocument {
	statements := []Statement{
		Allow("DeployStacks", []string{
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
			// The stack carries the template configuration's tags; tagging
			// on create and update is authorized as TagResource.
			"cloudformation:TagResource",
			"cloudformation:UntagResource",
			"cloudformation:UpdateStack",
		}, c.stackARN(schema.KindECS(c.env.Name)), c.stackARN(schema.KindSecrets(c.env.Name))),
		rolesReadVersionStatement(c),
		// ValidateTemplate and GetTemplateSummary read a template, not a
		// stack: they have no resource-level permissions, Resource "*".
		Allow("ValidateTemplates", []string{"cloudformation:GetTemplateSummary", "cloudformation:ValidateTemplate"}, "*"),
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

// rolesExecutionBootstrapStatements are the execution role's statements
// beside rolesExecutionPolicy: reading the roles' version, and managing the
// managed secrets of the secrets-<env> stack (named <name>/<env>/<suffix>/…,
// so granted whether or not the environment has one yet). The handlers of
// AWS::SecretsManager::Secret read the secret's value; ListSecrets, their
// list handler's, supports no resource-level permissions.
func rolesExecutionBootstrapStatements(c envCtx) []Statement {
	secrets := c.arn("secretsmanager", "secret:"+c.names.ManagedSecret(c.env.Name, "*"))
	return []Statement{
		rolesReadVersionStatement(c),
		Allow("ManageManagedSecrets", []string{
			"secretsmanager:CreateSecret",
			"secretsmanager:DeleteSecret",
			"secretsmanager:DescribeSecret",
			"secretsmanager:GetSecretValue",
			"secretsmanager:TagResource",
			"secretsmanager:UntagResource",
			"secretsmanager:UpdateSecret",
		}, secrets),
		Allow("ListSecrets", []string{"secretsmanager:ListSecrets"}, "*"),
	}
}

// rolesExecutionDescribeActions are the read actions of the execution role
// that support no resource-level permissions.
var rolesExecutionDescribeActions = []string{
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

	ecsRoles := []any{
		c.roleARN(n.TaskRole(env)),
		c.roleARN(n.TaskExecutionRole(env)),
		c.roleARN(n.ECSInfrastructureRole(env)),
	}
	flowLogsRole := c.roleARN(n.FlowLogsRole(env))
	roles := append(slices.Clone(ecsRoles), flowLogsRole)
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
		},
			elb("loadbalancer/app/"+lb+"/*"),
			elb("listener/app/"+lb+"/*"),
			elb("listener-rule/app/"+lb+"/*"),
			elb("targetgroup/"+n.TargetGroupPattern(env, "blue")+"/*"),
			elb("targetgroup/"+n.TargetGroupPattern(env, "green")+"/*"),
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
			// A stack rollback or an update during a deployment stops it.
			"ecs:StopServiceDeployment",
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
		}, logGroups...),
		// The stack's log key (LogKey) has no name to scope by before it
		// exists: the keys of the environment's account and region. The
		// ECS cluster's handler describes keys too.
		Allow("ManageLogKey", []string{
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
		}, c.arn("kms", "key/*")),
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
			Resource: ecsRoles,
			Condition: map[string]map[string]any{
				"StringEquals": {"iam:PassedToService": []string{
					"ecs-tasks.amazonaws.com",
					"ecs.amazonaws.com",
				}},
			},
		},
		// EC2 documents the permission to pass the flow logs role without
		// a service condition and names no iam:PassedToService value for
		// it; the one role it covers trusts only VPC Flow Logs.
		Allow("PassFlowLogsRole", []string{"iam:PassRole"}, flowLogsRole),
		{
			// The first ECS cluster, load balancer and flow log of an
			// account create their service-linked roles.
			Sid:      "CreateServiceLinkedRoles",
			Effect:   "Allow",
			Action:   []string{"iam:CreateServiceLinkedRole"},
			Resource: "arn:aws:iam::" + c.account + ":role/aws-service-role/*",
			Condition: map[string]map[string]any{
				"StringEquals": {"iam:AWSServiceName": []string{
					"ecs.amazonaws.com",
					"elasticloadbalancing.amazonaws.com",
					"vpc-flow-logs.amazonaws.com",
				}},
			},
		},
		// These actions support no resource-level permissions: Resource "*".
		// cloudformation:ListExports resolves Fn::ImportValue,
		// ec2:DescribeAvailabilityZones Fn::GetAZs; the others are what the
		// resource handlers of the stack's types read (their "list"
		// handlers included).
		Allow("DescribeWithoutResourceLevelPermissions", rolesExecutionDescribeActions, "*"),
		// Writes without resource-level permissions: a new key has no ARN
		// before CreateKey; log deliveries are the flow log's; and
		// PutAccountSetting changes the calling role's own ECS settings only.
		Allow("CreateWithoutResourceLevelPermissions", []string{
			"ecs:PutAccountSetting",
			"kms:CreateKey",
			"logs:CreateLogDelivery",
			"logs:DeleteLogDelivery",
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
