package compiler

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/cicdgen/cicdgen/schema"
)

// toolingStageNames returns the stage names of the pipeline of doc, in order.
func toolingStageNames(t *testing.T, doc map[string]any) []string {
	t.Helper()
	var out []string
	for _, st := range toolingAt(t, doc, "Resources", "Pipeline", "Properties", "Stages").([]any) {
		out = append(out, st.(map[string]any)["Name"].(string))
	}
	return out
}

// toolingVars returns the environment variables of a CodeBuild project, by
// name, each as {"Value": ..., "Type": ...}.
func toolingVars(t *testing.T, project map[string]any) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, v := range toolingAt(t, project, "Environment", "EnvironmentVariables").([]any) {
		m := v.(map[string]any)
		out[m["Name"].(string)] = m
	}
	return out
}

// toolingLiteralResources returns the literal (string) resources of a
// statement's Resource, leaving out intrinsic functions.
func toolingLiteralResources(v any) []string {
	var out []string
	switch v := v.(type) {
	case string:
		out = append(out, v)
	case []any:
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

func TestBuildImageStage(t *testing.T) {
	cases := map[string]struct {
		spec           toolingSpec
		wantStage      bool
		wantDockerfile string
	}{
		"build.image ecr builds the image from the default Dockerfile before Build": {
			spec: toolingThreeEnvs(), wantStage: true, wantDockerfile: "build.Dockerfile",
		},
		"build.dockerfile names another Dockerfile": {
			spec:      func() toolingSpec { s := toolingThreeEnvs(); s.Dockerfile = "ci/Dockerfile.build"; return s }(),
			wantStage: true, wantDockerfile: "ci/Dockerfile.build",
		},
		"a curated build image needs no BuildImage stage": {
			spec: func() toolingSpec {
				s := toolingThreeEnvs()
				s.BuildImage = "aws/codebuild/amazonlinux-x86_64-standard:5.0"
				return s
			}(),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			doc := toolingDoc(t, toolingPipelineTemplate(t, toolingLoad(t, tc.spec)))
			stages := toolingStageNames(t, doc)
			_, hasProject := doc["Resources"].(map[string]any)["BuildImageProject"]
			if !tc.wantStage {
				if slices.Contains(stages, "BuildImage") || hasProject {
					t.Errorf("stages %v, project %v: want no BuildImage", stages, hasProject)
				}
				return
			}
			if i := slices.Index(stages, "BuildImage"); i != 1 || stages[2] != "Build" {
				t.Errorf("stages %v: want BuildImage between Source and Build", stages)
			}
			p := toolingProps(t, doc, "BuildImageProject")
			env := p["Environment"].(map[string]any)
			if env["Image"] != pipeCuratedImage || env["ImagePullCredentialsType"] != "CODEBUILD" || env["PrivilegedMode"] != true {
				t.Errorf("environment %s: want the curated image, pulled by CodeBuild, privileged", toolingJSON(t, env))
			}
			vars := toolingVars(t, p)
			for k, want := range map[string]string{
				"DOCKERFILE":                  tc.wantDockerfile,
				"BUILD_IMAGE_REPOSITORY_NAME": "shop-build-image-dev",
				"BUILD_IMAGE_REPOSITORY_URI":  "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop-build-image-dev",
				"CICDGEN_VERSION":             ToolVersion(),
			} {
				if got := vars[k]["Value"]; got != want {
					t.Errorf("%s = %v, want %s", k, got, want)
				}
			}
			spec := toolingAt(t, p, "Source", "BuildSpec").(string)
			for _, want := range []string{
				`sha256sum`,               // the tag is the content hash
				`aws ecr describe-images`, // which is looked up first
				`--build-arg CICDGEN_VERSION="$CICDGEN_VERSION"`,
				`--tag "$BUILD_IMAGE_REPOSITORY_URI:latest"`,
				`aws ecr put-image --repository-name "$BUILD_IMAGE_REPOSITORY_NAME" --image-tag latest`,
			} {
				if !strings.Contains(spec, want) {
					t.Errorf("the BuildImage buildspec lacks %q", want)
				}
			}
			if strings.Index(spec, "describe-images") > strings.Index(spec, "docker build") {
				t.Error("the BuildImage buildspec builds before it looks for the image")
			}
			// The Build project runs on the image BuildImage pushes.
			if got := toolingAt(t, doc, "Resources", "BuildProject", "Properties", "Environment", "Image"); got != "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop-build-image-dev:latest" {
				t.Errorf("the build runs on %v", got)
			}
		})
	}
}

func TestUpdatePipelineStage(t *testing.T) {
	withTest := toolingThreeEnvs()
	withTest.Test = true
	cases := map[string]struct {
		spec       toolingSpec
		wantBefore string // the stage UpdatePipeline follows
		wantStacks string
	}{
		"after Build without a test stage": {
			spec: toolingThreeEnvs(), wantBefore: "Build", wantStacks: "pipeline monitoring",
		},
		"after Test with a test stage": {
			spec: withTest, wantBefore: "Test", wantStacks: "pipeline monitoring",
		},
		"the support regions' artifact stacks and the tooling secrets are tooling stacks too": {
			spec: func() toolingSpec {
				s := toolingMultiRegion("")
				s.RegistryCredentials = true
				return s
			}(),
			wantBefore: "Build", wantStacks: "pipeline monitoring secrets artifacts-ap-southeast-2 artifacts-eu-west-1",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			sys := toolingLoad(t, tc.spec)
			doc := toolingDoc(t, toolingPipelineTemplate(t, sys))
			stages := toolingStageNames(t, doc)
			i := slices.Index(stages, "UpdatePipeline")
			if i < 1 || stages[i-1] != tc.wantBefore || !strings.HasPrefix(stages[i+1], "Deploy-") {
				t.Errorf("stages %v: want UpdatePipeline after %s and before the first deploy", stages, tc.wantBefore)
			}
			action := toolingAt(t, doc, "Resources", "Pipeline", "Properties", "Stages", i, "Actions", 0).(map[string]any)
			if got := toolingAt(t, action, "InputArtifacts", 0, "Name"); got != pipeBuildArtifact {
				t.Errorf("UpdatePipeline reads %v, want the build output", got)
			}
			p := toolingProps(t, doc, "UpdatePipelineProject")
			if got := toolingVars(t, p)["TOOLING_STACKS"]["Value"]; got != tc.wantStacks {
				t.Errorf("TOOLING_STACKS = %v, want %s", got, tc.wantStacks)
			}
			if got := toolingAt(t, p, "ServiceRole"); !toolingEqual(t, got, map[string]any{"Fn::GetAtt": []any{"UpdatePipelineRole", "Arn"}}) {
				t.Errorf("the project runs as %s", toolingJSON(t, got))
			}
			spec := toolingAt(t, p, "Source", "BuildSpec").(string)
			for _, want := range []string{`.cicdgenVersion`, `go install "github.com/cicdgen/cicdgen/cmd/...@$VERSION"`, `cicdgen apply "$CICDGEN_OUTPUT" "${args[@]}" --no-deps --yes`} {
				if !strings.Contains(spec, want) {
					t.Errorf("the UpdatePipeline buildspec lacks %q", want)
				}
			}
			if strings.Contains(spec, "@latest") {
				t.Error("the UpdatePipeline buildspec installs @latest")
			}
			if got := toolingAt(t, doc, "Resources", "Pipeline", "Properties", "RestartExecutionOnUpdate"); got != true {
				t.Errorf("RestartExecutionOnUpdate = %v: an updated pipeline would go on with the stale definition", got)
			}
		})
	}
}

