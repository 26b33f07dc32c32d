package compiler

import (
	"fmt"
	"slices"
	"strings"

	"github.com/awslabs/goformation/v7/cloudformation/codebuild"
	"github.com/cicdgen/cicdgen/compiler/cfn"

	"github.com/cicdgen/cicdgen/schema"
)

// The UpdatePipeline stage: the update-pipeline project applies the tooling
// stacks (pipeline, monitoring, secrets, artifacts-<region>) from the
// execution's own build output, cicdgen-out/, as CDK Pipelines'
// self-mutation does. It installs the cicdgen version that manifest.json
// records (the one that wrote the templates) and runs
//
//	cicdgen apply cicdgen-out --stack pipeline --stack monitoring … --no-deps --yes
//
// rather than `aws cloudformation deploy` commands: apply already resolves
// the cross-region ArtifactKeyArn<Region> parameters from the
// artifacts-<region> outputs, orders the stacks, checks every template
// against the manifest's sha256, recreates a stack left in
// ROLLBACK_COMPLETE, names the first failed resource and treats an empty
// change set as "no changes"; a shell script would have to do all of it
// again. --no-deps leaves out the environment stacks the pipeline stack
// follows: the pipeline deploys those itself, later in the execution.
//
// The project's role acts without a CloudFormation service role (the
// tooling account has no bootstrap stack that could hold one), so it holds
// exactly the permissions the tooling stacks' resource handlers need, each
// scoped to this system's resources by their deterministic names (KMS keys,
// which have none, by the cicdgen:system and cicdgen:suffix tags every
// stack gives its resources), and CloudFormation's calls on the tooling
// stacks only. It may read and pass, but never change, its own role: a role
// never updates itself. A change of its own policy (a new support region, a
// cicdgen upgrade) fails the UpdatePipeline action with AccessDenied on
// UpdatePipelineRole; `cicdgen apply --stack pipeline` run by a person
// applies it.

// pipeUpdateBuildspec is the buildspec of the update-pipeline project.
const pipeUpdateBuildspec = `version: 0.2
env:
  shell: bash
phases:
  install:
    commands:
      - |
        set -euo pipefail
        VERSION="$(jq -r '.cicdgenVersion // ""' "$CICDGEN_OUTPUT/manifest.json")"
        case "$VERSION" in
          v*) ;;
          *)
            echo "$CICDGEN_OUTPUT/manifest.json records cicdgen version '$VERSION', which go install cannot fetch; build the system with a released cicdgen (go install github.com/cicdgen/cicdgen/cmd/...@vX.Y.Z) and apply it" >&2
            exit 1 ;;
        esac
        GOBIN=/usr/local/bin go install "github.com/cicdgen/cicdgen/cmd/...@$VERSION"
        cicdgen --version
        cicdgen-aws --version
  build:
    commands:
      - |
        set -euo pipefail
        args=()
        for stack in $TOOLING_STACKS; do args+=(--stack "$stack"); done
        cicdgen apply "$CICDGEN_OUTPUT" "${args[@]}" --no-deps --yes
`

// pipeToolingKinds returns the kinds of the tooling stacks UpdatePipeline
// applies, in compile order: those toolingKinds makes for sys (pipeline,
// monitoring, secrets with build.registry_credentials, artifacts-<region>
// for each support region).
func pipeToolingKinds(sys *schema.System) []string {
	var kinds []string
	for _, stacks := range toolingKinds() {
		for _, k := range stacks(sys) {
			kinds = append(kinds, k.kind())
		}
	}
	return kinds
}

// toolingUpdateRoleARN returns the ARN of the update-pipeline role.
func toolingUpdateRoleARN(sys *schema.System) string {
	return schema.RoleARN(sys.Tooling().ID, schema.NamesOf(sys).UpdatePipelineRole())
}

