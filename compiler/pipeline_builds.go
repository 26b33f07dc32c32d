package compiler

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/awslabs/goformation/v7/cloudformation/codebuild"
	"github.com/awslabs/goformation/v7/cloudformation/iam"
	"github.com/awslabs/goformation/v7/cloudformation/logs"
	"github.com/cicdgen/cicdgen/compiler/cfn"

	"github.com/cicdgen/cicdgen/schema"
)

// The CodeBuild projects of the pipeline stack: build-image, build and
// test, which share the CodeBuild role, and their log group.

// pipeCuratedImage is the CodeBuild curated image of the BuildImage and
// UpdatePipeline projects: it has Docker, the AWS CLI, jq and Go, and needs
// nothing from this system's repositories, so both work before the build
// image exists.
const pipeCuratedImage = "aws/codebuild/amazonlinux-x86_64-standard:5.0"

// Environment variables of the build-image project, and of the build and
// test projects with build.registry_credentials.
const (
	pipeEnvDockerUsername = "DOCKER_USERNAME"
	pipeEnvDockerPassword = "DOCKER_PASSWORD"
	// pipeDockerUsernameKey and pipeDockerPasswordKey are the JSON keys of
	// the docker-credentials secret.
	pipeDockerUsernameKey = "username"
	pipeDockerPasswordKey = "password"
)

// pipeImage is the build environment image of the build and test projects.
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

// pipeBuildsOwnImage reports whether the pipeline builds its build image
// (build.image: ecr): it then has a BuildImage stage.
func pipeBuildsOwnImage(sys *schema.System) bool {
	return sys.Build.Image == "" || sys.Build.Image == schema.BuildImageECR
}

