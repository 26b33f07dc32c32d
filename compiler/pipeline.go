package compiler

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/awslabs/goformation/v7/cloudformation"
	"github.com/awslabs/goformation/v7/cloudformation/codebuild"
	"github.com/awslabs/goformation/v7/cloudformation/codepipeline"
	"github.com/awslabs/goformation/v7/cloudformation/ecr"
	"github.com/awslabs/goformation/v7/cloudformation/iam"
	"github.com/awslabs/goformation/v7/cloudformation/kms"
	"github.com/awslabs/goformation/v7/cloudformation/logs"
	"github.com/awslabs/goformation/v7/cloudformation/s3"
	"github.com/awslabs/goformation/v7/cloudformation/sns"

	"github.com/cicdgen/cicdgen/schema"
)

// The pipeline stack (tooling account, home region): everything that builds
// the application and delivers it to the environments.
//
// Logical ids:
//
//	ArtifactKey             AWS::KMS::Key          customer-managed key of the artifact and cache buckets, rotation on
//	ArtifactKeyAlias        AWS::KMS::Alias        Names.ArtifactKeyAlias(home region)
//	ArtifactBucket          AWS::S3::Bucket        home artifact store, Names.ArtifactBucket(home region)
//	ArtifactBucketPolicy    AWS::S3::BucketPolicy  TLS only; read for the home region's environment roles
//	CacheBucket             AWS::S3::Bucket        CodeBuild cache, expires after build.cache_days
//	CacheBucketPolicy       AWS::S3::BucketPolicy  TLS only
//	AccessLogBucket         AWS::S3::Bucket        server access logs of the artifact and cache buckets,
//	                                               <name>-s3-logs-<tooling account>-<home region>-<suffix>, SSE-S3
//	AccessLogBucketPolicy   AWS::S3::BucketPolicy  TLS only; S3 log delivery for the two buckets
//	NotificationsKey        AWS::KMS::Key          key of the SNS topics and of the build log group, rotation on
//	BuildImageRepository    AWS::ECR::Repository   build-image-<suffix>, the CodeBuild image (tag latest)
//	AppRepository           AWS::ECR::Repository   the application image; immutable tags; pull for task execution roles
//	BuildLogGroup           AWS::Logs::LogGroup    CodeBuild logs, one year, KMS-encrypted
//	CodeBuildRole           AWS::IAM::Role         role of both CodeBuild projects
//	BuildProject            AWS::CodeBuild::Project build: pushes the image, writes imageDetail.json and cicdgen-out/
//	TestProject             AWS::CodeBuild::Project test (only with test:)
//	ApprovalsTopic          AWS::SNS::Topic        manual approval notifications
//	ApprovalsSubscription<N> AWS::SNS::Subscription e-mail N (1-based) of notifications.approvals
//	FailuresTopic           AWS::SNS::Topic        pipeline failure alerts (monitoring's rule publishes here)
//	FailuresTopicPolicy     AWS::SNS::TopicPolicy  lets EventBridge's failure rule publish
//	FailuresSubscription<N> AWS::SNS::Subscription e-mail N (1-based) of notifications.failures
//	PipelineRole            AWS::IAM::Role         role of CodePipeline
//	Pipeline                AWS::CodePipeline::Pipeline the pipeline
//
// Parameters: ArtifactKeyArn<Region> for every support region (us-west-2 →
// ArtifactKeyArnUsWest2), the ARN of that region's artifact key, which apply
// reads from the artifacts-<region> stack's ArtifactKeyArn output.
//
// Outputs, exported as <stack name>:<output>: FailuresTopicArn,
// ApprovalsTopicArn, PipelineName, NotificationsKeyArn. Not exported:
// ArtifactBucketName, ArtifactKeyArn, AppRepositoryUri, BuildImageRepositoryUri.
//
// Choices:
//   - ExecutionMode QUEUED: executions run one after another in commit order,
//     so no commit's deployment is silently skipped and an approval always
//     concerns the execution it shows.
//   - The failures topic's policy lives here, beside the topic: the
//     monitoring stack, which follows this one, can rely on it.
//   - With one region, the pipeline has one ArtifactStore and its actions no
//     Region; with support regions it has ArtifactStores (home first, then the
//     support regions sorted) and every deploy action names its Region.
//   - The build image repository keeps mutable tags: the build project pulls
//     its tag latest. The application repository's tags are immutable.
//   - Every key policy ends with a deny of kms:CreateGrant unless an AWS
//     service asks for the grant or it is for an AWS resource.
//   - Every bucket blocks public access, disables ACLs, sends its events to
//     EventBridge and, except the access log bucket itself, logs its
//     requests into the access log bucket (prefix: the bucket's name).