// addPipeUpdate adds the update-pipeline role and project.
func addPipeUpdate(t *cfn.Template, sys *schema.System) {
	names := schema.NamesOf(sys)
	kinds := pipeToolingKinds(sys)
	t.Resources[pipeUpdateRoleID] = pipeServiceRole(sys, names.UpdatePipelineRole(), "UpdatePipeline of "+names.Pipeline()+": applies the tooling stacks",
		"codebuild.amazonaws.com", "update-pipeline", pipeUpdatePolicy(sys))
	t.Resources[pipeUpdateProjectID] = pipeCodeBuildProject(sys, pipeProject{
		Name: names.UpdatePipelineProject(), Stream: "update-pipeline", Role: pipeUpdateRoleID,
		What:      "UpdatePipeline: applies the tooling stacks (" + strings.Join(kinds, ", ") + ") from the build output",
		Buildspec: pipeUpdateBuildspec, Compute: "small",
		Image: pipeImage{URI: pipeCuratedImage, Credentials: "CODEBUILD", Type: "LINUX_CONTAINER"},
		Vars: []codebuild.Project_EnvironmentVariable{
			{Name: "CICDGEN_OUTPUT", Value: pipeBuildOutputDir},
			// go install fetches the Go release cicdgen's go.mod asks for
			// when the image's Go is older.
			{Name: "GOTOOLCHAIN", Value: "auto"},
			{Name: "TOOLING_STACKS", Value: strings.Join(kinds, " ")},
		},
	})
}

// pipeUpdateScope is what the update-pipeline role's statements are scoped
// to: this system's tooling stacks and the resources they hold.
type pipeUpdateScope struct {
	sys                            *schema.System
	names                          schema.Names
	acct                           string
	artifacts                      string // the home artifact bucket's ARN
	logGroup                       string // the build log group's ARN
	keys, aliases                  string // KMS key and alias ARN patterns
	stacks, buckets, bucketObjects []any
	repos, projects, connections   []any
	managedRoles, passed           []any // roles it manages; roles it passes
	topics, subscriptions          []any
	tagged, requestTagged          map[string]map[string]any
}

// arn returns arn:aws:<service>:<region>:<tooling account>:<resource>.
func (s pipeUpdateScope) arn(service, region, resource string) string {
	return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, region, s.acct, resource)
}

// newPipeUpdateScope returns the scope of sys's update-pipeline role.
// Per-region resources are named by a pattern over the region: each name
// carries the tooling account's id or is exact, so no other system's
// resource matches (a system's name has at most 20 characters, fewer than
// "<name>-artifacts-" and an account id). Stacks are named exactly.
func newPipeUpdateScope(sys *schema.System) pipeUpdateScope {
	names := schema.NamesOf(sys)
	s := pipeUpdateScope{sys: sys, names: names, acct: sys.Tooling().ID}
	stackARN := func(region, kind string) any {
		return s.arn("cloudformation", region, "stack/"+names.StackName(kind)+"/*")
	}
	s.stacks = []any{
		stackARN(sys.Region, schema.KindPipeline),
		stackARN(sys.Region, schema.KindMonitoring),
		stackARN(sys.Region, schema.KindToolingSecrets),
	}
	for _, r := range names.SupportRegions() {
		s.stacks = append(s.stacks, stackARN(r, schema.KindArtifacts(r)))
	}
	s.buckets = []any{
		toolingBucketARN(names.CacheBucket()),
		toolingBucketARN(names.ArtifactBucket("*")),
		toolingBucketARN(names.AccessLogBucket("*")),
	}
	for _, b := range s.buckets {
		s.bucketObjects = append(s.bucketObjects, b.(string)+"/*")
	}
	s.artifacts = toolingBucketARN(names.ArtifactBucket(sys.Region))
	s.keys = s.arn("kms", "*", "key/*")
	s.aliases = s.arn("kms", "*", names.ArtifactKeyAlias("*"))
	s.repos = []any{pipeECRRepoARN(sys, sys.Region, names.BuildImageRepo()), pipeECRRepoARN(sys, "*", names.AppRepo())}
	for _, p := range []string{names.BuildImageProject(), names.BuildProject(), names.TestProject(), names.UpdatePipelineProject()} {
		s.projects = append(s.projects, pipeProjectARN(sys, p))
	}
	s.managedRoles = []any{toolingPipelineRoleARN(sys), toolingCodeBuildRoleARN(sys)}
	// The pipeline's actions name the environments' deploy roles: should
	// CodePipeline check that they may be passed, they may (to it alone).
	s.passed = append(slices.Clone(s.managedRoles), toolingUpdateRoleARN(sys), schema.RoleARN("*", names.DeployRole("*")))
	s.topics = []any{s.arn("sns", sys.Region, names.ApprovalsTopic()), s.arn("sns", sys.Region, names.FailuresTopic())}
	s.subscriptions = []any{s.topics[0].(string) + ":*", s.topics[1].(string) + ":*"}
	s.logGroup = pipeLogGroupARN(sys)
	for _, c := range pipeConnectionARNs(sys.Source.Connection) {
		s.connections = append(s.connections, c)
	}
	s.tagged = map[string]map[string]any{"StringEquals": {
		"aws:ResourceTag/" + TagSystem: sys.Name,
		"aws:ResourceTag/" + TagSuffix: sys.Suffix,
	}}
	s.requestTagged = map[string]map[string]any{"StringEquals": {
		"aws:RequestTag/" + TagSystem: sys.Name,
		"aws:RequestTag/" + TagSuffix: sys.Suffix,
	}}
	return s
}

