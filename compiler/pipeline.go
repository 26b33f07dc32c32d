package compiler

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/awslabs/goformation/v7/cloudformation/ecr"
	"github.com/awslabs/goformation/v7/cloudformation/kms"
	"github.com/awslabs/goformation/v7/cloudformation/s3"
	"github.com/awslabs/goformation/v7/cloudformation/sns"
	"github.com/cicdgen/cicdgen/compiler/cfn"

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
//	BuildImageRepository    AWS::ECR::Repository   <name>-build-image-<suffix>, the CodeBuild image (tags latest
//	                                               and the Dockerfile's content hash)
//	AppRepository           AWS::ECR::Repository   the application image in the home region; immutable tags;
//	                                               pull for the home region's task execution roles
//	BuildLogGroup           AWS::Logs::LogGroup    CodeBuild logs, one year, KMS-encrypted
//	CodeBuildRole           AWS::IAM::Role         role of the build-image, build and test projects
//	BuildImageProject       AWS::CodeBuild::Project BuildImage (only with build.image: ecr): builds and pushes
//	                                               the build image from build.dockerfile
//	BuildProject            AWS::CodeBuild::Project build: pushes the image, writes imageDetail.json and cicdgen-out/
//	TestProject             AWS::CodeBuild::Project test (only with test:)
//	UpdatePipelineRole      AWS::IAM::Role         role of the update-pipeline project
//	UpdatePipelineProject   AWS::CodeBuild::Project UpdatePipeline: applies the tooling stacks from cicdgen-out/
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
//   - RestartExecutionOnUpdate: when UpdatePipeline changes the pipeline's
//     definition, CodePipeline ends the running execution once the
//     UpdatePipeline action is done, and CloudFormation starts a new one on
//     the new definition: no execution deploys on a stale definition.
//   - The failures topic's policy lives here, beside the topic: the
//     monitoring stack, which follows this one, can rely on it.
//   - With one region, the pipeline has one ArtifactStore and its actions no
//     Region; with support regions it has ArtifactStores (home first, then the
//     support regions sorted) and every deploy action names its Region.
//   - The build image repository keeps mutable tags: the build project pulls
//     its tag latest, which BuildImage moves. The application repositories'
//     tags are immutable.
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
	pipeBuildImageProjectID    = "BuildImageProject"
	pipeBuildProjectID         = "BuildProject"
	pipeTestProjectID          = "TestProject"
	pipeUpdateRoleID           = "UpdatePipelineRole"
	pipeUpdateProjectID        = "UpdatePipelineProject"
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
	// pipeImageDetail is the file the build writes with the image it pushed:
	// {"ImageURI": "<home region's repository>:<tag>"} and, for each support
	// region, the key pipeRegionImageKey of that region's repository.
	pipeImageDetail = "imageDetail.json"
	// pipeSourceArtifact and pipeBuildArtifact name the pipeline's artifacts.
	pipeSourceArtifact = "SourceOutput"
	pipeBuildArtifact  = "BuildOutput"
)

// pipeRegionImageKey returns the key of imageDetail.json that holds the
// image pushed to region's application repository: ImageURI for the home
// region, ImageURI_<region with underscores> for a support region
// (ImageURI_eu_west_1).
func pipeRegionImageKey(sys *schema.System, region string) string {
	if region == sys.Region {
		return "ImageURI"
	}
	return "ImageURI_" + strings.ReplaceAll(region, "-", "_")
}