// Logical ids of the pipeline stack.
const (
	pipeCacheBucketID          = "CacheBucket"
	pipeCacheBucketPolicyID    = "CacheBucketPolicy"
	pipeNotificationsKeyID     = "NotificationsKey"
	pipeBuildImageRepoID       = "BuildImageRepository"
	pipeAppRepoID              = "AppRepository"
	pipeBuildLogGroupID        = "BuildLogGroup"
	pipeCodeBuildRoleID        = "CodeBuildRole"
	pipeBuildProjectID         = "BuildProject"
	pipeTestProjectID          = "TestProject"
	pipeApprovalsTopicID       = "ApprovalsTopic"
	pipeFailuresTopicID        = "FailuresTopic"
	pipeFailuresTopicPolicyID  = "FailuresTopicPolicy"
	pipeApprovalsSubscriptionP = "ApprovalsSubscription"
	pipeFailuresSubscriptionP  = "FailuresSubscription"
	pipeRoleID                 = "PipelineRole"
	pipePipelineID             = "Pipeline"
)

// Outputs of the pipeline stack that other stacks import.
const (
	pipeOutputFailuresTopicArn    = "FailuresTopicArn"
	pipeOutputApprovalsTopicArn   = "ApprovalsTopicArn"
	pipeOutputPipelineName        = "PipelineName"
	pipeOutputNotificationsKeyArn = "NotificationsKeyArn"
)

// The build contract shared with the buildspec that `cicdgen init` writes.
const (
	// pipeBuildOutputDir is where the build runs `cicdgen build -o`.
	pipeBuildOutputDir = "cicdgen-out"
	// pipeImageDetail is the file the build writes with {"ImageURI": ...}.
	pipeImageDetail = "imageDetail.json"
	// pipeSourceArtifact and pipeBuildArtifact name the pipeline's artifacts.
	pipeSourceArtifact = "SourceOutput"
	pipeBuildArtifact  = "BuildOutput"
)

// Retention choices of the pipeline stack.
const (
	pipeBuildImagesKept = 10  // images kept in the build-image repository
	pipeAppImagesKept   = 100 // images kept in the application repository
	pipeLogRetention    = 365 // days of CodeBuild logs
	pipeCacheNoncurrent = 1   // days a replaced cache object is kept
)

// pipeComputeTypes maps build.compute and test.compute to CodeBuild compute types.
var pipeComputeTypes = map[string]string{
	"small":   "BUILD_GENERAL1_SMALL",
	"medium":  "BUILD_GENERAL1_MEDIUM",
	"large":   "BUILD_GENERAL1_LARGE",
	"xlarge":  "BUILD_GENERAL1_XLARGE",
	"2xlarge": "BUILD_GENERAL1_2XLARGE",
}

// pipeComputeType returns the CodeBuild compute type of compute (default small).
func pipeComputeType(compute string) string {
	if ct, ok := pipeComputeTypes[compute]; ok {
		return ct
	}
	return pipeComputeTypes["small"]
}

// buildPipeline returns the template of the pipeline stack and its
// parameters (the artifact key ARN of every support region).
func buildPipeline(sys *schema.System) (*cloudformation.Template, map[string]Parameter, error) {
	names := schema.NamesOf(sys)
	t := cloudformation.NewTemplate()
	t.Description = fmt.Sprintf("cicdgen %s: pipeline %s, its builds, artifacts, images and notifications",
		sys.Name, names.Pipeline())
	params := map[string]Parameter{}
	for _, region := range names.SupportRegions() {
		p := toolingRegionParam(region)
		t.Parameters[p] = cloudformation.Parameter{
			Type:           "String",
			Description:    cloudformation.String("ARN of the artifact KMS key in " + region + " (output ArtifactKeyArn of " + names.StackName(schema.KindArtifacts(region)) + ")"),
			AllowedPattern: cloudformation.String(`^arn:aws[a-z-]*:kms:` + regexp.QuoteMeta(region) + `:[0-9]{12}:key/[A-Za-z0-9-]+$`),
		}
		params[p] = Parameter{FromOutput: &OutputRef{Stack: names.StackName(schema.KindArtifacts(region)), Output: toolingOutputArtifactKeyArn}}
	}

	addArtifactStore(t, sys, sys.Region, []string{toolingPipelineRoleARN(sys), toolingCodeBuildRoleARN(sys)})
	addPipeCache(t, sys)
	addAccessLogBucket(t, sys, sys.Region, []string{names.ArtifactBucket(sys.Region), names.CacheBucket()})
	addPipeNotifications(t, sys)
	if err := addPipeRepositories(t, sys); err != nil {
		return nil, nil, err
	}
	addPipeBuild(t, sys)
	addPipePipeline(t, sys)

	export := func(output string) *cloudformation.Export {
		return &cloudformation.Export{Name: names.StackName(schema.KindPipeline) + ":" + output}
	}
	t.Outputs[pipeOutputFailuresTopicArn] = cloudformation.Output{
		Description: cloudformation.String("SNS topic of pipeline failure alerts"),
		Value:       cloudformation.Ref(pipeFailuresTopicID),
		Export:      export(pipeOutputFailuresTopicArn),
	}
	t.Outputs[pipeOutputApprovalsTopicArn] = cloudformation.Output{
		Description: cloudformation.String("SNS topic of manual approvals"),
		Value:       cloudformation.Ref(pipeApprovalsTopicID),
		Export:      export(pipeOutputApprovalsTopicArn),
	}
	t.Outputs[pipeOutputPipelineName] = cloudformation.Output{
		Description: cloudformation.String("Name of the pipeline"),
		Value:       cloudformation.Ref(pipePipelineID),
		Export:      export(pipeOutputPipelineName),
	}
	t.Outputs[pipeOutputNotificationsKeyArn] = cloudformation.Output{
		Description: cloudformation.String("KMS key of the SNS topics"),
		Value:       cloudformation.GetAtt(pipeNotificationsKeyID, "Arn"),
		Export:      export(pipeOutputNotificationsKeyArn),
	}
	t.Outputs["AppRepositoryUri"] = cloudformation.Output{
		Description: cloudformation.String("URI of the application image repository"),
		Value:       cloudformation.GetAtt(pipeAppRepoID, "RepositoryUri"),
	}
	t.Outputs["BuildImageRepositoryUri"] = cloudformation.Output{
		Description: cloudformation.String("URI of the build image repository (push the image the builds run in, tag latest)"),
		Value:       cloudformation.GetAtt(pipeBuildImageRepoID, "RepositoryUri"),
	}
	return t, params, nil
}

