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
// ValidateTemplates (deploy role), DescribeWithoutResourceLevelPermissions
// and CreateWithoutResourceLevelPermissions (execution role), for actions
// that support no resource-level permissions: cloudformation:ValidateTemplate
// and GetTemplateSummary, cloudformation:ListExports (Fn::ImportValue),
// ec2:DescribeAvailabilityZones (Fn::GetAZs), the Describe and List calls of
// the resource handlers, ecs:RegisterTaskDefinition, DeregisterTaskDefinition
// and DescribeTaskDefinition, kms:CreateKey, logs:CreateLogDelivery and
// DeleteLogDelivery, ecs:PutAccountSetting and secretsmanager:ListSecrets
// (the managed secrets' list handler).
//
// The execution role grants every permission the CloudFormation resource
// handlers of the ecs stack's types list for create, read, update, delete
// and list (the registry schemas' "handlers"), except those of features the
// stack never uses; TestExecutionRoleCoversHandlerPermissions checks it
// against testdata/handler-permissions.json and names each exception.

import (
	"github.com/awslabs/goformation/v7/cloudformation/iam"
	"github.com/cicdgen/cicdgen/compiler/cfn"

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

func buildRoles(sys *schema.System, env *schema.Environment) (*cfn.Template, map[string]Parameter) {
	c := newEnvCtx(sys, env)
	t := cfn.NewTemplate()
	t.Description = "cicdgen " + sys.Name + ": deploy and CloudFormation execution roles of environment " + env.Name

	t.Resources[rolesDeployRole] = &iam.Role{
		RoleName:                 cfn.String(c.names.DeployRole(env.Name)),
		Description:              cfn.String("Assumed by the pipeline " + c.names.Pipeline() + " to deploy the ecs stack of " + env.Name),
		AssumeRolePolicyDocument: rolesDeployTrust(c),
		Policies: []iam.Role_Policy{{
			PolicyName:     rolesDeployPolicyName,
			PolicyDocument: rolesDeployPolicy(c),
		}},
	}
	t.Resources[rolesExecutionRole] = &iam.Role{
		RoleName: cfn.String(c.names.ExecutionRole(env.Name)),
		Description: cfn.String("Assumed by CloudFormation to manage the resources of " +
			c.names.StackName(schema.KindECS(env.Name)) + " and " + c.names.StackName(schema.KindSecrets(env.Name))),
		AssumeRolePolicyDocument: envServiceTrust("cloudformation.amazonaws.com", nil),
		Policies: []iam.Role_Policy{{
			PolicyName:     rolesExecutionPolicyName,
			PolicyDocument: rolesExecutionPolicy(c),
		}},
	}
	addRolesVersion(c, t)
	t.Outputs[rolesDeployRoleOutput] = cfn.Output{
		Value:       cfn.GetAtt(rolesDeployRole, "Arn"),
		Description: cfn.String("ARN of the role the pipeline assumes to deploy " + env.Name),
	}
	t.Outputs[rolesExecRoleOutput] = cfn.Output{
		Value:       cfn.GetAtt(rolesExecutionRole, "Arn"),
		Description: cfn.String("ARN of the role CloudFormation runs as in " + env.Name),
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
