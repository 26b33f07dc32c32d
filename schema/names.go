package schema

import (
	"fmt"
	"sort"
)

// Names gives every physical name and stack name the compiler creates. It is
// the one place these are spelled, so that the stack that creates a resource
// and the stacks that refer to it across accounts agree, and so that the
// semantic checks can verify AWS's length limits before anything is built.
type Names struct{ sys *System }

// NamesOf returns the names of sys.
func NamesOf(sys *System) Names { return Names{sys: sys} }

// Stack kinds, as used in stack names, manifest.json and overrides keys.
const (
	KindPipeline   = "pipeline"
	KindMonitoring = "monitoring"
	// KindToolingSecrets is the tooling account's secrets stack (the build's
	// Docker Hub credentials), present with build.registry_credentials.
	KindToolingSecrets = "secrets"
)

// KindArtifacts returns the kind of the support stack of region.
func KindArtifacts(region string) string { return "artifacts-" + region }

// KindRoles returns the kind of an environment's roles stack.
func KindRoles(env string) string { return "roles-" + env }

// KindSecrets returns the kind of an environment's secrets stack.
func KindSecrets(env string) string { return "secrets-" + env }

// KindECS returns the kind of an environment's ecs stack.
func KindECS(env string) string { return "ecs-" + env }

// StackName returns <name>-<kind>-<suffix>.
func (n Names) StackName(kind string) string {
	return fmt.Sprintf("%s-%s-%s", n.sys.Name, kind, n.sys.Suffix)
}

func (n Names) sys3(middle string) string {
	return fmt.Sprintf("%s-%s-%s", n.sys.Name, middle, n.sys.Suffix)
}

// --- tooling account ---

// Pipeline is the CodePipeline name.
func (n Names) Pipeline() string { return n.sys3("pipeline") }

// PipelineRole is the name of the role CodePipeline runs as.
func (n Names) PipelineRole() string { return n.sys3("pipeline") }

// CodeBuildRole is the name of the role the build, test and build-image
// CodeBuild projects run as.
func (n Names) CodeBuildRole() string { return n.sys3("codebuild") }

// BuildProject is the CodeBuild build project name.
func (n Names) BuildProject() string { return n.sys3("build") }

// BuildImageProject is the CodeBuild project of the BuildImage stage, which
// builds and pushes the build image.
func (n Names) BuildImageProject() string { return n.sys3("build-image") }

// UpdatePipelineProject is the CodeBuild project of the UpdatePipeline
// stage, which applies the tooling stacks from the execution's build output.
func (n Names) UpdatePipelineProject() string { return n.sys3("update-pipeline") }

// UpdatePipelineRole is the name of the role the update-pipeline project
// runs as.
func (n Names) UpdatePipelineRole() string { return n.sys3("update-pipeline") }

// DockerCredentialsSecret is the tooling account's Secrets Manager secret
// of the Docker Hub credentials the builds log in with
// (build.registry_credentials).
func (n Names) DockerCredentialsSecret() string { return n.sys3("docker-credentials") }

// TestProject is the CodeBuild test project name.
func (n Names) TestProject() string { return n.sys3("test") }

// ArtifactBucket is the artifact bucket of region (home or support region).
// It carries the tooling account id to be globally unique.
func (n Names) ArtifactBucket(region string) string {
	return fmt.Sprintf("%s-artifacts-%s-%s-%s", n.sys.Name, n.sys.Tooling().ID, region, n.sys.Suffix)
}

// AccessLogBucket is the S3 server access log bucket of region's artifact
// (and, at home, cache) buckets: <name>-s3-logs-<tooling account>-<region>-<suffix>.
func (n Names) AccessLogBucket(region string) string {
	return fmt.Sprintf("%s-s3-logs-%s-%s-%s", n.sys.Name, n.sys.Tooling().ID, region, n.sys.Suffix)
}

// CacheBucket is the CodeBuild cache bucket.
func (n Names) CacheBucket() string {
	return fmt.Sprintf("%s-cache-%s-%s-%s", n.sys.Name, n.sys.Tooling().ID, n.sys.Region, n.sys.Suffix)
}

// ArtifactKeyAlias is the alias of the artifact KMS key of region (for people;
// templates refer to the key by ARN).
func (n Names) ArtifactKeyAlias(region string) string {
	return fmt.Sprintf("alias/%s-artifacts-%s-%s", n.sys.Name, region, n.sys.Suffix)
}

// BuildImageRepo is the ECR repository of the build image, <name>-build-image-<suffix>.
func (n Names) BuildImageRepo() string { return n.sys3("build-image") }

// AppRepo is the ECR repository of the application image. Every region an
// environment uses has one of this name: the home region's in the pipeline
// stack, each other region's in its artifacts-<region> stack.
func (n Names) AppRepo() string { return n.sys3(n.sys.Service.Name) }

// ApprovalsTopic is the SNS topic of manual approvals.
func (n Names) ApprovalsTopic() string { return n.sys3("approvals") }

// FailuresTopic is the SNS topic of pipeline failures.
func (n Names) FailuresTopic() string { return n.sys3("failures") }