// addPipeCache adds the CodeBuild cache bucket, encrypted with the artifact key.
func addPipeCache(t *cloudformation.Template, sys *schema.System) {
	name := schema.NamesOf(sys).CacheBucket()
	t.Resources[pipeCacheBucketID] = toolingBucket(name, cloudformation.GetAtt(toolingArtifactKeyID, "Arn"),
		sys.Build.CacheDays, pipeCacheNoncurrent)
	t.Resources[pipeCacheBucketPolicyID] = &s3.BucketPolicy{
		Bucket:         cloudformation.Ref(pipeCacheBucketID),
		PolicyDocument: Policy(toolingDenyInsecureTransport(name)),
	}
}

// pipeLogGroupARN returns the ARN of the CodeBuild log group, as IAM and the
// KMS encryption context name it.
func pipeLogGroupARN(sys *schema.System) string {
	return fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s", sys.Region, sys.Tooling().ID, schema.NamesOf(sys).BuildLogGroup())
}

// addPipeNotifications adds the notifications key, the approvals and
// failures topics with their e-mail subscriptions, and the failures topic's
// policy.
func addPipeNotifications(t *cloudformation.Template, sys *schema.System) {
	names := schema.NamesOf(sys)
	keyPolicy := toolingKeyPolicy(sys,
		// EventBridge publishes the failure rule's alerts to the encrypted
		// failures topic. No other AWS service publishes to these topics.
		Statement{
			Sid:       "NotificationServicesUseKey",
			Effect:    "Allow",
			Principal: map[string]any{"Service": "events.amazonaws.com"},
			Action:    []string{"kms:Decrypt", "kms:GenerateDataKey"},
			Resource:  "*",
		},
		toolingRolesGrant(sys, "PipelineRolePublishes", []string{toolingPipelineRoleARN(sys)},
			[]string{"kms:Decrypt", "kms:GenerateDataKey"}),
		Statement{
			Sid:       "BuildLogGroupEncryption",
			Effect:    "Allow",
			Principal: map[string]any{"Service": fmt.Sprintf("logs.%s.amazonaws.com", sys.Region)},
			Action: []string{
				"kms:Decrypt",
				"kms:DescribeKey",
				"kms:Encrypt",
				"kms:GenerateDataKey",
				"kms:GenerateDataKeyWithoutPlaintext",
				"kms:ReEncryptFrom",
				"kms:ReEncryptTo",
			},
			Resource:  "*",
			Condition: map[string]map[string]any{"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": pipeLogGroupARN(sys)}},
		},
	)
	t.Resources[pipeNotificationsKeyID] = &kms.Key{
		Description:       cloudformation.String(fmt.Sprintf("SNS topics and build logs of %s", names.Pipeline())),
		EnableKeyRotation: cloudformation.Bool(true),
		KeyPolicy:         keyPolicy,
	}
	keyARN := cloudformation.GetAtt(pipeNotificationsKeyID, "Arn")
	topic := func(id, name, display string, emails []string, subPrefix string) {
		t.Resources[id] = &sns.Topic{
			TopicName:      cloudformation.String(name),
			DisplayName:    cloudformation.String(display),
			KmsMasterKeyId: cloudformation.String(keyARN),
		}
		for i, email := range emails {
			t.Resources[fmt.Sprintf("%s%d", subPrefix, i+1)] = &sns.Subscription{
				TopicArn: cloudformation.Ref(id),
				Protocol: "email",
				Endpoint: cloudformation.String(email),
			}
		}
	}
	topic(pipeApprovalsTopicID, names.ApprovalsTopic(), pipeDisplayName(sys.Name+" approvals"), sys.Notifications.Approvals, pipeApprovalsSubscriptionP)
	topic(pipeFailuresTopicID, names.FailuresTopic(), pipeDisplayName(sys.Name+" failures"), sys.Notifications.Failures, pipeFailuresSubscriptionP)

	ruleARN := fmt.Sprintf("arn:aws:events:%s:%s:rule/%s", sys.Region, sys.Tooling().ID, names.FailureRule())
	t.Resources[pipeFailuresTopicPolicyID] = &sns.TopicPolicy{
		Topics: []string{cloudformation.Ref(pipeFailuresTopicID)},
		PolicyDocument: Policy(Statement{
			Sid:       "FailureRulePublishes",
			Effect:    "Allow",
			Principal: map[string]any{"Service": "events.amazonaws.com"},
			Action:    "sns:Publish",
			Resource:  cloudformation.Ref(pipeFailuresTopicID),
			Condition: map[string]map[string]any{"ArnEquals": {"aws:SourceArn": ruleARN}},
		}),
	}
}