func TestUpdatePipelineRoleIsScopedToThisSystem(t *testing.T) {
	spec := toolingMultiRegion("")
	spec.Test, spec.RegistryCredentials = true, true
	sys := toolingLoad(t, spec)
	doc := toolingDoc(t, toolingPipelineTemplate(t, sys))
	policy := toolingAt(t, doc, "Resources", "UpdatePipelineRole", "Properties", "Policies", 0, "PolicyDocument")
	own := "arn:aws:iam::123456789012:role/shop-update-pipeline-dev"
	anywhere := map[string]bool{"TemplatesAndExports": true, "CreateKeys": true, "ListAliases": true}
	for _, st := range toolingAt(t, policy, "Statement").([]any) {
		s := st.(map[string]any)
		sid, _ := s["Sid"].(string)
		if s["Effect"] != "Allow" {
			t.Errorf("%s is not an Allow", sid)
		}
		for _, a := range toolingStrings(t, s["Action"]) {
			if strings.Contains(a, "*") {
				t.Errorf("%s: wildcard action %s", sid, a)
			}
			if strings.HasPrefix(a, "iam:") && a != "iam:PassRole" && !strings.HasPrefix(a, "iam:Get") && !strings.HasPrefix(a, "iam:List") &&
				slices.Contains(toolingLiteralResources(s["Resource"]), own) {
				t.Errorf("%s: the role may change itself (%s)", sid, a)
			}
		}
		for _, r := range toolingLiteralResources(s["Resource"]) {
			if r == "*" && !anywhere[sid] {
				t.Errorf("%s grants on every resource", sid)
			}
			deployRoles := sid == "PassToolingRoles" && r == "arn:aws:iam::*:role/shop-deploy-*-dev"
			if strings.HasPrefix(r, "arn:") && !strings.Contains(r, "123456789012") && !strings.Contains(r, ":codestar-connections:") && !strings.Contains(r, ":codeconnections:") && !deployRoles {
				t.Errorf("%s: %s is outside the tooling account", sid, r)
			}
		}
		if anywhere[sid] && sid != "TemplatesAndExports" && sid != "ListAliases" && s["Condition"] == nil {
			t.Errorf("%s grants on every resource without a condition", sid)
		}
	}
	stacks := toolingStrings(t, toolingStatement(t, policy, "ToolingStacks")["Resource"])
	want := []string{
		"arn:aws:cloudformation:us-east-1:123456789012:stack/shop-pipeline-dev/*",
		"arn:aws:cloudformation:us-east-1:123456789012:stack/shop-monitoring-dev/*",
		"arn:aws:cloudformation:us-east-1:123456789012:stack/shop-secrets-dev/*",
		"arn:aws:cloudformation:ap-southeast-2:123456789012:stack/shop-artifacts-ap-southeast-2-dev/*",
		"arn:aws:cloudformation:eu-west-1:123456789012:stack/shop-artifacts-eu-west-1-dev/*",
	}
	if !toolingEqual(t, stacks, want) {
		t.Errorf("stacks = %v, want exactly the tooling stacks %v", stacks, want)
	}
	keys := toolingStatement(t, policy, "ManageKeys")
	if got := toolingJSON(t, keys["Condition"]); got != `{"StringEquals":{"aws:ResourceTag/cicdgen:suffix":"dev","aws:ResourceTag/cicdgen:system":"shop"}}` {
		t.Errorf("keys are managed under %s, want this system's tags", got)
	}
	// Turning test: or registry_credentials on or off never changes the
	// role's own policy, which the role may not change.
	plain := toolingDoc(t, toolingPipelineTemplate(t, toolingLoad(t, toolingMultiRegion(""))))
	if a, b := toolingJSON(t, policy), toolingJSON(t, toolingAt(t, plain, "Resources", "UpdatePipelineRole", "Properties", "Policies", 0, "PolicyDocument")); a != b {
		t.Errorf("the update role's policy depends on test: or registry_credentials:\n%s\n%s", a, b)
	}
}