// FailureRule is the EventBridge rule on failed pipeline executions.
func (n Names) FailureRule() string { return n.sys3("pipeline-failures") }

// Dashboard is the CloudWatch dashboard.
func (n Names) Dashboard() string { return n.sys3("pipeline") }

// BuildLogGroup is the CloudWatch log group of the CodeBuild projects.
func (n Names) BuildLogGroup() string { return n.sys3("codebuild") }

// --- environment accounts ---

func (n Names) env4(middle, env string) string {
	return fmt.Sprintf("%s-%s-%s-%s", n.sys.Name, middle, env, n.sys.Suffix)
}

// DeployRole is the role the pipeline assumes in an environment's account.
func (n Names) DeployRole(env string) string { return n.env4("deploy", env) }

// ExecutionRole is the role CloudFormation runs as in an environment's account.
func (n Names) ExecutionRole(env string) string { return n.env4("cfn-exec", env) }

// RolesVersionParameter is the SSM parameter in which an environment's
// roles stack publishes its version: /<name>/<env>/<suffix>/roles-version.
// Every stack the pipeline deploys into the environment asserts it.
func (n Names) RolesVersionParameter(env string) string {
	return fmt.Sprintf("/%s/%s/%s/roles-version", n.sys.Name, env, n.sys.Suffix)
}

// ManagedSecret is the Secrets Manager secret of the managed secret of
// variable key in an environment: <name>/<env>/<suffix>/<key>.
func (n Names) ManagedSecret(env, key string) string {
	return fmt.Sprintf("%s/%s/%s/%s", n.sys.Name, env, n.sys.Suffix, key)
}

// ManagedSecrets returns the names of env's managed secrets (the secrets of
// its secrets-<env> stack), sorted by variable name; none when the
// environment has no secrets stack. Preflight checks that each has a value.
func (n Names) ManagedSecrets(env *Environment) []string {
	keys := env.Service.ManagedSecrets()
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = n.ManagedSecret(env.Name, k)
	}
	return out
}

// Cluster is the ECS cluster of an environment.
func (n Names) Cluster(env string) string {
	return fmt.Sprintf("%s-%s-%s", n.sys.Name, env, n.sys.Suffix)
}

// ECSService is the ECS service name of an environment.
func (n Names) ECSService(env string) string { return n.env4(n.sys.Service.Name, env) }

// TaskFamily is the task definition family of an environment.
func (n Names) TaskFamily(env string) string { return n.env4(n.sys.Service.Name, env) }

// TaskRole is the role the application's containers run as.
func (n Names) TaskRole(env string) string { return n.env4("task", env) }

// TaskExecutionRole is the role ECS pulls images and reads secrets with.
func (n Names) TaskExecutionRole(env string) string { return n.env4("task-exec", env) }

// ECSInfrastructureRole is the role ECS uses for blue/green load balancer changes.
func (n Names) ECSInfrastructureRole(env string) string { return n.env4("ecs-infra", env) }

// FlowLogsRole is the role VPC flow logs deliver to CloudWatch Logs with.
func (n Names) FlowLogsRole(env string) string { return n.env4("flow-logs", env) }

// LoadBalancer is the ALB name (32 characters at most).
func (n Names) LoadBalancer(env string) string {
	return fmt.Sprintf("%s-%s-%s", n.sys.Name, env, n.sys.Suffix)
}

// TargetGroup is the name of the blue or green target group of port (32
// characters at most); color is "blue" or "green". The name carries the
// port: a target group's port cannot change, so a new service.port replaces
// the target groups, and the new ones need names of their own.
func (n Names) TargetGroup(env, color string, port int) string {
	return fmt.Sprintf("%s-%s-%s%d-%s", n.sys.Name, env, color[:1], port, n.sys.Suffix)
}

// TargetGroupPattern matches the names of env's target groups of color
// whatever their port, for IAM policies.
func (n Names) TargetGroupPattern(env, color string) string {
	return fmt.Sprintf("%s-%s-%s*-%s", n.sys.Name, env, color[:1], n.sys.Suffix)
}

// ServiceLogGroup is the log group of the application's containers,
// <name>-ecs-<env>-<suffix>: like every physical name it begins with the
// system's name, so two systems never share it.
func (n Names) ServiceLogGroup(env string) string { return n.env4("ecs", env) }

// FlowLogGroup is the log group of the VPC flow logs, <name>-flow-logs-<env>-<suffix>.
func (n Names) FlowLogGroup(env string) string { return n.env4("flow-logs", env) }

// --- ARNs built from names, for cross-account references ---

// RoleARN returns the ARN of role name in account.
func RoleARN(account, name string) string {
	return fmt.Sprintf("arn:aws:iam::%s:role/%s", account, name)
}

// PhysicalName is one name the compiler creates, with the limit AWS puts on it.
type PhysicalName struct {
	What  string // e.g. "IAM role", "S3 bucket", "load balancer"
	Name  string
	Limit int    // maximum length in characters
	Path  string // YAML path the name derives from, for diagnostics
}