// pipeDisplayName returns s cut to SNS's 100-character display name limit.
func pipeDisplayName(s string) string {
	if len(s) > 100 {
		return s[:100]
	}
	return s
}

// pipeLifecycle returns an ECR lifecycle policy that keeps the last kept images.
func pipeLifecycle(kept int) (*ecr.Repository_LifecyclePolicy, error) {
	doc := map[string]any{"rules": []any{map[string]any{
		"rulePriority": 1,
		"description":  fmt.Sprintf("Keep the last %d images", kept),
		"selection": map[string]any{
			"tagStatus":   "any",
			"countType":   "imageCountMoreThan",
			"countNumber": kept,
		},
		"action": map[string]any{"type": "expire"},
	}}}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encode the ECR lifecycle policy: %w", err)
	}
	return &ecr.Repository_LifecyclePolicy{LifecyclePolicyText: cloudformation.String(string(b))}, nil
}

// pipePullActions are the ECR actions that pull an image.
var pipePullActions = []string{
	"ecr:BatchCheckLayerAvailability",
	"ecr:BatchGetImage",
	"ecr:GetDownloadUrlForLayer",
}

// addPipeRepositories adds the build-image and application repositories.
// The application repository's policy lets the environments' task execution
// roles pull, and nothing else: deployments pull, they never push. Images are
// encrypted with AES256 (ECR's own keys) so that the environment accounts
// pull across accounts without KMS grants. Both repositories are emptied on
// delete, so that the stack stays deletable.
func addPipeRepositories(t *cloudformation.Template, sys *schema.System) error {
	names := schema.NamesOf(sys)
	buildImages, err := pipeLifecycle(pipeBuildImagesKept)
	if err != nil {
		return err
	}
	appImages, err := pipeLifecycle(pipeAppImagesKept)
	if err != nil {
		return err
	}
	t.Resources[pipeBuildImageRepoID] = &ecr.Repository{
		RepositoryName:             cloudformation.String(names.BuildImageRepo()),
		ImageTagMutability:         cloudformation.String("MUTABLE"),
		ImageScanningConfiguration: &ecr.Repository_ImageScanningConfiguration{ScanOnPush: cloudformation.Bool(true)},
		EncryptionConfiguration:    &ecr.Repository_EncryptionConfiguration{EncryptionType: "AES256"},
		LifecyclePolicy:            buildImages,
		EmptyOnDelete:              cloudformation.Bool(true),
	}
	app := &ecr.Repository{
		RepositoryName:             cloudformation.String(names.AppRepo()),
		ImageTagMutability:         cloudformation.String("IMMUTABLE"),
		ImageScanningConfiguration: &ecr.Repository_ImageScanningConfiguration{ScanOnPush: cloudformation.Bool(true)},
		EncryptionConfiguration:    &ecr.Repository_EncryptionConfiguration{EncryptionType: "AES256"},
		LifecyclePolicy:            appImages,
		EmptyOnDelete:              cloudformation.Bool(true),
	}
	// A repository policy's statements take no Resource: the repository is it.
	if st, ok := toolingEnvGrant(sys, "TaskExecutionRolesPull", toolingAllEnvs(sys),
		[]func(string) string{names.TaskExecutionRole}, pipePullActions); ok {
		app.RepositoryPolicyText = Policy(st)
	}
	t.Resources[pipeAppRepoID] = app
	return nil
}

// pipeImage is the build environment image of the CodeBuild projects.
type pipeImage struct {
	URI         string // Environment.Image
	Credentials string // ImagePullCredentialsType: CODEBUILD or SERVICE_ROLE
	Type        string // Environment.Type
	// PullFrom is the ARN of the ECR repository the CodeBuild role pulls the
	// image from ("" when CodeBuild pulls with its own credentials).
	PullFrom string
}

// pipeECRImage matches an ECR image URI: account, region, repository.
var pipeECRImage = regexp.MustCompile(`^([0-9]{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/([^:@]+)`)