func TestManagedSecretsDeployBeforeTheService(t *testing.T) {
	spec := toolingThreeEnvs()
	sys := toolingLoad(t, spec)
	// service.secrets: {API_KEY: managed} in staging only.
	sys.Environments[1].Service.Secrets = map[string]string{"API_KEY": "managed"}
	doc := toolingDoc(t, toolingPipelineTemplate(t, sys))
	got := strings.Join(toolingStageSummary(t, doc), "\n")
	for _, want := range []string{
		"Deploy-dev: Deploy-dev@1",
		"Deploy-staging: Approve@1, Secrets-staging@2, Deploy-staging@3",
		"Deploy-prod: Approve@1, Deploy-prod@2",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("stages:\n%s\nwant %s", got, want)
		}
	}
	names := schema.NamesOf(sys)
	for _, st := range toolingAt(t, doc, "Resources", "Pipeline", "Properties", "Stages").([]any) {
		for _, a := range st.(map[string]any)["Actions"].([]any) {
			action := a.(map[string]any)
			if action["Name"] != "Secrets-staging" {
				continue
			}
			cfg := action["Configuration"].(map[string]any)
			stack := names.StackName(schema.KindSecrets("staging"))
			if cfg["StackName"] != stack || cfg["ActionMode"] != "CREATE_UPDATE" ||
				cfg["TemplatePath"] != "BuildOutput::cicdgen-out/"+stack+".json" || cfg["RoleArn"] != "arn:aws:iam::220987654321:role/shop-cfn-exec-staging-dev" {
				t.Errorf("Secrets-staging configuration %s", toolingJSON(t, cfg))
			}
			if _, has := cfg["ParameterOverrides"]; has {
				t.Error("the secrets stack gets the service's ImageUri")
			}
		}
	}
}

