package compiler

import (
	"fmt"

	"github.com/awslabs/goformation/v7/cloudformation/policies"

	"github.com/cicdgen/cicdgen/schema"
)

// envCtx holds what the builders of an environment's stacks (roles, secrets,
// ecs) derive from the system and the environment.
type envCtx struct {
	sys     *schema.System
	env     *schema.Environment
	names   schema.Names
	account string // the environment's account id
	tooling string // the tooling account id
	region  string // the environment's region
}

func newEnvCtx(sys *schema.System, env *schema.Environment) envCtx {
	return envCtx{
		sys:     sys,
		env:     env,
		names:   schema.NamesOf(sys),
		account: sys.AccountOf(env).ID,
		tooling: sys.Tooling().ID,
		region:  env.Region,
	}
}

// roleARN is the ARN of the role name in the environment's account.
func (c envCtx) roleARN(name string) string { return schema.RoleARN(c.account, name) }

// arn builds arn:aws:<service>:<env region>:<env account>:<resource>.
func (c envCtx) arn(service, resource string) string {
	return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, c.region, c.account, resource)
}

// stackARN is the ARN pattern of every incarnation of the stack of kind.
func (c envCtx) stackARN(kind string) string {
	return c.arn("cloudformation", "stack/"+c.names.StackName(kind)+"/*")
}

// logGroupARNs are the ARNs of a log group and of its streams.
func (c envCtx) logGroupARNs(name string) []any {
	return []any{c.arn("logs", "log-group:"+name), c.arn("logs", "log-group:"+name+":*")}
}

// artifactBucket is the artifact bucket of the environment's region in the
// tooling account.
func (c envCtx) artifactBucket() string { return c.names.ArtifactBucket(c.region) }

// envDenyStatement denies the system's dangerous actions (roles.deny plus
// ec2:TerminateInstances) on everything. An explicit Deny wins over every
// Allow, including one an override might add.
func envDenyStatement(sys *schema.System) Statement {
	return Deny("DenyDangerousActions", sys.Roles.EffectiveDeny(), "*")
}

// envArtifactReadStatements let a role in the environment account read the
// pipeline's artifacts: the objects of the artifact bucket of the
// environment's region, and decryption with the artifact key of that region.
// KMS keys cannot be named, so the grant is on the keys of the tooling
// account in that region, used through S3 in that region only (the
// artifacts are SSE-KMS objects, which S3 decrypts for the caller). A key
// is usable across accounts only when its own key policy also grants the
// environment account, which only the artifact key's policy does.
func envArtifactReadStatements(c envCtx) []Statement {
	bucket := c.artifactBucket()
	return []Statement{
		Allow("ReadArtifacts", []string{"s3:GetObject", "s3:GetObjectVersion"}, "arn:aws:s3:::"+bucket+"/*"),
		Allow("LocateArtifactBucket", []string{"s3:GetBucketLocation", "s3:GetBucketVersioning", "s3:ListBucket"}, "arn:aws:s3:::"+bucket),
		{
			Sid:      "DecryptArtifacts",
			Effect:   "Allow",
			Action:   []string{"kms:Decrypt", "kms:DescribeKey"},
			Resource: fmt.Sprintf("arn:aws:kms:%s:%s:key/*", c.region, c.tooling),
			Condition: map[string]map[string]any{
				"StringEquals": {"kms:ViaService": "s3." + c.region + ".amazonaws.com"},
			},
		},
	}
}

// envServiceTrust is a trust policy that lets an AWS service principal
// assume a role.
func envServiceTrust(service string, condition map[string]map[string]any) *PolicyDocument {
	return Policy(Statement{
		Effect:    "Allow",
		Principal: map[string]any{"Service": service},
		Action:    "sts:AssumeRole",
		Condition: condition,
	})
}

// envRetention returns the policies of a resource that protect: true keeps
// (log groups, keys, secrets): in a protected environment DeletionPolicy
// RetainExceptOnCreate, so that a stack whose first create failed rolls back
// completely and can be created again (a plain Retain would leave the named
// resource behind and the next create would collide with it), and
// UpdateReplacePolicy Retain, so that a replacement keeps the old resource.
// Otherwise nothing (the orchestrator then sets DeletionPolicy Delete).
func envRetention(env *schema.Environment) (policies.DeletionPolicy, policies.UpdateReplacePolicy) {
	if env.Protect {
		return policies.DeletionPolicy("RetainExceptOnCreate"), policies.UpdateReplacePolicy("Retain")
	}
	return "", ""
}

// envExportName is the export name of output of the stack of kind:
// <stackName>:<output>.
func envExportName(names schema.Names, kind, output string) string {
	return names.StackName(kind) + ":" + output
}
