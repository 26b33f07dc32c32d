package compiler

import (
	"fmt"
	"sort"
	"strings"

	"github.com/awslabs/goformation/v7/cloudformation"
	"github.com/awslabs/goformation/v7/cloudformation/kms"
	"github.com/awslabs/goformation/v7/cloudformation/s3"

	"github.com/cicdgen/cicdgen/schema"
)

// This file holds what the tooling-account stacks (pipeline, artifacts-<region>,
// monitoring) share: the grants to environment accounts, the artifact store
// (KMS key, alias, bucket, bucket policy) that the home region and every
// support region get alike, and the bucket hygiene of every tooling bucket.

// Output names of the artifact store, in the pipeline stack (home region) and
// in every artifacts-<region> stack.
const (
	toolingOutputArtifactBucketName = "ArtifactBucketName"
	toolingOutputArtifactKeyArn     = "ArtifactKeyArn"
)

// Logical ids of the artifact store, the same in the pipeline stack and in
// the artifacts-<region> stacks.
const (
	toolingArtifactKeyID          = "ArtifactKey"
	toolingArtifactKeyAliasID     = "ArtifactKeyAlias"
	toolingArtifactBucketID       = "ArtifactBucket"
	toolingArtifactBucketPolicyID = "ArtifactBucketPolicy"
)

// Actions the environment accounts' deploy and execution roles need to read
// pipeline artifacts: the objects, and the bucket calls S3 clients make first.
var (
	toolingArtifactReadActions = []string{
		"s3:GetBucketLocation",
		"s3:GetObject",
		"s3:GetObjectVersion",
		"s3:ListBucket",
	}
	toolingArtifactDecryptActions = []string{"kms:Decrypt", "kms:DescribeKey"}
	// toolingKeyUseActions are what a tooling role that reads and writes
	// artifacts needs on the artifact key. Listed one by one (no wildcards).
	toolingKeyUseActions = []string{
		"kms:Decrypt",
		"kms:DescribeKey",
		"kms:Encrypt",
		"kms:GenerateDataKey",
	}
)

// toolingRoot returns the ARN of the root principal of account: trusting it
// never fails, even when the role that will use the grant does not exist yet.
func toolingRoot(account string) string {
	return fmt.Sprintf("arn:aws:iam::%s:root", account)
}

// toolingEnvsIn returns the environments that deploy into region, in
// promotion order.
func toolingEnvsIn(sys *schema.System, region string) []*schema.Environment {
	var out []*schema.Environment
	for i := range sys.Environments {
		if sys.Environments[i].Region == region {
			out = append(out, &sys.Environments[i])
		}
	}
	return out
}

// toolingAllEnvs returns every environment, in promotion order.
func toolingAllEnvs(sys *schema.System) []*schema.Environment {
	out := make([]*schema.Environment, len(sys.Environments))
	for i := range sys.Environments {
		out[i] = &sys.Environments[i]
	}
	return out
}

// toolingEnvGrant returns an Allow statement of actions on resources for the
// roles that roles names (one name per environment each, e.g. Names.DeployRole)
// in the accounts of envs, and false when envs is empty.
//
// Without an organization, the principal is the list of the accounts' roots
// (sorted, without repeats) narrowed by ArnEquals aws:PrincipalArn to the
// roles' exact ARNs (sorted): one statement however many environments, and a
// grant that does not fail while the roles do not exist yet. With an
// organization, the principal is "*" narrowed by aws:PrincipalOrgID and by
// ArnLike aws:PrincipalArn patterns (the role names with "*" for the
// environment), so the statement has the same size at any scale.
func toolingEnvGrant(sys *schema.System, sid string, envs []*schema.Environment, roles []func(env string) string, actions []string, resources ...any) (Statement, bool) {
	if len(envs) == 0 {
		return Statement{}, false
	}
	st := Statement{Sid: sid, Effect: "Allow", Action: actions}
	if len(resources) > 0 {
		st.Resource = resourceList(resources)
	}
	if sys.Organization != "" {
		patterns := make([]string, 0, len(roles))
		for _, role := range roles {
			patterns = append(patterns, schema.RoleARN("*", role("*")))
		}
		st.Principal = map[string]any{"AWS": "*"}
		st.Condition = map[string]map[string]any{
			"StringEquals": {"aws:PrincipalOrgID": sys.Organization},
			"ArnLike":      {"aws:PrincipalArn": patterns},
		}
		return st, true
	}
	var roots, arns []string
	seenRoot := map[string]bool{}
	for _, env := range envs {
		acct := sys.AccountOf(env).ID
		if !seenRoot[acct] {
			seenRoot[acct] = true
			roots = append(roots, toolingRoot(acct))
		}
		for _, role := range roles {
			arns = append(arns, schema.RoleARN(acct, role(env.Name)))
		}
	}
	sort.Strings(roots)
	arns = toolingSortedUnique(arns)
	st.Principal = map[string]any{"AWS": roots}
	st.Condition = map[string]map[string]any{"ArnEquals": {"aws:PrincipalArn": arns}}
	return st, true
}