func TestRegistryCredentialsReachTheBuilds(t *testing.T) {
	spec := toolingThreeEnvs()
	spec.Test, spec.RegistryCredentials = true, true
	sys := toolingLoad(t, spec)
	doc := toolingDoc(t, toolingPipelineTemplate(t, sys))
	for _, id := range []string{"BuildImageProject", "BuildProject", "TestProject"} {
		vars := toolingVars(t, toolingProps(t, doc, id))
		for name, key := range map[string]string{"DOCKER_USERNAME": "username", "DOCKER_PASSWORD": "password"} {
			v := vars[name]
			if v["Type"] != "SECRETS_MANAGER" || v["Value"] != "shop-docker-credentials-dev:"+key {
				t.Errorf("%s: %s = %s, want the secret's key %s", id, name, toolingJSON(t, v), key)
			}
		}
	}
	policy := toolingAt(t, doc, "Resources", "CodeBuildRole", "Properties", "Policies", 0, "PolicyDocument")
	read := toolingStatement(t, policy, "ReadDockerCredentials")
	if got := toolingJSON(t, read); got != `{"Action":["secretsmanager:GetSecretValue"],"Effect":"Allow","Resource":"arn:aws:secretsmanager:us-east-1:123456789012:secret:shop-docker-credentials-dev-??????","Sid":"ReadDockerCredentials"}` {
		t.Errorf("ReadDockerCredentials = %s", got)
	}

	tmpl, params := buildToolingSecrets(sys)
	secrets := toolingDoc(t, tmpl)
	if len(params) != 0 {
		t.Errorf("parameters %v", params)
	}
	secret := toolingProps(t, secrets, "DockerCredentialsSecret")
	if secret["Name"] != "shop-docker-credentials-dev" {
		t.Errorf("secret name %v", secret["Name"])
	}
	for _, k := range []string{"SecretString", "GenerateSecretString"} {
		if _, has := secret[k]; has {
			t.Errorf("the template gives the secret a value (%s)", k)
		}
	}

	a, ds := Compile(sys)
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	pipe := a.Stack("shop-pipeline-dev")
	if pipe == nil || !slices.Contains(pipe.DependsOn, "shop-secrets-dev") {
		t.Errorf("the pipeline does not follow the tooling secrets stack: %v", pipe)
	}
	if s := a.Stack("shop-secrets-dev"); s == nil || s.Account.Key != "tooling" || s.Region != "us-east-1" {
		t.Errorf("tooling secrets stack %+v", s)
	}

	// Without registry_credentials: no variables, no grant, no stack.
	spec.RegistryCredentials = false
	plain := toolingLoad(t, spec)
	doc = toolingDoc(t, toolingPipelineTemplate(t, plain))
	if _, has := toolingVars(t, toolingProps(t, doc, "BuildProject"))["DOCKER_USERNAME"]; has {
		t.Error("DOCKER_USERNAME without registry_credentials")
	}
	if toolingHasStatement(t, toolingAt(t, doc, "Resources", "CodeBuildRole", "Properties", "Policies", 0, "PolicyDocument"), "ReadDockerCredentials") {
		t.Error("the CodeBuild role reads a secret that does not exist")
	}
	if a, _ := Compile(plain); a.Stack("shop-secrets-dev") != nil {
		t.Error("a tooling secrets stack without registry_credentials")
	}
}