// pipeBuildImage returns the build image of sys: the build-image repository's
// tag latest for "ecr", pulled with the service role; an ECR image URI,
// pulled with the service role; any other image (CodeBuild's curated
// aws/codebuild/... images, public images), pulled by CodeBuild.
func pipeBuildImage(sys *schema.System) pipeImage {
	names := schema.NamesOf(sys)
	image := sys.Build.Image
	if pipeBuildsOwnImage(sys) {
		return pipeImage{
			URI:         pipeBuildImageURI(sys) + ":latest",
			Credentials: "SERVICE_ROLE",
			Type:        "LINUX_CONTAINER",
			PullFrom:    pipeECRRepoARN(sys, sys.Region, names.BuildImageRepo()),
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

// pipeBuildImageURI returns the URI of the build-image repository, without a tag.
func pipeBuildImageURI(sys *schema.System) string {
	return fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/%s", sys.Tooling().ID, sys.Region, schema.NamesOf(sys).BuildImageRepo())
}

// pipeAppRepoURI returns the URI of the application repository of region.
func pipeAppRepoURI(sys *schema.System, region string) string {
	return fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/%s", sys.Tooling().ID, region, schema.NamesOf(sys).AppRepo())
}

// pipeECRRepoARN returns the ARN of the tooling account's repository name in region.
func pipeECRRepoARN(sys *schema.System, region, name string) string {
	return fmt.Sprintf("arn:aws:ecr:%s:%s:repository/%s", region, sys.Tooling().ID, name)
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

// pipeCodeBuildProjects returns the projects that run as the CodeBuild
// role: build-image (with build.image: ecr), build, and test (with test:).
func pipeCodeBuildProjects(sys *schema.System) []string {
	names := schema.NamesOf(sys)
	var out []string
	if pipeBuildsOwnImage(sys) {
		out = append(out, names.BuildImageProject())
	}
	out = append(out, names.BuildProject())
	if sys.Test != nil {
		out = append(out, names.TestProject())
	}
	return out
}

// pipeProjectNames returns every CodeBuild project the pipeline starts:
// those of pipeCodeBuildProjects and update-pipeline.
func pipeProjectNames(sys *schema.System) []string {
	return append(pipeCodeBuildProjects(sys), schema.NamesOf(sys).UpdatePipelineProject())
}

// pipePushActions are the ECR actions that push (and check) an image.
var pipePushActions = []string{
	"ecr:BatchCheckLayerAvailability",
	"ecr:BatchGetImage",
	"ecr:CompleteLayerUpload",
	"ecr:DescribeImages",
	"ecr:GetDownloadUrlForLayer",
	"ecr:InitiateLayerUpload",
	"ecr:PutImage",
	"ecr:UploadLayerPart",
}

// pipeDockerSecretARN returns the ARN pattern of the docker-credentials
// secret (Secrets Manager appends six random characters to the name).
func pipeDockerSecretARN(sys *schema.System) string {
	return fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-??????", sys.Region, sys.Tooling().ID,
		schema.NamesOf(sys).DockerCredentialsSecret())
}

// pipeCodeBuildPolicy returns the CodeBuild role's policy: its log group,
// the artifact and cache buckets and the artifact key, pushing to the
// application repository of every region an environment uses, pushing the
// build image (with build.image: ecr) or pulling it, reading the
// docker-credentials secret (with build.registry_credentials), and the
// report groups of its projects.
func pipeCodeBuildPolicy(sys *schema.System, image pipeImage) *PolicyDocument {
	names := schema.NamesOf(sys)
	artifacts := toolingBucketARN(names.ArtifactBucket(sys.Region))
	cache := toolingBucketARN(names.CacheBucket())
	var reportGroups []any
	for _, p := range pipeCodeBuildProjects(sys) {
		reportGroups = append(reportGroups, pipeReportGroupARN(sys, p))
	}
	appRepos := []any{cfn.GetAtt(pipeAppRepoID, "Arn")}
	for _, r := range names.SupportRegions() {
		appRepos = append(appRepos, pipeECRRepoARN(sys, r, names.AppRepo()))
	}
	doc := Policy(
		Allow("Logs", []string{"logs:CreateLogStream", "logs:PutLogEvents"}, pipeLogGroupARN(sys)+":*"),
		Allow("BucketObjects", []string{"s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"}, artifacts+"/*", cache+"/*"),
		Allow("Buckets", []string{"s3:GetBucketAcl", "s3:GetBucketLocation"}, artifacts, cache),
		Allow("ArtifactKey", toolingKeyUseActions, cfn.GetAtt(toolingArtifactKeyID, "Arn")),
		Allow("RegistryLogin", []string{"ecr:GetAuthorizationToken"}, "*"),
		Allow("PushApplicationImage", pipePushActions, appRepos...),
	)
	switch {
	case pipeBuildsOwnImage(sys):
		doc.Statement = append(doc.Statement, Allow("PushBuildImage", pipePushActions, image.PullFrom))
	case image.PullFrom != "":
		doc.Statement = append(doc.Statement, Allow("PullBuildImage", pipePullActions, image.PullFrom))
	}
	if sys.Build.RegistryCredentials {
		doc.Statement = append(doc.Statement, Allow("ReadDockerCredentials",
			[]string{"secretsmanager:GetSecretValue"}, pipeDockerSecretARN(sys)))
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

// pipeServiceRole returns the role called name that service assumes for
// the tooling account, with the inline policy doc called policyName.
func pipeServiceRole(sys *schema.System, name, description, service, policyName string, doc *PolicyDocument) *iam.Role {
	return &iam.Role{
		RoleName:                 cfn.String(name),
		Description:              cfn.String(description),
		AssumeRolePolicyDocument: pipeServiceTrust(sys, service),
		Policies:                 []iam.Role_Policy{{PolicyName: policyName, PolicyDocument: doc}},
	}
}

// pipeProject is what differs between the CodeBuild projects of the
// pipeline stack.
type pipeProject struct {
	Name, Stream string // project name; log stream and cache prefix
	Role         string // logical id of the project's role
	Buildspec    string // path in the source, or the buildspec itself
	What         string // what the project does, for its description; "" for "<stream> of <pipeline>"
	Compute      string // build.compute or test.compute
	Image        pipeImage
	Privileged   bool
	Vars         []codebuild.Project_EnvironmentVariable
	Cache        bool // an S3 cache under the stream's prefix
}

// pipeCodeBuildProject returns the CodeBuild project p: CodePipeline source
// and artifacts, its logs in the build log group, encrypted with the
// artifact key.
func pipeCodeBuildProject(sys *schema.System, p pipeProject) *codebuild.Project {
	names := schema.NamesOf(sys)
	description := fmt.Sprintf("%s of %s", p.Stream, names.Pipeline())
	if p.What != "" {
		description = fmt.Sprintf("%s (pipeline %s)", p.What, names.Pipeline())
	}
	project := &codebuild.Project{
		Name:        cfn.String(p.Name),
		Description: cfn.String(pipeTruncate(description, pipeMaxProjectDescription)),
		ServiceRole: cfn.GetAtt(p.Role, "Arn"),
		Source: &codebuild.Project_Source{
			Type:      "CODEPIPELINE",
			BuildSpec: cfn.String(p.Buildspec),
		},
		Artifacts: &codebuild.Project_Artifacts{Type: "CODEPIPELINE"},
		Environment: &codebuild.Project_Environment{
			Type:                     p.Image.Type,
			ComputeType:              pipeComputeType(p.Compute),
			Image:                    p.Image.URI,
			ImagePullCredentialsType: cfn.String(p.Image.Credentials),
			PrivilegedMode:           cfn.Bool(p.Privileged),
			EnvironmentVariables:     p.Vars,
		},
		TimeoutInMinutes: cfn.Int(sys.Build.TimeoutMinutes),
		EncryptionKey:    cfn.String(cfn.GetAtt(toolingArtifactKeyID, "Arn")),
		LogsConfig: &codebuild.Project_LogsConfig{CloudWatchLogs: &codebuild.Project_CloudWatchLogsConfig{
			Status:     "ENABLED",
			GroupName:  cfn.String(cfn.Ref(pipeBuildLogGroupID)),
			StreamName: cfn.String(p.Stream),
		}},
	}
	if p.Cache {
		project.Cache = &codebuild.Project_ProjectCache{
			Type:     "S3",
			Location: cfn.String(names.CacheBucket() + "/" + p.Stream),
		}
		// The cache bucket's name is in Location as a string: depend on
		// the bucket so that it exists before the first build.
		project.AWSCloudFormationDependsOn = []string{pipeCacheBucketID}
	}
	return project
}

// pipeMaxProjectDescription is CodeBuild's limit on a project's description.
const pipeMaxProjectDescription = 255

// pipeTruncate returns s cut to at most max characters, on a character
// boundary, ending in "…" when it was cut.
func pipeTruncate(s string, max int) string {
	runes := []rune(s)
	if len(runes) <= max {
		return s
	}
	return string(runes[:max-1]) + "…"
}

// pipeDockerCredentialVars returns DOCKER_USERNAME and DOCKER_PASSWORD from
// the docker-credentials secret's keys username and password, as variables
// of type SECRETS_MANAGER (CodeBuild reads them when a build starts; they
// never appear in the template or the project), or nothing without
// build.registry_credentials.
func pipeDockerCredentialVars(sys *schema.System) []codebuild.Project_EnvironmentVariable {
	if !sys.Build.RegistryCredentials {
		return nil
	}
	secret := schema.NamesOf(sys).DockerCredentialsSecret()
	return []codebuild.Project_EnvironmentVariable{
		{Name: pipeEnvDockerPassword, Type: cfn.String("SECRETS_MANAGER"), Value: secret + ":" + pipeDockerPasswordKey},
		{Name: pipeEnvDockerUsername, Type: cfn.String("SECRETS_MANAGER"), Value: secret + ":" + pipeDockerUsernameKey},
	}
}

// addPipeBuild adds the log group, the CodeBuild role and the build-image,
// build and test projects.
func addPipeBuild(t *cfn.Template, sys *schema.System) {
	names := schema.NamesOf(sys)
	image := pipeBuildImage(sys)
	t.Resources[pipeBuildLogGroupID] = &logs.LogGroup{
		LogGroupName:    cfn.String(names.BuildLogGroup()),
		RetentionInDays: cfn.Int(pipeLogRetention),
		KmsKeyId:        cfn.String(cfn.GetAtt(pipeNotificationsKeyID, "Arn")),
	}
	t.Resources[pipeCodeBuildRoleID] = pipeServiceRole(sys, names.CodeBuildRole(), "CodeBuild projects of "+names.Pipeline(),
		"codebuild.amazonaws.com", "codebuild", pipeCodeBuildPolicy(sys, image))
	version := ToolVersion()
	vars := []codebuild.Project_EnvironmentVariable{
		{Name: "APP_IMAGE_REGIONS", Value: strings.Join(names.SupportRegions(), " ")},
		{Name: "APP_REPOSITORY_NAME", Value: names.AppRepo()},
		{Name: "APP_REPOSITORY_URI", Value: pipeAppRepoURI(sys, sys.Region)},
		{Name: "AWS_ACCOUNT_ID", Value: sys.Tooling().ID},
		{Name: "CICDGEN_OUTPUT", Value: pipeBuildOutputDir},
		{Name: "CICDGEN_VERSION", Value: version},
	}
	vars = append(vars, pipeDockerCredentialVars(sys)...)
	build := pipeProject{Role: pipeCodeBuildRoleID, Image: image, Privileged: sys.Build.Privileged, Vars: vars, Cache: true}

	if pipeBuildsOwnImage(sys) {
		imageVars := []codebuild.Project_EnvironmentVariable{
			{Name: "BUILD_IMAGE_REPOSITORY_NAME", Value: names.BuildImageRepo()},
			{Name: "BUILD_IMAGE_REPOSITORY_URI", Value: pipeBuildImageURI(sys)},
			{Name: "CICDGEN_VERSION", Value: version},
			{Name: "DOCKERFILE", Value: sys.Build.Dockerfile},
		}
		t.Resources[pipeBuildImageProjectID] = pipeCodeBuildProject(sys, pipeProject{
			Name: names.BuildImageProject(), Stream: "build-image", Role: pipeCodeBuildRoleID,
			What:      fmt.Sprintf("BuildImage: builds the build image %s:latest from %s when the image of that file's content is not in the repository yet", names.BuildImageRepo(), sys.Build.Dockerfile),
			Buildspec: pipeBuildImageBuildspec, Compute: sys.Build.Compute,
			Image:      pipeImage{URI: pipeCuratedImage, Credentials: "CODEBUILD", Type: "LINUX_CONTAINER"},
			Privileged: true, // docker build
			Vars:       append(imageVars, pipeDockerCredentialVars(sys)...),
		})
	}
	build.Name, build.Stream, build.Buildspec, build.Compute = names.BuildProject(), "build", sys.Build.Buildspec, sys.Build.Compute
	t.Resources[pipeBuildProjectID] = pipeCodeBuildProject(sys, build)
	if sys.Test != nil {
		test := build
		test.Name, test.Stream, test.Buildspec, test.Compute = names.TestProject(), "test", sys.Test.Buildspec, sys.Test.Compute
		t.Resources[pipeTestProjectID] = pipeCodeBuildProject(sys, test)
	}
}

// pipeBuildImageBuildspec is the buildspec of the build-image project. The
// image's tag is the sha256 of the Dockerfile and the cicdgen version (the
// Dockerfile installs cicdgen through the build argument CICDGEN_VERSION):
// when that tag exists, the image for this content was built before, and
// the project only points latest at it, with no docker build.
const pipeBuildImageBuildspec = `version: 0.2
env:
  shell: bash
phases:
  pre_build:
    commands:
      - |
        set -euo pipefail
        if [ ! -f "$DOCKERFILE" ]; then
          echo "build.dockerfile $DOCKERFILE is not in the repository; cicdgen init writes a starter build.Dockerfile" >&2
          exit 1
        fi
        aws ecr get-login-password | docker login --username AWS --password-stdin "${BUILD_IMAGE_REPOSITORY_URI%%/*}"
        if [ -n "${DOCKER_USERNAME:-}" ]; then
          printf '%s' "$DOCKER_PASSWORD" | docker login --username "$DOCKER_USERNAME" --password-stdin
        fi
  build:
    commands:
      - |
        set -euo pipefail
        TAG="sha256-$( { cat "$DOCKERFILE"; printf '\ncicdgen %s\n' "$CICDGEN_VERSION"; } | sha256sum | cut -c1-40)"
        digest() {
          aws ecr describe-images --repository-name "$BUILD_IMAGE_REPOSITORY_NAME" --image-ids imageTag="$1" \
            --query 'imageDetails[0].imageDigest' --output text 2>/dev/null || true
        }
        WANT="$(digest "$TAG")"
        if [ -z "$WANT" ] || [ "$WANT" = None ]; then
          echo "building $BUILD_IMAGE_REPOSITORY_URI:$TAG from $DOCKERFILE (cicdgen $CICDGEN_VERSION)"
          docker build --file "$DOCKERFILE" --build-arg CICDGEN_VERSION="$CICDGEN_VERSION" \
            --tag "$BUILD_IMAGE_REPOSITORY_URI:$TAG" --tag "$BUILD_IMAGE_REPOSITORY_URI:latest" .
          docker push "$BUILD_IMAGE_REPOSITORY_URI:$TAG"
          docker push "$BUILD_IMAGE_REPOSITORY_URI:latest"
        elif [ "$(digest latest)" != "$WANT" ]; then
          echo "$BUILD_IMAGE_REPOSITORY_URI:$TAG exists: tagging it latest, no docker build"
          aws ecr batch-get-image --repository-name "$BUILD_IMAGE_REPOSITORY_NAME" --image-ids imageTag="$TAG" \
            --query 'images[0].imageManifest' --output text > manifest.json
          aws ecr put-image --repository-name "$BUILD_IMAGE_REPOSITORY_NAME" --image-tag latest \
            --image-manifest file://manifest.json >/dev/null
        else
          echo "$BUILD_IMAGE_REPOSITORY_URI:latest is already the image of $DOCKERFILE: no docker build"
        fi
`