// toolingSortedUnique sorts s and drops repeats, in place.
func toolingSortedUnique(s []string) []string {
	sort.Strings(s)
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// toolingRolesGrant returns an Allow statement of actions on the key for the
// tooling account's own roles roleARNs: the account root narrowed with
// aws:PrincipalArn, so the key policy never names a role before it exists.
func toolingRolesGrant(sys *schema.System, sid string, roleARNs []string, actions []string) Statement {
	return Statement{
		Sid:       sid,
		Effect:    "Allow",
		Principal: map[string]any{"AWS": toolingRoot(sys.Tooling().ID)},
		Action:    actions,
		Resource:  "*",
		Condition: map[string]map[string]any{"ArnEquals": {"aws:PrincipalArn": roleARNs}},
	}
}

// toolingKeyAdmin is the first statement of every tooling key policy: the
// tooling account administers the key and may delegate its use through IAM
// policies, so the key can never become unmanageable.
func toolingKeyAdmin(sys *schema.System) Statement {
	return Statement{
		Sid:       "KeyAdministration",
		Effect:    "Allow",
		Principal: map[string]any{"AWS": toolingRoot(sys.Tooling().ID)},
		Action:    "kms:*",
		Resource:  "*",
	}
}

// toolingPipelineRoleARN returns the ARN of the pipeline role.
func toolingPipelineRoleARN(sys *schema.System) string {
	return schema.RoleARN(sys.Tooling().ID, schema.NamesOf(sys).PipelineRole())
}

// toolingCodeBuildRoleARN returns the ARN of the CodeBuild role.
func toolingCodeBuildRoleARN(sys *schema.System) string {
	return schema.RoleARN(sys.Tooling().ID, schema.NamesOf(sys).CodeBuildRole())
}

// toolingBucketARN returns the ARN of the bucket called name.
func toolingBucketARN(name string) string { return "arn:aws:s3:::" + name }

// toolingDenyInsecureTransport denies every request to the bucket called name
// that does not use TLS.
func toolingDenyInsecureTransport(name string) Statement {
	arn := toolingBucketARN(name)
	return Statement{
		Sid:       "DenyInsecureTransport",
		Effect:    "Deny",
		Principal: map[string]any{"AWS": "*"},
		Action:    "s3:*",
		Resource:  []any{arn, arn + "/*"},
		Condition: map[string]map[string]any{"Bool": {"aws:SecureTransport": "false"}},
	}
}

// toolingBucket returns a private bucket called name: SSE-KMS with the key
// keyARN and an S3 Bucket Key, versioning, every public access blocked,
// ACLs disabled (BucketOwnerEnforced), and a lifecycle that expires objects
// after expireDays and noncurrent versions after noncurrentDays.
//
// Server access logging is not configured: it would need a further log
// bucket per region (which could not log itself); CloudTrail data events
// are the audit trail of these buckets where one is required.
func toolingBucket(name, keyARN string, expireDays, noncurrentDays int) *s3.Bucket {
	return &s3.Bucket{
		BucketName: cloudformation.String(name),
		BucketEncryption: &s3.Bucket_BucketEncryption{
			ServerSideEncryptionConfiguration: []s3.Bucket_ServerSideEncryptionRule{{
				BucketKeyEnabled: cloudformation.Bool(true),
				ServerSideEncryptionByDefault: &s3.Bucket_ServerSideEncryptionByDefault{
					SSEAlgorithm:   "aws:kms",
					KMSMasterKeyID: cloudformation.String(keyARN),
				},
			}},
		},
		VersioningConfiguration: &s3.Bucket_VersioningConfiguration{Status: "Enabled"},
		PublicAccessBlockConfiguration: &s3.Bucket_PublicAccessBlockConfiguration{
			BlockPublicAcls:       cloudformation.Bool(true),
			BlockPublicPolicy:     cloudformation.Bool(true),
			IgnorePublicAcls:      cloudformation.Bool(true),
			RestrictPublicBuckets: cloudformation.Bool(true),
		},
		OwnershipControls: &s3.Bucket_OwnershipControls{
			Rules: []s3.Bucket_OwnershipControlsRule{{ObjectOwnership: cloudformation.String("BucketOwnerEnforced")}},
		},
		LifecycleConfiguration: &s3.Bucket_LifecycleConfiguration{
			Rules: []s3.Bucket_Rule{{
				Id:               cloudformation.String("Expire"),
				Status:           "Enabled",
				ExpirationInDays: cloudformation.Int(expireDays),
				NoncurrentVersionExpiration: &s3.Bucket_NoncurrentVersionExpiration{
					NoncurrentDays: noncurrentDays,
				},
				AbortIncompleteMultipartUpload: &s3.Bucket_AbortIncompleteMultipartUpload{
					DaysAfterInitiation: 1,
				},
			}},
		},
	}
}

// toolingRegionParam returns the name of the pipeline template's parameter
// that carries the artifact key ARN of a support region: ArtifactKeyArn plus
// the region without dashes, each part capitalised (us-west-2 →
// ArtifactKeyArnUsWest2).
func toolingRegionParam(region string) string {
	var b strings.Builder
	b.WriteString(toolingOutputArtifactKeyArn)
	for _, part := range strings.Split(region, "-") {
		if part == "" {
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]))
		b.WriteString(part[1:])
	}
	return b.String()
}