func TestEachRegionPullsFromItsOwnRepository(t *testing.T) {
	sys := toolingLoad(t, toolingMultiRegion(""))
	doc := toolingDoc(t, toolingPipelineTemplate(t, sys))
	build := toolingProps(t, doc, "BuildProject")
	if got := toolingVars(t, build)["APP_IMAGE_REGIONS"]["Value"]; got != "ap-southeast-2 eu-west-1" {
		t.Errorf("APP_IMAGE_REGIONS = %v", got)
	}
	push := toolingLiteralResources(toolingStatement(t, toolingAt(t, doc, "Resources", "CodeBuildRole", "Properties", "Policies", 0, "PolicyDocument"), "PushApplicationImage")["Resource"])
	for _, want := range []string{"arn:aws:ecr:eu-west-1:123456789012:repository/shop-web-dev", "arn:aws:ecr:ap-southeast-2:123456789012:repository/shop-web-dev"} {
		if !slices.Contains(push, want) {
			t.Errorf("the build does not push to %s: %v", want, push)
		}
	}
	art, _, err := buildArtifacts(sys, "eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	repo := toolingProps(t, toolingDoc(t, art), "AppRepository")
	if repo["RepositoryName"] != "shop-web-dev" || repo["ImageTagMutability"] != "IMMUTABLE" {
		t.Errorf("eu-west-1 repository %s", toolingJSON(t, repo))
	}
	pullers := toolingStrings(t, toolingAt(t, repo, "RepositoryPolicyText", "Statement", 0, "Condition", "ArnEquals", "aws:PrincipalArn"))
	if !toolingEqual(t, pullers, []string{"arn:aws:iam::230987654321:role/shop-task-exec-euprod-dev"}) {
		t.Errorf("eu-west-1 pullers %v, want the region's task execution role only", pullers)
	}
	// The home repository serves the home region's environments only.
	home := toolingStrings(t, toolingAt(t, doc, "Resources", "AppRepository", "Properties", "RepositoryPolicyText", "Statement", 0, "Condition", "ArnEquals", "aws:PrincipalArn"))
	if !toolingEqual(t, home, []string{"arn:aws:iam::210987654321:role/shop-task-exec-dev-dev"}) {
		t.Errorf("home pullers %v", home)
	}
}

func TestAppImagesExpireByAgeOnlyWhenUntagged(t *testing.T) {
	doc := toolingDoc(t, toolingPipelineTemplate(t, toolingLoad(t, toolingThreeEnvs())))
	text := toolingAt(t, doc, "Resources", "AppRepository", "Properties", "LifecyclePolicy", "LifecyclePolicyText").(string)
	var policy struct {
		Rules []struct {
			Selection struct {
				TagStatus   string `json:"tagStatus"`
				CountType   string `json:"countType"`
				CountUnit   string `json:"countUnit"`
				CountNumber int    `json:"countNumber"`
			} `json:"selection"`
		} `json:"rules"`
	}
	if err := json.Unmarshal([]byte(text), &policy); err != nil {
		t.Fatal(err)
	}
	var byAge, byCount bool
	for _, r := range policy.Rules {
		s := r.Selection
		switch s.CountType {
		case "sinceImagePushed":
			byAge = true
			if s.TagStatus != "untagged" || s.CountUnit != "days" || s.CountNumber != pipeUntaggedDays {
				t.Errorf("the age rule expires %s images after %d %s: a running environment's tagged image could go", s.TagStatus, s.CountNumber, s.CountUnit)
			}
		case "imageCountMoreThan":
			byCount = true
			if s.TagStatus != "tagged" || s.CountNumber != pipeAppImagesKept {
				t.Errorf("the count rule keeps %d %s images", s.CountNumber, s.TagStatus)
			}
		}
	}
	if !byAge || !byCount {
		t.Errorf("lifecycle %s: want untagged images expired by age and the newest tagged kept", text)
	}
}

func TestProjectDescriptionsFitCodeBuild(t *testing.T) {
	spec := toolingScale(20, 60, "")
	spec.Dockerfile = "ci/" + strings.Repeat("très-long-répertoire/", 20) + "Dockerfile"
	sys := toolingLoad(t, spec)
	doc := toolingDoc(t, toolingPipelineTemplate(t, sys))
	for id, r := range doc["Resources"].(map[string]any) {
		res := r.(map[string]any)
		if res["Type"] != "AWS::CodeBuild::Project" {
			continue
		}
		d := toolingAt(t, res, "Properties", "Description").(string)
		if n := len([]rune(d)); n > pipeMaxProjectDescription {
			t.Errorf("%s: description of %d characters, CodeBuild allows %d", id, n, pipeMaxProjectDescription)
		}
	}
	if got := pipeTruncate("héllo wörld", 6); got != "héllo…" {
		t.Errorf("pipeTruncate = %q", got)
	}
}