// Retention choices of the application and build-image repositories.
const (
	// pipeAppImagesKept is how many tagged application images are kept.
	// Each build pushes one (its commit); an environment runs the image of
	// the last execution that deployed to it, so an environment still
	// pulls its image (a new task, a scale-out) as long as fewer than this
	// many builds ran since its last deploy.
	pipeAppImagesKept = 1000
	// pipeBuildImagesKept is how many tagged build images are kept: the
	// current one (latest) and those of recent Dockerfiles, so that a
	// reverted Dockerfile finds its image without a docker build.
	pipeBuildImagesKept = 10
	// pipeUntaggedDays is how long an untagged image is kept. Nothing runs
	// an untagged image: task definitions name the commit's tag; untagged
	// images are the leftovers of interrupted pushes (and, in the
	// build-image repository, images latest moved away from).
	pipeUntaggedDays    = 14
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
func buildPipeline(sys *schema.System) (*cfn.Template, map[string]Parameter, error) {
	names := schema.NamesOf(sys)
	t := cfn.NewTemplate()
	t.Description = fmt.Sprintf("cicdgen %s: pipeline %s, its builds, artifacts, images and notifications",
		sys.Name, names.Pipeline())
	params := map[string]Parameter{}
	for _, region := range names.SupportRegions() {
		p := toolingRegionParam(region)
		t.Parameters[p] = cfn.Parameter{
			Type:           "String",
			Description:    cfn.String("ARN of the artifact KMS key in " + region + " (output ArtifactKeyArn of " + names.StackName(schema.KindArtifacts(region)) + ")"),
			AllowedPattern: cfn.String(`^arn:aws[a-z-]*:kms:` + regexp.QuoteMeta(region) + `:[0-9]{12}:key/[A-Za-z0-9-]+$`),
		}
		params[p] = Parameter{FromOutput: &OutputRef{Stack: names.StackName(schema.KindArtifacts(region)), Output: toolingOutputArtifactKeyArn}}
	}

	addArtifactStore(t, sys, sys.Region, []string{toolingPipelineRoleARN(sys), toolingCodeBuildRoleARN(sys), toolingUpdateRoleARN(sys)})
	addPipeCache(t, sys)
	addAccessLogBucket(t, sys, sys.Region, []string{names.ArtifactBucket(sys.Region), names.CacheBucket()})
	addPipeNotifications(t, sys)
	if err := addPipeRepositories(t, sys); err != nil {
		return nil, nil, err
	}
	addPipeBuild(t, sys)
	addPipeUpdate(t, sys)
	if err := addPipePipeline(t, sys); err != nil {
		return nil, nil, err
	}

	export := func(output string) *cfn.Export {
		return &cfn.Export{Name: names.StackName(schema.KindPipeline) + ":" + output}
	}
	t.Outputs[pipeOutputFailuresTopicArn] = cfn.Output{
		Description: cfn.String("SNS topic of pipeline failure alerts"),
		Value:       cfn.Ref(pipeFailuresTopicID),
		Export:      export(pipeOutputFailuresTopicArn),
	}
	t.Outputs[pipeOutputApprovalsTopicArn] = cfn.Output{
		Description: cfn.String("SNS topic of manual approvals"),
		Value:       cfn.Ref(pipeApprovalsTopicID),
		Export:      export(pipeOutputApprovalsTopicArn),
	}
	t.Outputs[pipeOutputPipelineName] = cfn.Output{
		Description: cfn.String("Name of the pipeline"),
		Value:       cfn.Ref(pipePipelineID),
		Export:      export(pipeOutputPipelineName),
	}
	t.Outputs[pipeOutputNotificationsKeyArn] = cfn.Output{
		Description: cfn.String("KMS key of the SNS topics"),
		Value:       cfn.GetAtt(pipeNotificationsKeyID, "Arn"),
		Export:      export(pipeOutputNotificationsKeyArn),
	}
	t.Outputs[toolingOutputAppRepositoryURI] = cfn.Output{
		Description: cfn.String("URI of the application image repository"),
		Value:       cfn.GetAtt(pipeAppRepoID, "RepositoryUri"),
	}
	t.Outputs["BuildImageRepositoryUri"] = cfn.Output{
		Description: cfn.String("URI of the build image repository (the BuildImage stage pushes the image the builds run in, tag latest)"),
		Value:       cfn.GetAtt(pipeBuildImageRepoID, "RepositoryUri"),
	}
	return t, params, nil
}

// addPipeCache adds the CodeBuild cache bucket, encrypted with the artifact key.
func addPipeCache(t *cfn.Template, sys *schema.System) {
	name := schema.NamesOf(sys).CacheBucket()
	t.Resources[pipeCacheBucketID] = toolingBucket(name, cfn.GetAtt(toolingArtifactKeyID, "Arn"),
		sys.Build.CacheDays, pipeCacheNoncurrent)
	t.Resources[pipeCacheBucketPolicyID] = &s3.BucketPolicy{
		Bucket:         cfn.Ref(pipeCacheBucketID),
		PolicyDocument: Policy(toolingDenyInsecureTransport(name)),
	}
}

// pipeLogGroupARN returns the ARN of the CodeBuild log group, as IAM and the
// KMS encryption context name it.
func pipeLogGroupARN(sys *schema.System) string {
	return fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s", sys.Region, sys.Tooling().ID, schema.NamesOf(sys).BuildLogGroup())
}

// pipeFailureRuleARN returns the ARN of the EventBridge rule that sends the
// pipeline's failures to the failures topic.
func pipeFailureRuleARN(sys *schema.System) string {
	return fmt.Sprintf("arn:aws:events:%s:%s:rule/%s", sys.Region, sys.Tooling().ID, schema.NamesOf(sys).FailureRule())
}

// addPipeNotifications adds the notifications key, the approvals and
// failures topics with their e-mail subscriptions, and the failures topic's
// policy.
func addPipeNotifications(t *cfn.Template, sys *schema.System) {
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
		Description:       cfn.String(fmt.Sprintf("SNS topics and build logs of %s", names.Pipeline())),
		EnableKeyRotation: cfn.Bool(true),
		KeyPolicy:         keyPolicy,
	}
	keyARN := cfn.GetAtt(pipeNotificationsKeyID, "Arn")
	topic := func(id, name, display string, emails []string, subPrefix string) {
		t.Resources[id] = &sns.Topic{
			TopicName:      cfn.String(name),
			DisplayName:    cfn.String(display),
			KmsMasterKeyId: cfn.String(keyARN),
		}
		for i, email := range emails {
			t.Resources[fmt.Sprintf("%s%d", subPrefix, i+1)] = &sns.Subscription{
				TopicArn: cfn.Ref(id),
				Protocol: "email",
				Endpoint: cfn.String(email),
			}
		}
	}
	topic(pipeApprovalsTopicID, names.ApprovalsTopic(), pipeDisplayName(sys.Name+" approvals"), sys.Notifications.Approvals, pipeApprovalsSubscriptionP)
	topic(pipeFailuresTopicID, names.FailuresTopic(), pipeDisplayName(sys.Name+" failures"), sys.Notifications.Failures, pipeFailuresSubscriptionP)

	ruleARN := pipeFailureRuleARN(sys)
	t.Resources[pipeFailuresTopicPolicyID] = &sns.TopicPolicy{
		Topics: []string{cfn.Ref(pipeFailuresTopicID)},
		PolicyDocument: Policy(Statement{
			Sid:       "FailureRulePublishes",
			Effect:    "Allow",
			Principal: map[string]any{"Service": "events.amazonaws.com"},
			Action:    "sns:Publish",
			Resource:  cfn.Ref(pipeFailuresTopicID),
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

// pipeLifecycle returns the lifecycle policy of an ECR repository: untagged
// images expire pipeUntaggedDays after their push (by age), and tagged
// images beyond the newest keptTagged (by count). No rule expires a tagged
// image by age alone: an environment may run an old image for as long as
// nobody promotes a newer one.
func pipeLifecycle(keptTagged int) (*ecr.Repository_LifecyclePolicy, error) {
	doc := map[string]any{"rules": []any{
		map[string]any{
			"rulePriority": 1,
			"description":  fmt.Sprintf("Expire untagged images %d days after their push", pipeUntaggedDays),
			"selection": map[string]any{
				"tagStatus":   "untagged",
				"countType":   "sinceImagePushed",
				"countUnit":   "days",
				"countNumber": pipeUntaggedDays,
			},
			"action": map[string]any{"type": "expire"},
		},
		map[string]any{
			"rulePriority": 2,
			"description":  fmt.Sprintf("Keep the newest %d tagged images", keptTagged),
			"selection": map[string]any{
				"tagStatus":      "tagged",
				"tagPatternList": []any{"*"},
				"countType":      "imageCountMoreThan",
				"countNumber":    keptTagged,
			},
			"action": map[string]any{"type": "expire"},
		},
	}}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encode the ECR lifecycle policy: %w", err)
	}
	return &ecr.Repository_LifecyclePolicy{LifecyclePolicyText: cfn.String(string(b))}, nil
}

// pipePullActions are the ECR actions that pull an image.
var pipePullActions = []string{
	"ecr:BatchCheckLayerAvailability",
	"ecr:BatchGetImage",
	"ecr:GetDownloadUrlForLayer",
}

// addPipeRepositories adds the build-image repository and the home
// region's application repository.
func addPipeRepositories(t *cfn.Template, sys *schema.System) error {
	names := schema.NamesOf(sys)
	lifecycle, err := pipeLifecycle(pipeBuildImagesKept)
	if err != nil {
		return err
	}
	t.Resources[pipeBuildImageRepoID] = &ecr.Repository{
		RepositoryName:             cfn.String(names.BuildImageRepo()),
		ImageTagMutability:         cfn.String("MUTABLE"),
		ImageScanningConfiguration: &ecr.Repository_ImageScanningConfiguration{ScanOnPush: cfn.Bool(true)},
		EncryptionConfiguration:    &ecr.Repository_EncryptionConfiguration{EncryptionType: "AES256"},
		LifecyclePolicy:            lifecycle,
		EmptyOnDelete:              cfn.Bool(true),
	}
	app, err := toolingAppRepository(sys, sys.Region)
	if err != nil {
		return err
	}
	t.Resources[pipeAppRepoID] = app
	return nil
}

// pipeCustomData returns s cut to the 500 characters CodePipeline allows in
// an approval's CustomData.
func pipeCustomData(s string) string {
	if len(s) > 500 {
		return s[:500]
	}
	return s
}
