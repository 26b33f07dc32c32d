package compiler

// The roles-<env> stack is each environment account's bootstrap: a person
// or CI applies it with `cicdgen apply`, the pipeline never does (a role must
// not update itself). It publishes its version in the SSM parameter
// Names.RolesVersionParameter(env), and every template the pipeline deploys
// into that account (ecs-<env>, secrets-<env>) asserts it, as CDK's
// CheckBootstrapVersion rule does:
//
//	Parameters:
//	  RolesVersion:            Type AWS::SSM::Parameter::Value<String>,
//	                           Default /<name>/<env>/<suffix>/roles-version
//	Rules:
//	  CheckRolesVersion:       Fn::Not [Fn::Contains [["0", …, "<RolesVersion-1>"], Ref RolesVersion]]
//	                           AssertDescription: the cicdgen apply command that updates the roles
//
// CloudFormation resolves the parameter and checks the rule when the change
// set is created, before any resource changes, so a stale account fails the
// deploy action at once with the command that fixes it rather than halfway
// through with AccessDenied. In a pipeline's CloudFormation action the
// change set is created by the action's role (the deploy role), so the deploy
// role may read the parameter (ssm:GetParameters); the execution role may
// too. An account whose roles predate the parameter fails on resolving it,
// naming the parameter. "0" stands for such roles and keeps the list of
// too-old versions non-empty; no roles stack publishes it.
//
// RolesVersion rises only when the roles' permissions change:
// TestRolesVersionMatchesPermissions keeps a hash of the roles' policies per
// version in testdata/roles-versions.json and fails when they change without
// a new version.

import (
	"strconv"

	"github.com/awslabs/goformation/v7/cloudformation/ssm"
	"github.com/cicdgen/cicdgen/compiler/cfn"

	"github.com/cicdgen/cicdgen/schema"
)

// RolesVersion is the version of the roles-<env> stacks' permissions. Raise
// it by one whenever the permissions of the deploy or execution role change
// (TestRolesVersionMatchesPermissions says when), never otherwise: every
// account then needs `cicdgen apply --stack roles-<env>` before the pipeline
// deploys there again.
const RolesVersion = 1

// Logical ids of the roles version, in the roles stack and in the stacks
// that assert it.
const (
	rolesVersionResource = "RolesVersion"      // AWS::SSM::Parameter of roles-<env>, and its output
	rolesVersionParam    = "RolesVersion"      // the parameter of ecs-<env> and secrets-<env>
	rolesVersionRule     = "CheckRolesVersion" // their rule
)

// addRolesVersion adds the version parameter to the roles template t.
func addRolesVersion(c envCtx, t *cfn.Template) {
	name := c.names.RolesVersionParameter(c.env.Name)
	t.Resources[rolesVersionResource] = &ssm.Parameter{
		Name:        cfn.String(name),
		Type:        "String",
		Value:       strconv.Itoa(RolesVersion),
		Description: cfn.String("Version of the roles of " + c.names.StackName(schema.KindRoles(c.env.Name)) + "; the stacks the pipeline deploys here require it"),
	}
	t.Outputs[rolesVersionResource] = cfn.Output{
		Value:       cfn.GetAtt(rolesVersionResource, "Value"),
		Description: cfn.String("Version of these roles (SSM parameter " + name + ")"),
	}
}

// rolesVersionARN is the ARN of the environment's version parameter.
func rolesVersionARN(c envCtx) string {
	// A parameter name that starts with / follows "parameter" directly.
	return c.arn("ssm", "parameter"+c.names.RolesVersionParameter(c.env.Name))
}

// rolesReadVersionStatement lets a role resolve the version parameter, as
// CloudFormation does with the caller's credentials when it creates a
// change set of a template that asserts the version.
func rolesReadVersionStatement(c envCtx) Statement {
	return Allow("ReadRolesVersion", []string{"ssm:GetParameters"}, rolesVersionARN(c))
}

// addRolesVersionAssertion adds to t, the template of a stack the pipeline
// deploys into env, the version parameter and the rule that asserts it.
func addRolesVersionAssertion(sys *schema.System, env *schema.Environment, t *cfn.Template) {
	names := schema.NamesOf(sys)
	t.Parameters[rolesVersionParam] = cfn.Parameter{
		Type:        "AWS::SSM::Parameter::Value<String>",
		Default:     names.RolesVersionParameter(env.Name),
		Description: cfn.String("Version of the roles of " + names.StackName(schema.KindRoles(env.Name)) + ", resolved from SSM Parameter Store; leave the default"),
	}
	tooOld := make([]string, RolesVersion)
	for v := range tooOld {
		tooOld[v] = strconv.Itoa(v)
	}
	if t.Rules == nil {
		t.Rules = cfn.Rules{}
	}
	t.Rules[rolesVersionRule] = cfn.Rule{Assertions: []cfn.RuleAssertion{{
		Assert:            cfn.RuleNot(cfn.RuleContains(tooOld, cfn.RuleRef(rolesVersionParam))),
		AssertDescription: rolesVersionMessage(sys, env),
	}}}
}

// rolesVersionMessage is the description of a failed version assertion:
// what is stale and the command that updates it.
func rolesVersionMessage(sys *schema.System, env *schema.Environment) string {
	names := schema.NamesOf(sys)
	acct := sys.AccountOf(env)
	msg := "The roles stack " + names.StackName(schema.KindRoles(env.Name)) + " of account " + acct.ID + " (" + env.Region +
		") is older than version " + strconv.Itoa(RolesVersion) + ", which this template needs. Update it, then retry: " +
		"cicdgen apply system.yaml --stack " + schema.KindRoles(env.Name)
	switch {
	case acct.Role != "":
		msg += " (apply assumes " + acct.Role + " in that account)"
	case acct.Profile != "":
		msg += " (apply uses the profile " + acct.Profile + ")"
	}
	return msg
}