// pipeBuildImage returns the build image of sys: the build-image repository's
// tag latest for "ecr", pulled with the service role; an ECR image URI,
// pulled with the service role; any other image (CodeBuild's curated
// aws/codebuild/... images, public images), pulled by CodeBuild.
func pipeBuildImage(sys *schema.System) pipeImage {
	names := schema.NamesOf(sys)
	image := sys.Build.Image
	if image == "" || image == schema.BuildImageECR {
		return pipeImage{
			URI:         fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/%s:latest", sys.Tooling().ID, sys.Region, names.BuildImageRepo()),
			Credentials: "SERVICE_ROLE",
			Type:        "LINUX_CONTAINER",
			PullFrom:    cloudformation.GetAtt(pipeBuildImageRepoID, "Arn"),
		}
	}
	if m := pipeECRImage.FindStringSubmatch(image); m != nil {
		return pipeImage{
			URI:         image,
			Credentials: "SERVICE_ROLE",
			Type:        "LINUX_CONTAINER",
			PullFrom:    fmt.Sprintf("arn:aws:ecr:%s:%s:repository/%s", m[2], m[1], m[3]),
		}
	}
	envType := "LINUX_CONTAINER"
	if strings.HasPrefix(image, "aws/codebuild/") && strings.Contains(image, "aarch64") {
		envType = "ARM_CONTAINER"
	}
	return pipeImage{URI: image, Credentials: "CODEBUILD", Type: envType}
}

// pipeReportGroupARN returns the ARN pattern of the report groups CodeBuild
// creates for project's reports (<project>-<report name>).
func pipeReportGroupARN(sys *schema.System, project string) string {
	return fmt.Sprintf("arn:aws:codebuild:%s:%s:report-group/%s-*", sys.Region, sys.Tooling().ID, project)
}

// pipeProjectARN returns the ARN of the CodeBuild project called name.
func pipeProjectARN(sys *schema.System, name string) string {
	return fmt.Sprintf("arn:aws:codebuild:%s:%s:project/%s", sys.Region, sys.Tooling().ID, name)
}

// pipeProjectNames returns the CodeBuild projects of sys: build, and test
// when sys has a Test stage.
func pipeProjectNames(sys *schema.System) []string {
	names := schema.NamesOf(sys)
	out := []string{names.BuildProject()}
	if sys.Test != nil {
		out = append(out, names.TestProject())
	}
	return out
}

// pipeCodeBuildPolicy returns the CodeBuild role's policy: its log group,
// the artifact and cache buckets and the artifact key, pushing to the
// application repository, pulling the build image, and the report groups of
// its projects.
func pipeCodeBuildPolicy(sys *schema.System, image pipeImage) *PolicyDocument {
	names := schema.NamesOf(sys)
	artifacts := toolingBucketARN(names.ArtifactBucket(sys.Region))
	cache := toolingBucketARN(names.CacheBucket())
	var reportGroups []any
	for _, p := range pipeProjectNames(sys) {
		reportGroups = append(reportGroups, pipeReportGroupARN(sys, p))
	}
	doc := Policy(
		Allow("Logs", []string{"logs:CreateLogStream", "logs:PutLogEvents"}, pipeLogGroupARN(sys)+":*"),
		Allow("BucketObjects", []string{"s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"}, artifacts+"/*", cache+"/*"),
		Allow("Buckets", []string{"s3:GetBucketAcl", "s3:GetBucketLocation"}, artifacts, cache),
		Allow("ArtifactKey", toolingKeyUseActions, cloudformation.GetAtt(toolingArtifactKeyID, "Arn")),
		Allow("RegistryLogin", []string{"ecr:GetAuthorizationToken"}, "*"),
		Allow("PushApplicationImage", []string{
			"ecr:BatchCheckLayerAvailability",
			"ecr:BatchGetImage",
			"ecr:CompleteLayerUpload",
			"ecr:DescribeImages",
			"ecr:GetDownloadUrlForLayer",
			"ecr:InitiateLayerUpload",
			"ecr:PutImage",
			"ecr:UploadLayerPart",
		}, cloudformation.GetAtt(pipeAppRepoID, "Arn")),
	)
	if image.PullFrom != "" {
		doc.Statement = append(doc.Statement, Allow("PullBuildImage", pipePullActions, image.PullFrom))
	}
	doc.Statement = append(doc.Statement, Allow("Reports", []string{
		"codebuild:BatchPutCodeCoverages",
		"codebuild:BatchPutTestCases",
		"codebuild:CreateReport",
		"codebuild:CreateReportGroup",
		"codebuild:UpdateReport",
	}, reportGroups...))
	return doc
}

// pipeServiceTrust returns the trust policy of a role that service assumes
// on behalf of the tooling account only.
func pipeServiceTrust(sys *schema.System, service string) *PolicyDocument {
	return Policy(Statement{
		Effect:    "Allow",
		Principal: map[string]any{"Service": service},
		Action:    "sts:AssumeRole",
		Condition: map[string]map[string]any{"StringEquals": {"aws:SourceAccount": sys.Tooling().ID}},
	})
}

