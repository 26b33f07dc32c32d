package compiler

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/awslabs/goformation/v7/cloudformation/ecr"
	"github.com/awslabs/goformation/v7/cloudformation/kms"
	"github.com/awslabs/goformation/v7/cloudformation/s3"
	"github.com/cicdgen/cicdgen/compiler/cfn"

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
// They match what the roles' own policies (roles-<env>) allow on the bucket:
// across accounts, a call needs both the caller's policy and the bucket's.
var (
	toolingArtifactReadActions = []string{
		"s3:GetBucketLocation",
		"s3:GetBucketVersioning",
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
	st := Statement{Sid: sid, Effect: "Allow", Action: slices.Clone(actions)}
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
	slices.Sort(s)
	return slices.Compact(s)
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

// toolingDenyNonServiceGrants is the last statement of every tooling key
// policy: nobody may create a grant on the key unless an AWS service asks
// for it or the grant is for an AWS resource (Control Tower's CT.KMS.PR.3).
// Grants are the one way to hand a key's use on without a policy change;
// none of the services these keys serve (S3 with bucket keys, CodeBuild,
// CodePipeline, SNS, CloudWatch Logs) needs a grant created by a principal.
// The conditions use BoolIfExists so that a request without the keys is
// denied too.
func toolingDenyNonServiceGrants() Statement {
	return Statement{
		Sid:       "DenyGrantsExceptForAWSServices",
		Effect:    "Deny",
		Principal: map[string]any{"AWS": "*"},
		Action:    "kms:CreateGrant",
		Resource:  "*",
		Condition: map[string]map[string]any{"BoolIfExists": {
			"aws:PrincipalIsAWSService": "false",
			"kms:GrantIsForAWSResource": "false",
		}},
	}
}

// toolingKeyPolicy returns the policy of a tooling key: the administration
// statement, then grants, then the deny of grants that are not for AWS
// services.
func toolingKeyPolicy(sys *schema.System, grants ...Statement) *PolicyDocument {
	statements := append([]Statement{toolingKeyAdmin(sys)}, grants...)
	return Policy(append(statements, toolingDenyNonServiceGrants())...)
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

// Logical ids of the server access log bucket of a tooling stack that has
// buckets (the pipeline stack and every artifacts-<region> stack).
const (
	toolingAccessLogBucketID       = "AccessLogBucket"
	toolingAccessLogBucketPolicyID = "AccessLogBucketPolicy"
)

// toolingAccessLogMinDays is the shortest time server access logs are kept:
// a year, or longer when artifacts are kept longer, so that every stored
// artifact's reads can be traced.
const toolingAccessLogMinDays = 365

// toolingAccessLogBucket returns the name of the server access log bucket of
// region (schema.Names.AccessLogBucket).
func toolingAccessLogBucket(sys *schema.System, region string) string {
	return schema.NamesOf(sys).AccessLogBucket(region)
}

// toolingAccessLogPrefix returns the key prefix under which the access logs
// of the bucket called name are delivered: the bucket's name and a slash.
func toolingAccessLogPrefix(name string) string { return name + "/" }

// toolingBucketHygiene sets what every tooling bucket has: every public
// access blocked, ACLs disabled (BucketOwnerEnforced), and S3 events sent to
// EventBridge's default bus (free of charge, and what rules or audits of
// the artifacts subscribe to).
func toolingBucketHygiene(b *s3.Bucket) *s3.Bucket {
	b.PublicAccessBlockConfiguration = &s3.Bucket_PublicAccessBlockConfiguration{
		BlockPublicAcls:       cfn.Bool(true),
		BlockPublicPolicy:     cfn.Bool(true),
		IgnorePublicAcls:      cfn.Bool(true),
		RestrictPublicBuckets: cfn.Bool(true),
	}
	b.OwnershipControls = &s3.Bucket_OwnershipControls{
		Rules: []s3.Bucket_OwnershipControlsRule{{ObjectOwnership: cfn.String("BucketOwnerEnforced")}},
	}
	b.NotificationConfiguration = &s3.Bucket_NotificationConfiguration{
		EventBridgeConfiguration: &s3.Bucket_EventBridgeConfiguration{EventBridgeEnabled: true},
	}
	return b
}

// toolingLifecycle returns a lifecycle that expires objects after
// expireDays, noncurrent versions after noncurrentDays, and incomplete
// multipart uploads after a day.
func toolingLifecycle(expireDays, noncurrentDays int) *s3.Bucket_LifecycleConfiguration {
	return &s3.Bucket_LifecycleConfiguration{
		Rules: []s3.Bucket_Rule{{
			Id:               cfn.String("Expire"),
			Status:           "Enabled",
			ExpirationInDays: cfn.Int(expireDays),
			NoncurrentVersionExpiration: &s3.Bucket_NoncurrentVersionExpiration{
				NoncurrentDays: noncurrentDays,
			},
			AbortIncompleteMultipartUpload: &s3.Bucket_AbortIncompleteMultipartUpload{
				DaysAfterInitiation: 1,
			},
		}},
	}
}

// toolingBucket returns a private bucket called name: SSE-KMS with the key
// keyARN and an S3 Bucket Key, versioning, the hygiene of
// toolingBucketHygiene, a lifecycle that expires objects after expireDays
// and noncurrent versions after noncurrentDays, and server access logs
// delivered to the stack's AccessLogBucket (see addAccessLogBucket) under
// the bucket's name. The bucket depends on the log bucket's policy, so that
// log delivery is allowed before the first request is logged.
func toolingBucket(name, keyARN string, expireDays, noncurrentDays int) *s3.Bucket {
	return toolingBucketHygiene(&s3.Bucket{
		BucketName: cfn.String(name),
		BucketEncryption: &s3.Bucket_BucketEncryption{
			ServerSideEncryptionConfiguration: []s3.Bucket_ServerSideEncryptionRule{{
				BucketKeyEnabled: cfn.Bool(true),
				ServerSideEncryptionByDefault: &s3.Bucket_ServerSideEncryptionByDefault{
					SSEAlgorithm:   "aws:kms",
					KMSMasterKeyID: cfn.String(keyARN),
				},
			}},
		},
		VersioningConfiguration: &s3.Bucket_VersioningConfiguration{Status: "Enabled"},
		LifecycleConfiguration:  toolingLifecycle(expireDays, noncurrentDays),
		LoggingConfiguration: &s3.Bucket_LoggingConfiguration{
			DestinationBucketName: cfn.String(cfn.Ref(toolingAccessLogBucketID)),
			LogFilePrefix:         cfn.String(toolingAccessLogPrefix(name)),
		},
		AWSCloudFormationDependsOn: []string{toolingAccessLogBucketPolicyID},
	})
}

// addAccessLogBucket adds the server access log bucket of region to t, with
// its policy, for the buckets called sources (each logs under its name).
//
// The log bucket is encrypted with SSE-S3: S3 documents SSE-S3 as the only
// default encryption a server access log destination may use. It does not
// log itself (S3 advises against a bucket logging into itself: every
// delivery would be logged again). Its policy denies requests without TLS
// and lets S3's logging service write, only for the source buckets of this
// account, only under their prefixes.
func addAccessLogBucket(t *cfn.Template, sys *schema.System, region string, sources []string) {
	name := toolingAccessLogBucket(sys, region)
	arn := toolingBucketARN(name)
	days := max(toolingAccessLogMinDays, sys.Artifacts.RetentionDays)
	t.Resources[toolingAccessLogBucketID] = toolingBucketHygiene(&s3.Bucket{
		BucketName: cfn.String(name),
		BucketEncryption: &s3.Bucket_BucketEncryption{
			ServerSideEncryptionConfiguration: []s3.Bucket_ServerSideEncryptionRule{{
				ServerSideEncryptionByDefault: &s3.Bucket_ServerSideEncryptionByDefault{SSEAlgorithm: "AES256"},
			}},
		},
		VersioningConfiguration: &s3.Bucket_VersioningConfiguration{Status: "Enabled"},
		LifecycleConfiguration:  toolingLifecycle(days, 1),
	})
	var prefixes, sourceARNs []any
	for _, src := range sources {
		prefixes = append(prefixes, arn+"/"+toolingAccessLogPrefix(src)+"*")
		sourceARNs = append(sourceARNs, toolingBucketARN(src))
	}
	t.Resources[toolingAccessLogBucketPolicyID] = &s3.BucketPolicy{
		Bucket: cfn.Ref(toolingAccessLogBucketID),
		PolicyDocument: Policy(
			toolingDenyInsecureTransport(name),
			Statement{
				Sid:       "S3ServerAccessLogs",
				Effect:    "Allow",
				Principal: map[string]any{"Service": "logging.s3.amazonaws.com"},
				Action:    "s3:PutObject",
				Resource:  resourceList(prefixes),
				Condition: map[string]map[string]any{
					"ArnLike":      {"aws:SourceArn": sourceARNs},
					"StringEquals": {"aws:SourceAccount": sys.Tooling().ID},
				},
			},
		),
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
// the CodeBuild role) use it; lets the deploy and execution roles of the
// environments that deploy in region decrypt; and denies grants that are
// not for AWS services. The bucket policy denies requests without TLS and
// lets the same environment roles read. The bucket logs into the stack's
// access log bucket, which the caller adds with addAccessLogBucket.
func addArtifactStore(t *cfn.Template, sys *schema.System, region string, toolingRoleARNs []string) {
	names := schema.NamesOf(sys)
	envs := toolingEnvsIn(sys, region)
	envRoles := []func(string) string{names.DeployRole, names.ExecutionRole}
	bucketName := names.ArtifactBucket(region)
	bucketARN := toolingBucketARN(bucketName)

	grants := []Statement{toolingRolesGrant(sys, "ToolingRolesUseKey", toolingRoleARNs, toolingKeyUseActions)}
	if st, ok := toolingEnvGrant(sys, "EnvironmentRolesDecrypt", envs, envRoles, toolingArtifactDecryptActions, "*"); ok {
		grants = append(grants, st)
	}
	keyPolicy := toolingKeyPolicy(sys, grants...)
	t.Resources[toolingArtifactKeyID] = &kms.Key{
		Description:       cfn.String(fmt.Sprintf("Pipeline artifacts of %s in %s", names.Pipeline(), region)),
		EnableKeyRotation: cfn.Bool(true),
		KeyPolicy:         keyPolicy,
	}
	t.Resources[toolingArtifactKeyAliasID] = &kms.Alias{
		AliasName:   names.ArtifactKeyAlias(region),
		TargetKeyId: cfn.Ref(toolingArtifactKeyID),
	}

	keyARN := cfn.GetAtt(toolingArtifactKeyID, "Arn")
	retention := sys.Artifacts.RetentionDays
	t.Resources[toolingArtifactBucketID] = toolingBucket(bucketName, keyARN, retention, retention)

	bucketPolicy := Policy(toolingDenyInsecureTransport(bucketName))
	if st, ok := toolingEnvGrant(sys, "EnvironmentRolesRead", envs, envRoles, toolingArtifactReadActions, bucketARN, bucketARN+"/*"); ok {
		bucketPolicy.Statement = append(bucketPolicy.Statement, st)
	}
	t.Resources[toolingArtifactBucketPolicyID] = &s3.BucketPolicy{
		Bucket:         cfn.Ref(toolingArtifactBucketID),
		PolicyDocument: bucketPolicy,
	}

	t.Outputs[toolingOutputArtifactBucketName] = cfn.Output{
		Description: cfn.String("Artifact bucket of the pipeline in " + region),
		Value:       cfn.Ref(toolingArtifactBucketID),
	}
	t.Outputs[toolingOutputArtifactKeyArn] = cfn.Output{
		Description: cfn.String("ARN of the KMS key of the artifact bucket in " + region),
		Value:       keyARN,
	}
}

// Logical id and output of the application repository, the same in the
// pipeline stack (home region) and in every artifacts-<region> stack.
const toolingOutputAppRepositoryURI = "AppRepositoryUri"

// toolingAppRepository returns the application repository of region: the
// build pushes every image to the repository of each region an environment
// uses, and each environment pulls from its own region's. Tags are
// immutable (one per commit); the lifecycle never expires a tagged image
// by age (see pipeLifecycle). The repository policy lets the task
// execution roles of the region's environments pull, and nothing else:
// deployments pull, they never push. Images are encrypted with AES256
// (ECR's own keys) so that the environment accounts pull across accounts
// without KMS grants. The repository is emptied on delete, so that its
// stack stays deletable.
func toolingAppRepository(sys *schema.System, region string) (*ecr.Repository, error) {
	names := schema.NamesOf(sys)
	lifecycle, err := pipeLifecycle(pipeAppImagesKept)
	if err != nil {
		return nil, err
	}
	repo := &ecr.Repository{
		RepositoryName:             cfn.String(names.AppRepo()),
		ImageTagMutability:         cfn.String("IMMUTABLE"),
		ImageScanningConfiguration: &ecr.Repository_ImageScanningConfiguration{ScanOnPush: cfn.Bool(true)},
		EncryptionConfiguration:    &ecr.Repository_EncryptionConfiguration{EncryptionType: "AES256"},
		LifecyclePolicy:            lifecycle,
		EmptyOnDelete:              cfn.Bool(true),
	}
	// A repository policy's statements take no Resource: the repository is it.
	if st, ok := toolingEnvGrant(sys, "TaskExecutionRolesPull", toolingEnvsIn(sys, region),
		[]func(string) string{names.TaskExecutionRole}, pipePullActions); ok {
		repo.RepositoryPolicyText = Policy(st)
	}
	return repo, nil
}