// PhysicalNames returns every name the compiler will create, in a stable
// order, each with its AWS length limit.
func (n Names) PhysicalNames() []PhysicalName {
	s := n.sys
	var out []PhysicalName
	add := func(what, name string, limit int, path string) {
		out = append(out, PhysicalName{What: what, Name: name, Limit: limit, Path: path})
	}
	add("CloudFormation stack", n.StackName(KindMonitoring), 128, "$.name")
	add("CodePipeline pipeline", n.Pipeline(), 100, "$.name")
	add("IAM role", n.PipelineRole(), 64, "$.name")
	add("IAM role", n.CodeBuildRole(), 64, "$.name")
	add("CodeBuild project", n.BuildProject(), 150, "$.name")
	add("CodeBuild project", n.TestProject(), 150, "$.name")
	add("CodeBuild project", n.BuildImageProject(), 150, "$.name")
	add("CodeBuild project", n.UpdatePipelineProject(), 150, "$.name")
	add("IAM role", n.UpdatePipelineRole(), 64, "$.name")
	add("Secrets Manager secret", n.DockerCredentialsSecret(), 512, "$.name")
	add("log group", n.BuildLogGroup(), 512, "$.name")
	add("CloudFormation stack", n.StackName(KindToolingSecrets), 128, "$.name")
	add("S3 bucket", n.ArtifactBucket(s.Region), 63, "$.region")
	add("S3 bucket", n.CacheBucket(), 63, "$.region")
	add("S3 bucket", n.AccessLogBucket(s.Region), 63, "$.region")
	add("KMS alias", n.ArtifactKeyAlias(s.Region), 256, "$.region")
	add("ECR repository", n.BuildImageRepo(), 256, "$.name")
	add("ECR repository", n.AppRepo(), 256, "$.service.name")
	add("SNS topic", n.ApprovalsTopic(), 256, "$.name")
	add("SNS topic", n.FailuresTopic(), 256, "$.name")
	add("EventBridge rule", n.FailureRule(), 64, "$.name")
	add("CloudWatch dashboard", n.Dashboard(), 255, "$.name")
	for _, r := range n.SupportRegions() {
		add("CloudFormation stack", n.StackName(KindArtifacts(r)), 128, "$.name")
		add("S3 bucket", n.ArtifactBucket(r), 63, "$.name")
		add("S3 bucket", n.AccessLogBucket(r), 63, "$.name")
		add("KMS alias", n.ArtifactKeyAlias(r), 256, "$.name")
	}
	for i := range s.Environments {
		e := &s.Environments[i]
		p := PathIndex("$.environments", i) + ".name"
		add("CloudFormation stack", n.StackName(KindSecrets(e.Name)), 128, p)
		add("IAM role", n.DeployRole(e.Name), 64, p)
		add("IAM role", n.ExecutionRole(e.Name), 64, p)
		add("SSM parameter", n.RolesVersionParameter(e.Name), 1011, p)
		add("IAM role", n.TaskRole(e.Name), 64, p)
		add("IAM role", n.TaskExecutionRole(e.Name), 64, p)
		add("IAM role", n.ECSInfrastructureRole(e.Name), 64, p)
		add("IAM role", n.FlowLogsRole(e.Name), 64, p)
		for _, secret := range n.ManagedSecrets(e) {
			add("Secrets Manager secret", secret, 512, p)
		}
		add("ECS cluster", n.Cluster(e.Name), 255, p)
		add("ECS service", n.ECSService(e.Name), 255, p)
		add("task definition family", n.TaskFamily(e.Name), 255, p)
		add("load balancer", n.LoadBalancer(e.Name), 32, p)
		add("target group", n.TargetGroup(e.Name, "blue", e.Service.Port), 32, p)
		add("target group", n.TargetGroup(e.Name, "green", e.Service.Port), 32, p)
		add("log group", n.ServiceLogGroup(e.Name), 512, p)
		add("log group", n.FlowLogGroup(e.Name), 512, p)
	}
	return out
}

// SupportRegions returns the regions other than the home region that an
// environment uses, sorted: each gets an artifacts-<region> support stack.
func (n Names) SupportRegions() []string {
	seen := map[string]bool{}
	var out []string
	for _, e := range n.sys.Environments {
		if e.Region != n.sys.Region && !seen[e.Region] {
			seen[e.Region] = true
			out = append(out, e.Region)
		}
	}
	sort.Strings(out)
	return out
}

// Tags cicdgen puts on every stack beside system.yaml's tags. The cicdgen:
// prefix is reserved for them.
const (
	TagSystem      = "cicdgen:system"
	TagSuffix      = "cicdgen:suffix"
	TagEnvironment = "cicdgen:environment" // environment stacks only
	// ReservedTagPrefix starts every tag key cicdgen sets itself.
	ReservedTagPrefix = "cicdgen:"
)

// MaxStackTags is CloudFormation's limit of tags on one stack.
const MaxStackTags = 50

// MaxUserTags is how many tags system.yaml may set: CloudFormation's 50 per
// stack less the three cicdgen adds.
const MaxUserTags = MaxStackTags - 3