// addPipeBuild adds the log group, the CodeBuild role and the build and test
// projects.
func addPipeBuild(t *cloudformation.Template, sys *schema.System) {
	names := schema.NamesOf(sys)
	image := pipeBuildImage(sys)
	t.Resources[pipeBuildLogGroupID] = &logs.LogGroup{
		LogGroupName:    cloudformation.String(names.BuildLogGroup()),
		RetentionInDays: cloudformation.Int(pipeLogRetention),
		KmsKeyId:        cloudformation.String(cloudformation.GetAtt(pipeNotificationsKeyID, "Arn")),
	}
	t.Resources[pipeCodeBuildRoleID] = &iam.Role{
		RoleName:                 cloudformation.String(names.CodeBuildRole()),
		Description:              cloudformation.String("CodeBuild projects of " + names.Pipeline()),
		AssumeRolePolicyDocument: pipeServiceTrust(sys, "codebuild.amazonaws.com"),
		Policies: []iam.Role_Policy{{
			PolicyName:     "codebuild",
			PolicyDocument: pipeCodeBuildPolicy(sys, image),
		}},
	}
	repoURI := fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/%s", sys.Tooling().ID, sys.Region, names.AppRepo())
	vars := []codebuild.Project_EnvironmentVariable{
		{Name: "APP_REPOSITORY_NAME", Value: names.AppRepo()},
		{Name: "APP_REPOSITORY_URI", Value: repoURI},
		{Name: "AWS_ACCOUNT_ID", Value: sys.Tooling().ID},
		{Name: "CICDGEN_OUTPUT", Value: pipeBuildOutputDir},
	}
	project := func(name, compute, buildspec, stream string) *codebuild.Project {
		return &codebuild.Project{
			Name:        cloudformation.String(name),
			Description: cloudformation.String(fmt.Sprintf("%s of %s", stream, names.Pipeline())),
			ServiceRole: cloudformation.GetAtt(pipeCodeBuildRoleID, "Arn"),
			Source: &codebuild.Project_Source{
				Type:      "CODEPIPELINE",
				BuildSpec: cloudformation.String(buildspec),
			},
			Artifacts: &codebuild.Project_Artifacts{Type: "CODEPIPELINE"},
			Environment: &codebuild.Project_Environment{
				Type:                     image.Type,
				ComputeType:              pipeComputeType(compute),
				Image:                    image.URI,
				ImagePullCredentialsType: cloudformation.String(image.Credentials),
				PrivilegedMode:           cloudformation.Bool(sys.Build.Privileged),
				EnvironmentVariables:     vars,
			},
			TimeoutInMinutes: cloudformation.Int(sys.Build.TimeoutMinutes),
			EncryptionKey:    cloudformation.String(cloudformation.GetAtt(toolingArtifactKeyID, "Arn")),
			Cache: &codebuild.Project_ProjectCache{
				Type:     "S3",
				Location: cloudformation.String(names.CacheBucket() + "/" + stream),
			},
			LogsConfig: &codebuild.Project_LogsConfig{CloudWatchLogs: &codebuild.Project_CloudWatchLogsConfig{
				Status:     "ENABLED",
				GroupName:  cloudformation.String(cloudformation.Ref(pipeBuildLogGroupID)),
				StreamName: cloudformation.String(stream),
			}},
			// The cache bucket's name is in Location as a string: depend on
			// the bucket so that it exists before the first build.
			AWSCloudFormationDependsOn: []string{pipeCacheBucketID},
		}
	}
	t.Resources[pipeBuildProjectID] = project(names.BuildProject(), sys.Build.Compute, sys.Build.Buildspec, "build")
	if sys.Test != nil {
		t.Resources[pipeTestProjectID] = project(names.TestProject(), sys.Test.Compute, sys.Test.Buildspec, "test")
	}
}

// pipeStage is one deploy stage: one environment, or a wave of consecutive
// environments with the same wave label.
type pipeStage struct {
	Name     string // Deploy-<env> or Deploy-<wave>
	Label    string // the environment's or the wave's name
	Envs     []*schema.Environment
	Approval bool // some environment of the stage asks for approval
}

// pipeDeployStages returns the deploy stages of schema.DeployStages, the
// one place that groups environments into stages and names them, with the
// environments themselves.
func pipeDeployStages(sys *schema.System) []pipeStage {
	var stages []pipeStage
	for _, st := range schema.DeployStages(sys) {
		envs := make([]*schema.Environment, len(st.Environments))
		for k, i := range st.Environments {
			envs[k] = &sys.Environments[i]
		}
		stages = append(stages, pipeStage{Name: st.Name, Label: st.Label, Envs: envs, Approval: st.Approval})
	}
	return stages
}

// pipeParameterOverrides is the ParameterOverrides of every deploy action:
// the ecs stack's ImageUri from the build's imageDetail.json. It is
// spelled out rather than marshalled, so that nothing can fail;
// TestPipeParameterOverrides checks that it is the JSON it says.
func pipeParameterOverrides() string {
	return `{"ImageUri":{"Fn::GetParam":["` + pipeBuildArtifact + `","` + pipeImageDetail + `","ImageURI"]}}`
}

// pipeConnectionARNs returns the connection ARN under both of its service
// prefixes (codestar-connections and codeconnections), sorted: CodePipeline
// authorizes UseConnection under the prefix the connection was created with,
// and AWS now answers under either.
func pipeConnectionARNs(arn string) []string {
	parts := strings.SplitN(arn, ":", 4)
	if len(parts) < 4 || (parts[2] != "codestar-connections" && parts[2] != "codeconnections") {
		return []string{arn}
	}
	out := []string{
		strings.Join([]string{parts[0], parts[1], "codestar-connections", parts[3]}, ":"),
		strings.Join([]string{parts[0], parts[1], "codeconnections", parts[3]}, ":"),
	}
	sort.Strings(out)
	return out
}