// pipeUpdatePolicy returns the update-pipeline role's policy. It does not
// depend on build.registry_credentials or test:, so that turning them on or
// off never changes the role's own policy.
func pipeUpdatePolicy(sys *schema.System) *PolicyDocument {
	s := newPipeUpdateScope(sys)
	var statements []Statement
	for _, group := range [][]Statement{s.runStatements(), s.stackStatements(), s.storageStatements(), s.deliveryStatements()} {
		statements = append(statements, group...)
	}
	return Policy(statements...)
}

// runStatements: what the project itself needs to run.
func (s pipeUpdateScope) runStatements() []Statement {
	return []Statement{
		Allow("Logs", []string{"logs:CreateLogStream", "logs:PutLogEvents"}, s.logGroup+":*"),
		// CodeBuild downloads the input artifact, cicdgen-out/, as the project's role.
		Allow("ReadBuildOutput", []string{"s3:GetObject", "s3:GetObjectVersion"}, s.artifacts+"/*"),
		Allow("ArtifactKey", []string{"kms:Decrypt", "kms:DescribeKey"}, cfn.GetAtt(toolingArtifactKeyID, "Arn")),
	}
}

// stackStatements: CloudFormation's calls on the tooling stacks.
func (s pipeUpdateScope) stackStatements() []Statement {
	return []Statement{
		Allow("ToolingStacks", []string{
			"cloudformation:CreateChangeSet",
			"cloudformation:CreateStack",
			"cloudformation:DeleteChangeSet",
			// apply deletes a stack left in ROLLBACK_COMPLETE before creating it again.
			"cloudformation:DeleteStack",
			"cloudformation:DescribeChangeSet",
			"cloudformation:DescribeStackEvents",
			"cloudformation:DescribeStackResources",
			"cloudformation:DescribeStacks",
			"cloudformation:ExecuteChangeSet",
			"cloudformation:TagResource",
			"cloudformation:UntagResource",
		}, s.stacks...),
		// Listing exports and validating templates have no
		// resource-level permissions.
		Allow("TemplatesAndExports", []string{
			"cloudformation:GetTemplateSummary",
			"cloudformation:ListExports",
			"cloudformation:ValidateTemplate",
		}, "*"),
	}
}