// addArtifactStore adds the artifact store of region to t: the
// customer-managed KMS key (rotation on) and its alias, and the artifact
// bucket with its policy.
//
// The key policy lets the tooling account administer the key; lets the
// tooling roles in toolingRoleARNs (the pipeline role, and in the home region
// the CodeBuild role) use it; and lets the deploy and execution roles of the
// environments that deploy in region decrypt. The bucket policy denies
// requests without TLS and lets the same environment roles read.
func addArtifactStore(t *cloudformation.Template, sys *schema.System, region string, toolingRoleARNs []string) {
	names := schema.NamesOf(sys)
	envs := toolingEnvsIn(sys, region)
	envRoles := []func(string) string{names.DeployRole, names.ExecutionRole}
	bucketName := names.ArtifactBucket(region)
	bucketARN := toolingBucketARN(bucketName)

	keyPolicy := Policy(
		toolingKeyAdmin(sys),
		toolingRolesGrant(sys, "ToolingRolesUseKey", toolingRoleARNs, toolingKeyUseActions),
	)
	if st, ok := toolingEnvGrant(sys, "EnvironmentRolesDecrypt", envs, envRoles, toolingArtifactDecryptActions, "*"); ok {
		keyPolicy.Statement = append(keyPolicy.Statement, st)
	}
	t.Resources[toolingArtifactKeyID] = &kms.Key{
		Description:       cloudformation.String(fmt.Sprintf("Pipeline artifacts of %s in %s", names.Pipeline(), region)),
		EnableKeyRotation: cloudformation.Bool(true),
		KeyPolicy:         keyPolicy,
	}
	t.Resources[toolingArtifactKeyAliasID] = &kms.Alias{
		AliasName:   names.ArtifactKeyAlias(region),
		TargetKeyId: cloudformation.Ref(toolingArtifactKeyID),
	}

	keyARN := cloudformation.GetAtt(toolingArtifactKeyID, "Arn")
	retention := sys.Artifacts.RetentionDays
	t.Resources[toolingArtifactBucketID] = toolingBucket(bucketName, keyARN, retention, retention)

	bucketPolicy := Policy(toolingDenyInsecureTransport(bucketName))
	if st, ok := toolingEnvGrant(sys, "EnvironmentRolesRead", envs, envRoles, toolingArtifactReadActions, bucketARN, bucketARN+"/*"); ok {
		bucketPolicy.Statement = append(bucketPolicy.Statement, st)
	}
	t.Resources[toolingArtifactBucketPolicyID] = &s3.BucketPolicy{
		Bucket:         cloudformation.Ref(toolingArtifactBucketID),
		PolicyDocument: bucketPolicy,
	}

	t.Outputs[toolingOutputArtifactBucketName] = cloudformation.Output{
		Description: cloudformation.String("Artifact bucket of the pipeline in " + region),
		Value:       cloudformation.Ref(toolingArtifactBucketID),
	}
	t.Outputs[toolingOutputArtifactKeyArn] = cloudformation.Output{
		Description: cloudformation.String("ARN of the KMS key of the artifact bucket in " + region),
		Value:       keyARN,
	}
}