// pipeRolePolicy returns the pipeline role's policy: exactly what the
// pipeline uses.
func pipeRolePolicy(sys *schema.System) *PolicyDocument {
	names := schema.NamesOf(sys)
	regions := append([]string{sys.Region}, names.SupportRegions()...)
	var objects, buckets []any
	keys := []any{cloudformation.GetAtt(toolingArtifactKeyID, "Arn")}
	for _, r := range regions {
		arn := toolingBucketARN(names.ArtifactBucket(r))
		buckets = append(buckets, arn)
		objects = append(objects, arn+"/*")
		if r != sys.Region {
			keys = append(keys, cloudformation.Ref(toolingRegionParam(r)))
		}
	}
	var projects []any
	for _, p := range pipeProjectNames(sys) {
		projects = append(projects, pipeProjectARN(sys, p))
	}
	var connections []any
	for _, c := range pipeConnectionARNs(sys.Source.Connection) {
		connections = append(connections, c)
	}
	doc := Policy(
		Allow("ArtifactObjects", []string{"s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:PutObjectAcl"}, objects...),
		Allow("ArtifactBuckets", []string{"s3:GetBucketAcl", "s3:GetBucketLocation", "s3:GetBucketVersioning"}, buckets...),
		Allow("ArtifactKeys", toolingKeyUseActions, keys...),
		Allow("Builds", []string{"codebuild:BatchGetBuilds", "codebuild:StartBuild"}, projects...),
		Allow("SourceConnection", []string{"codeconnections:UseConnection", "codestar-connections:UseConnection"}, connections...),
		Allow("ApprovalNotifications", []string{"sns:Publish"}, cloudformation.Ref(pipeApprovalsTopicID)),
		Allow("NotificationsKey", []string{"kms:Decrypt", "kms:GenerateDataKey"}, cloudformation.GetAtt(pipeNotificationsKeyID, "Arn")),
	)
	assume := Statement{Sid: "AssumeDeployRoles", Effect: "Allow", Action: []string{"sts:AssumeRole"}}
	if sys.Organization != "" {
		// The name pattern is specific to this system; each deploy role's
		// trust policy (roles-<env>) admits only this pipeline role. No
		// aws:ResourceOrgID condition: STS does not document it for
		// AssumeRole, and an absent key would deny every deployment.
		assume.Resource = schema.RoleARN("*", names.DeployRole("*"))
	} else {
		var arns []string
		for _, env := range toolingAllEnvs(sys) {
			arns = append(arns, schema.RoleARN(sys.AccountOf(env).ID, names.DeployRole(env.Name)))
		}
		arns = toolingSortedUnique(arns)
		res := make([]any, len(arns))
		for i, a := range arns {
			res[i] = a
		}
		assume.Resource = resourceList(res)
	}
	doc.Statement = append(doc.Statement, assume)
	return doc
}

// pipeActionType returns the action type category/AWS/provider, version 1.
func pipeActionType(category, provider string) *codepipeline.Pipeline_ActionTypeId {
	return &codepipeline.Pipeline_ActionTypeId{Category: category, Owner: "AWS", Provider: provider, Version: "1"}
}