// storageStatements: the handlers of the buckets, keys, repositories and
// the build log group.
func (s pipeUpdateScope) storageStatements() []Statement {
	return []Statement{
		Allow("Buckets", []string{
			"s3:CreateBucket",
			"s3:DeleteBucket",
			"s3:DeleteBucketPolicy",
			"s3:GetAccelerateConfiguration",
			"s3:GetAnalyticsConfiguration",
			"s3:GetBucketAcl",
			"s3:GetBucketCORS",
			"s3:GetBucketLogging",
			"s3:GetBucketNotification",
			"s3:GetBucketObjectLockConfiguration",
			"s3:GetBucketOwnershipControls",
			"s3:GetBucketPolicy",
			"s3:GetBucketPublicAccessBlock",
			"s3:GetBucketTagging",
			"s3:GetBucketVersioning",
			"s3:GetBucketWebsite",
			"s3:GetEncryptionConfiguration",
			"s3:GetIntelligentTieringConfiguration",
			"s3:GetInventoryConfiguration",
			"s3:GetLifecycleConfiguration",
			"s3:GetMetricsConfiguration",
			"s3:GetReplicationConfiguration",
			"s3:ListBucket",
			"s3:PutBucketLogging",
			"s3:PutBucketNotification",
			"s3:PutBucketOwnershipControls",
			"s3:PutBucketPolicy",
			"s3:PutBucketPublicAccessBlock",
			"s3:PutBucketTagging",
			"s3:PutBucketVersioning",
			"s3:PutEncryptionConfiguration",
			"s3:PutLifecycleConfiguration",
		}, s.buckets...),
		Allow("BucketObjectAcls", []string{"s3:PutObjectAcl"}, s.bucketObjects...),
		Allow("CreateKeys", []string{"kms:CreateKey", "kms:TagResource"}, "*").withCondition(s.requestTagged),
		Allow("ManageKeys", []string{
			"kms:CreateAlias",
			"kms:DeleteAlias",
			"kms:DescribeKey",
			"kms:EnableKeyRotation",
			"kms:GetKeyPolicy",
			"kms:GetKeyRotationStatus",
			"kms:ListResourceTags",
			"kms:PutKeyPolicy",
			"kms:ScheduleKeyDeletion",
			"kms:TagResource",
			"kms:UntagResource",
			"kms:UpdateAlias",
			"kms:UpdateKeyDescription",
		}, s.keys).withCondition(s.tagged),
		Allow("KeyAliases", []string{"kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"}, s.aliases),
		Allow("ListAliases", []string{"kms:ListAliases"}, "*"),
		Allow("Repositories", []string{
			"ecr:CreateRepository",
			"ecr:DeleteLifecyclePolicy",
			"ecr:DeleteRepository",
			"ecr:DeleteRepositoryPolicy",
			"ecr:DescribeRepositories",
			"ecr:GetLifecyclePolicy",
			"ecr:GetRepositoryPolicy",
			"ecr:ListTagsForResource",
			"ecr:PutImageScanningConfiguration",
			"ecr:PutImageTagMutability",
			"ecr:PutLifecyclePolicy",
			"ecr:SetRepositoryPolicy",
			"ecr:TagResource",
			"ecr:UntagResource",
			// EmptyOnDelete: the repositories are emptied when deleted.
			"ecr:BatchDeleteImage",
			"ecr:ListImages",
		}, s.repos...),
		Allow("BuildLogGroup", []string{
			"logs:AssociateKmsKey",
			"logs:CreateLogGroup",
			"logs:DeleteLogGroup",
			"logs:DeleteRetentionPolicy",
			"logs:DisassociateKmsKey",
			"logs:ListTagsForResource",
			"logs:PutRetentionPolicy",
			"logs:TagResource",
			"logs:UntagResource",
		}, s.logGroup, s.logGroup+":*"),
		Allow("DescribeLogGroups", []string{"logs:DescribeLogGroups"}, s.arn("logs", s.sys.Region, "log-group:*")),
	}
}