// addPipePipeline adds the pipeline role and the pipeline.
func addPipePipeline(t *cloudformation.Template, sys *schema.System) {
	names := schema.NamesOf(sys)
	support := names.SupportRegions()
	multiRegion := len(support) > 0

	t.Resources[pipeRoleID] = &iam.Role{
		RoleName:                 cloudformation.String(names.PipelineRole()),
		Description:              cloudformation.String("CodePipeline " + names.Pipeline()),
		AssumeRolePolicyDocument: pipeServiceTrust(sys, "codepipeline.amazonaws.com"),
		Policies: []iam.Role_Policy{{
			PolicyName:     "pipeline",
			PolicyDocument: pipeRolePolicy(sys),
		}},
	}

	detect := "false"
	if sys.Source.DetectChanges {
		detect = "true"
	}
	stages := []codepipeline.Pipeline_StageDeclaration{
		{Name: "Source", Actions: []codepipeline.Pipeline_ActionDeclaration{{
			Name:         "Source",
			ActionTypeId: pipeActionType("Source", "CodeStarSourceConnection"),
			Configuration: map[string]any{
				"ConnectionArn":        sys.Source.Connection,
				"FullRepositoryId":     sys.Source.Repository,
				"BranchName":           sys.Source.Branch,
				"DetectChanges":        detect,
				"OutputArtifactFormat": "CODE_ZIP",
			},
			OutputArtifacts: []codepipeline.Pipeline_OutputArtifact{{Name: pipeSourceArtifact}},
			RunOrder:        cloudformation.Int(1),
		}}},
		{Name: "Build", Actions: []codepipeline.Pipeline_ActionDeclaration{{
			Name:            "Build",
			ActionTypeId:    pipeActionType("Build", "CodeBuild"),
			Configuration:   map[string]any{"ProjectName": cloudformation.Ref(pipeBuildProjectID)},
			InputArtifacts:  []codepipeline.Pipeline_InputArtifact{{Name: pipeSourceArtifact}},
			OutputArtifacts: []codepipeline.Pipeline_OutputArtifact{{Name: pipeBuildArtifact}},
			RunOrder:        cloudformation.Int(1),
		}}},
	}
	if sys.Test != nil {
		stages = append(stages, codepipeline.Pipeline_StageDeclaration{Name: "Test", Actions: []codepipeline.Pipeline_ActionDeclaration{{
			Name:           "Test",
			ActionTypeId:   pipeActionType("Test", "CodeBuild"),
			Configuration:  map[string]any{"ProjectName": cloudformation.Ref(pipeTestProjectID)},
			InputArtifacts: []codepipeline.Pipeline_InputArtifact{{Name: pipeSourceArtifact}},
			RunOrder:       cloudformation.Int(1),
		}}})
	}
	overrides := pipeParameterOverrides()
	for _, st := range pipeDeployStages(sys) {
		var actions []codepipeline.Pipeline_ActionDeclaration
		runOrder := 1
		if st.Approval {
			what := "environment " + st.Label
			if st.Envs[0].Wave != "" {
				what = fmt.Sprintf("wave %s (%d environments)", st.Label, len(st.Envs))
			}
			actions = append(actions, codepipeline.Pipeline_ActionDeclaration{
				Name:         "Approve",
				ActionTypeId: pipeActionType("Approval", "Manual"),
				Configuration: map[string]any{
					"NotificationArn": cloudformation.Ref(pipeApprovalsTopicID),
					"CustomData":      pipeCustomData(fmt.Sprintf("Approve the deployment of %s to %s.", names.Pipeline(), what)),
				},
				RunOrder: cloudformation.Int(1),
			})
			runOrder = 2
		}
		for _, env := range st.Envs {
			acct := sys.AccountOf(env).ID
			stack := names.StackName(schema.KindECS(env.Name))
			a := codepipeline.Pipeline_ActionDeclaration{
				Name:         "Deploy-" + env.Name,
				ActionTypeId: pipeActionType("Deploy", "CloudFormation"),
				Configuration: map[string]any{
					"ActionMode":            "CREATE_UPDATE",
					"StackName":             stack,
					"TemplatePath":          fmt.Sprintf("%s::%s/%s.json", pipeBuildArtifact, pipeBuildOutputDir, stack),
					"TemplateConfiguration": fmt.Sprintf("%s::%s/%s.config.json", pipeBuildArtifact, pipeBuildOutputDir, stack),
					"Capabilities":          "CAPABILITY_IAM,CAPABILITY_NAMED_IAM",
					"RoleArn":               schema.RoleARN(acct, names.ExecutionRole(env.Name)),
					"ParameterOverrides":    overrides,
				},
				InputArtifacts: []codepipeline.Pipeline_InputArtifact{{Name: pipeBuildArtifact}},
				RoleArn:        cloudformation.String(schema.RoleARN(acct, names.DeployRole(env.Name))),
				RunOrder:       cloudformation.Int(runOrder),
			}
			if multiRegion {
				a.Region = cloudformation.String(env.Region)
			}
			actions = append(actions, a)
		}
		stages = append(stages, codepipeline.Pipeline_StageDeclaration{Name: st.Name, Actions: actions})
	}

	p := &codepipeline.Pipeline{
		Name:          cloudformation.String(names.Pipeline()),
		PipelineType:  cloudformation.String("V2"),
		ExecutionMode: cloudformation.String("QUEUED"),
		RoleArn:       cloudformation.GetAtt(pipeRoleID, "Arn"),
		Stages:        stages,
		// The bucket policy (TLS only) must be in place before the first run.
		AWSCloudFormationDependsOn: []string{toolingArtifactBucketPolicyID},
	}
	home := &codepipeline.Pipeline_ArtifactStore{
		Type:     "S3",
		Location: cloudformation.Ref(toolingArtifactBucketID),
		EncryptionKey: &codepipeline.Pipeline_EncryptionKey{
			Type: "KMS",
			Id:   cloudformation.GetAtt(toolingArtifactKeyID, "Arn"),
		},
	}
	if !multiRegion {
		p.ArtifactStore = home
	} else {
		p.ArtifactStores = []codepipeline.Pipeline_ArtifactStoreMap{{Region: sys.Region, ArtifactStore: home}}
		for _, r := range support {
			p.ArtifactStores = append(p.ArtifactStores, codepipeline.Pipeline_ArtifactStoreMap{
				Region: r,
				ArtifactStore: &codepipeline.Pipeline_ArtifactStore{
					Type:     "S3",
					Location: names.ArtifactBucket(r),
					EncryptionKey: &codepipeline.Pipeline_EncryptionKey{
						Type: "KMS",
						Id:   cloudformation.Ref(toolingRegionParam(r)),
					},
				},
			})
		}
	}
	t.Resources[pipePipelineID] = p
}

// pipeCustomData returns s cut to the 500 characters CodePipeline allows in
// an approval's CustomData.
func pipeCustomData(s string) string {
	if len(s) > 500 {
		return s[:500]
	}
	return s
}