// deliveryStatements: the handlers of the roles, projects, topics,
// pipeline, failure rule, dashboard and docker-credentials secret.
func (s pipeUpdateScope) deliveryStatements() []Statement {
	return []Statement{
		Allow("ToolingRoles", []string{
			"iam:CreateRole",
			"iam:DeleteRole",
			"iam:DeleteRolePolicy",
			"iam:GetRole",
			"iam:GetRolePolicy",
			"iam:ListAttachedRolePolicies",
			"iam:ListRolePolicies",
			"iam:PutRolePolicy",
			"iam:TagRole",
			"iam:UntagRole",
			"iam:UpdateAssumeRolePolicy",
			"iam:UpdateRole",
			"iam:UpdateRoleDescription",
		}, s.managedRoles...),
		Allow("ReadOwnRole", []string{"iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies"}, toolingUpdateRoleARN(s.sys)),
		Statement{
			Sid:       "PassToolingRoles",
			Effect:    "Allow",
			Action:    []string{"iam:PassRole"},
			Resource:  resourceList(s.passed),
			Condition: map[string]map[string]any{"StringEquals": {"iam:PassedToService": []string{"codebuild.amazonaws.com", "codepipeline.amazonaws.com"}}},
		},
		Allow("Projects", []string{
			"codebuild:BatchGetProjects",
			"codebuild:CreateProject",
			"codebuild:DeleteProject",
			"codebuild:UpdateProject",
		}, s.projects...),
		Allow("Topics", []string{
			"sns:CreateTopic",
			"sns:DeleteTopic",
			"sns:GetDataProtectionPolicy",
			"sns:GetSubscriptionAttributes",
			"sns:GetTopicAttributes",
			"sns:ListSubscriptionsByTopic",
			"sns:ListTagsForResource",
			"sns:SetSubscriptionAttributes",
			"sns:SetTopicAttributes",
			"sns:Subscribe",
			"sns:TagResource",
			"sns:Unsubscribe",
			"sns:UntagResource",
		}, append(slices.Clone(s.topics), s.subscriptions...)...),
		Allow("Pipeline", []string{
			"codepipeline:CreatePipeline",
			"codepipeline:DeletePipeline",
			"codepipeline:DisableStageTransition",
			"codepipeline:EnableStageTransition",
			"codepipeline:GetPipeline",
			"codepipeline:GetPipelineState",
			"codepipeline:ListTagsForResource",
			// RestartExecutionOnUpdate: CloudFormation starts the new execution.
			"codepipeline:StartPipelineExecution",
			"codepipeline:TagResource",
			"codepipeline:UntagResource",
			"codepipeline:UpdatePipeline",
		}, s.arn("codepipeline", s.sys.Region, s.names.Pipeline())),
		Allow("PassConnection", []string{"codeconnections:PassConnection", "codestar-connections:PassConnection"}, s.connections...),
		Allow("FailureRule", []string{
			"events:DeleteRule",
			"events:DescribeRule",
			"events:ListTagsForResource",
			"events:ListTargetsByRule",
			"events:PutRule",
			"events:PutTargets",
			"events:RemoveTargets",
			"events:TagResource",
			"events:UntagResource",
		}, pipeFailureRuleARN(s.sys)),
		Allow("Dashboard", []string{
			"cloudwatch:DeleteDashboards",
			"cloudwatch:GetDashboard",
			"cloudwatch:ListTagsForResource",
			"cloudwatch:PutDashboard",
			"cloudwatch:TagResource",
			"cloudwatch:UntagResource",
		}, fmt.Sprintf("arn:aws:cloudwatch::%s:dashboard/%s", s.acct, s.names.Dashboard())),
		Allow("DockerCredentialsSecret", []string{
			"secretsmanager:CreateSecret",
			"secretsmanager:DeleteSecret",
			"secretsmanager:DescribeSecret",
			"secretsmanager:TagResource",
			"secretsmanager:UntagResource",
			"secretsmanager:UpdateSecret",
		}, pipeDockerSecretARN(s.sys)),
	}
}

// withCondition returns s with condition c.
func (s Statement) withCondition(c map[string]map[string]any) Statement {
	s.Condition = c
	return s
}
