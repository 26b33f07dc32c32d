package compiler

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/awslabs/goformation/v7/cloudformation/codepipeline"
	"github.com/cicdgen/cicdgen/schema"
)

// toolingStageSummary returns the stages of the pipeline as lines
// "Stage: Action@runOrder, ...".
func toolingStageSummary(t *testing.T, doc map[string]any) []string {
	t.Helper()
	var out []string
	for _, s := range toolingAt(t, doc, "Resources", "Pipeline", "Properties", "Stages").([]any) {
		stage := s.(map[string]any)
		var actions []string
		for _, a := range stage["Actions"].([]any) {
			action := a.(map[string]any)
			actions = append(actions, fmt.Sprintf("%s@%v", action["Name"], action["RunOrder"]))
		}
		out = append(out, fmt.Sprintf("%s: %s", stage["Name"], strings.Join(actions, ", ")))
	}
	return out
}

// toolingActions returns every action of the pipeline by name.
func toolingActions(t *testing.T, doc map[string]any) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, s := range toolingAt(t, doc, "Resources", "Pipeline", "Properties", "Stages").([]any) {
		for _, a := range s.(map[string]any)["Actions"].([]any) {
			action := a.(map[string]any)
			out[action["Name"].(string)] = action
		}
	}
	return out
}

func TestBuildPipelineStages(t *testing.T) {
	accounts := map[string]string{"dev": "210987654321", "prod": "230987654321"}
	cases := map[string]struct {
		spec toolingSpec
		want []string
	}{
		"a plain system deploys each environment in a stage of its own": {
			spec: toolingSpec{Accounts: accounts, Envs: []string{
				"{name: dev, account: dev}",
				"{name: qa, account: dev}",
				"{name: prod, account: prod}",
			}},
			want: []string{
				"Source: Source@1",
				"BuildImage: BuildImage@1",
				"Build: Build@1",
				"UpdatePipeline: UpdatePipeline@1",
				"Deploy-dev: Deploy-dev@1",
				"Deploy-qa: Deploy-qa@1",
				"Deploy-prod: Deploy-prod@1",
			},
		},
		"a test stage follows the build when test is set": {
			spec: toolingSpec{Test: true, Accounts: accounts, Envs: []string{"{name: dev, account: dev}"}},
			want: []string{
				"Source: Source@1",
				"BuildImage: BuildImage@1",
				"Build: Build@1",
				"Test: Test@1",
				"UpdatePipeline: UpdatePipeline@1",
				"Deploy-dev: Deploy-dev@1",
			},
		},
		"an approval runs first in its stage and the deploy after it": {
			spec: toolingThreeEnvs(),
			want: []string{
				"Source: Source@1",
				"BuildImage: BuildImage@1",
				"Build: Build@1",
				"UpdatePipeline: UpdatePipeline@1",
				"Deploy-dev: Deploy-dev@1",
				"Deploy-staging: Approve@1, Deploy-staging@2",
				"Deploy-prod: Approve@1, Deploy-prod@2",
			},
		},
		"consecutive environments of a wave share one stage and one approval": {
			spec: toolingSpec{Accounts: accounts, Envs: []string{
				"{name: dev, account: dev}",
				"{name: eu, account: prod, wave: prod, approval: true}",
				"{name: us, account: prod, wave: prod}",
			}},
			want: []string{
				"Source: Source@1",
				"BuildImage: BuildImage@1",
				"Build: Build@1",
				"UpdatePipeline: UpdatePipeline@1",
				"Deploy-dev: Deploy-dev@1",
				"Deploy-prod: Approve@1, Deploy-eu@2, Deploy-us@2",
			},
		},
		"a wave without approval deploys its environments in parallel": {
			spec: toolingSpec{Accounts: accounts, Envs: []string{
				"{name: a, account: dev, wave: canary}",
				"{name: b, account: prod, wave: canary}",
				"{name: c, account: prod}",
			}},
			want: []string{
				"Source: Source@1",
				"BuildImage: BuildImage@1",
				"Build: Build@1",
				"UpdatePipeline: UpdatePipeline@1",
				"Deploy-canary: Deploy-a@1, Deploy-b@1",
				"Deploy-c: Deploy-c@1",
			},
		},
		"a multi-region system has the same stages as a single-region one": {
			spec: toolingMultiRegion(""),
			want: []string{
				"Source: Source@1",
				"BuildImage: BuildImage@1",
				"Build: Build@1",
				"UpdatePipeline: UpdatePipeline@1",
				"Deploy-dev: Deploy-dev@1",
				"Deploy-euprod: Approve@1, Deploy-euprod@2",
				"Deploy-approd: Deploy-approd@1",
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			doc := toolingDoc(t, toolingPipelineTemplate(t, toolingLoad(t, tc.spec)))
			got := toolingStageSummary(t, doc)
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("stages:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestPipeDeployStagesNamesAreUnique(t *testing.T) {
	sys := &schema.System{Environments: []schema.Environment{
		{Name: "a", Wave: "x"},
		{Name: "b"},
		{Name: "c", Wave: "x"},
		{Name: "x"},
	}}
	var got []string
	for _, st := range pipeDeployStages(sys) {
		got = append(got, st.Name)
	}
	want := []string{"Deploy-x", "Deploy-b", "Deploy-x-2", "Deploy-x-3"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("stage names = %v, want %v", got, want)
	}
}

func TestBuildPipelineDeployActions(t *testing.T) {
	cases := map[string]struct {
		spec        toolingSpec
		wantRegions bool // deploy actions name their region
	}{
		"a single-region system's deploy actions assume the environments' deploy roles": {spec: toolingThreeEnvs()},
		"a multi-region system's deploy actions also name their regions":                {spec: toolingMultiRegion(""), wantRegions: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			sys := toolingLoad(t, tc.spec)
			doc := toolingDoc(t, toolingPipelineTemplate(t, sys))
			actions := toolingActions(t, doc)
			names := schema.NamesOf(sys)
			for _, env := range sys.Environments {
				a, ok := actions["Deploy-"+env.Name]
				if !ok {
					t.Fatalf("no action Deploy-%s", env.Name)
				}
				acct := sys.AccountOf(&env).ID
				stack := names.StackName(schema.KindECS(env.Name))
				if got, want := a["RoleArn"], schema.RoleARN(acct, names.DeployRole(env.Name)); got != want {
					t.Errorf("%s: action role = %v, want %s", env.Name, got, want)
				}
				cfg := a["Configuration"].(map[string]any)
				want := map[string]any{
					"ActionMode":            "CREATE_UPDATE",
					"Capabilities":          "CAPABILITY_IAM,CAPABILITY_NAMED_IAM",
					"RoleArn":               schema.RoleARN(acct, names.ExecutionRole(env.Name)),
					"StackName":             stack,
					"TemplatePath":          "BuildOutput::cicdgen-out/" + stack + ".json",
					"TemplateConfiguration": "BuildOutput::cicdgen-out/" + stack + ".config.json",
				}
				for k, v := range want {
					if cfg[k] != v {
						t.Errorf("%s: %s = %v, want %v", env.Name, k, cfg[k], v)
					}
				}
				var overrides any
				if err := json.Unmarshal([]byte(cfg["ParameterOverrides"].(string)), &overrides); err != nil {
					t.Fatalf("%s: ParameterOverrides is not JSON: %v", env.Name, err)
				}
				key := "ImageURI"
				if env.Region != sys.Region {
					key = "ImageURI_" + strings.ReplaceAll(env.Region, "-", "_")
				}
				wantOverrides := map[string]any{"ImageUri": map[string]any{"Fn::GetParam": []any{"BuildOutput", "imageDetail.json", key}}}
				if !toolingEqual(t, overrides, wantOverrides) {
					t.Errorf("%s: ParameterOverrides = %s", env.Name, cfg["ParameterOverrides"])
				}
				if got := toolingStrings(t, toolingAt(t, a, "InputArtifacts", 0, "Name")); got[0] != "BuildOutput" {
					t.Errorf("%s: input = %v, want BuildOutput", env.Name, got)
				}
				region, has := a["Region"]
				if tc.wantRegions && region != env.Region {
					t.Errorf("%s: region = %v, want %s", env.Name, region, env.Region)
				}
				if !tc.wantRegions && has {
					t.Errorf("%s: region %v set on a single-region pipeline", env.Name, region)
				}
			}
			approve := actions["Approve"]
			if approve == nil {
				t.Fatal("no approval action")
			}
			if !toolingEqual(t, toolingAt(t, approve, "Configuration", "NotificationArn"), map[string]any{"Ref": "ApprovalsTopic"}) {
				t.Errorf("approval notifies %s, want the approvals topic", toolingJSON(t, approve["Configuration"]))
			}
			source := toolingAt(t, actions["Source"], "Configuration").(map[string]any)
			if source["ConnectionArn"] != sys.Source.Connection || source["FullRepositoryId"] != "acme/shop" ||
				source["BranchName"] != "main" || source["DetectChanges"] != "true" || source["OutputArtifactFormat"] != "CODE_ZIP" {
				t.Errorf("source configuration = %s", toolingJSON(t, source))
			}
			p := toolingProps(t, doc, "Pipeline")
			if p["PipelineType"] != "V2" || p["ExecutionMode"] != "QUEUED" || p["Name"] != names.Pipeline() {
				t.Errorf("pipeline type %v, mode %v, name %v", p["PipelineType"], p["ExecutionMode"], p["Name"])
			}
		})
	}
}

func TestBuildPipelineArtifactStores(t *testing.T) {
	cases := map[string]struct {
		spec        toolingSpec
		wantRegions []string // nil: one ArtifactStore
		wantParams  map[string]string
	}{
		"a single-region pipeline has one artifact store and no parameters": {spec: toolingThreeEnvs()},
		"a multi-region pipeline has a store per region with the support keys as parameters": {
			spec:        toolingMultiRegion(""),
			wantRegions: []string{"us-east-1", "ap-southeast-2", "eu-west-1"},
			wantParams: map[string]string{
				"ArtifactKeyArnApSoutheast2": "shop-artifacts-ap-southeast-2-dev",
				"ArtifactKeyArnEuWest1":      "shop-artifacts-eu-west-1-dev",
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			sys := toolingLoad(t, tc.spec)
			tmpl, params, err := buildPipeline(sys)
			if err != nil {
				t.Fatal(err)
			}
			doc := toolingDoc(t, tmpl)
			p := toolingProps(t, doc, "Pipeline")
			home := map[string]any{
				"EncryptionKey": map[string]any{"Id": map[string]any{"Fn::GetAtt": []any{"ArtifactKey", "Arn"}}, "Type": "KMS"},
				"Location":      map[string]any{"Ref": "ArtifactBucket"},
				"Type":          "S3",
			}
			if tc.wantRegions == nil {
				if _, has := p["ArtifactStores"]; has || !toolingEqual(t, p["ArtifactStore"], home) {
					t.Errorf("stores = %s / %s, want the home store alone", toolingJSON(t, p["ArtifactStore"]), toolingJSON(t, p["ArtifactStores"]))
				}
				if len(params) != 0 || len(tmpl.Parameters) != 0 {
					t.Errorf("parameters = %v, want none", params)
				}
				return
			}
			if _, has := p["ArtifactStore"]; has {
				t.Error("ArtifactStore and ArtifactStores both set")
			}
			stores := p["ArtifactStores"].([]any)
			var regions []string
			for i, s := range stores {
				region := toolingAt(t, s, "Region").(string)
				regions = append(regions, region)
				store := toolingAt(t, s, "ArtifactStore")
				if i == 0 {
					if !toolingEqual(t, store, home) {
						t.Errorf("home store = %s", toolingJSON(t, store))
					}
					continue
				}
				param := toolingRegionParam(region)
				want := map[string]any{
					"EncryptionKey": map[string]any{"Id": map[string]any{"Ref": param}, "Type": "KMS"},
					"Location":      schema.NamesOf(sys).ArtifactBucket(region),
					"Type":          "S3",
				}
				if !toolingEqual(t, store, want) {
					t.Errorf("%s store = %s, want %s", region, toolingJSON(t, store), toolingJSON(t, want))
				}
			}
			if !toolingEqual(t, regions, tc.wantRegions) {
				t.Errorf("store regions = %v, want %v", regions, tc.wantRegions)
			}
			if len(params) != len(tc.wantParams) {
				t.Errorf("parameters = %v, want %v", params, tc.wantParams)
			}
			for name, stack := range tc.wantParams {
				got := params[name]
				if got.FromOutput == nil || got.FromOutput.Stack != stack || got.FromOutput.Output != "ArtifactKeyArn" {
					t.Errorf("parameter %s = %+v, want output ArtifactKeyArn of %s", name, got, stack)
				}
				if _, declared := tmpl.Parameters[name]; !declared {
					t.Errorf("parameter %s not declared in the template", name)
				}
			}
		})
	}
}

func TestBuildPipelineRolePermissions(t *testing.T) {
	// Every action the pipeline role may ever hold; anything else is a leak.
	allowed := map[string]bool{
		"s3:GetObject": true, "s3:GetObjectVersion": true, "s3:PutObject": true, "s3:PutObjectAcl": true,
		"s3:GetBucketAcl": true, "s3:GetBucketLocation": true, "s3:GetBucketVersioning": true,
		"kms:Decrypt": true, "kms:DescribeKey": true, "kms:Encrypt": true, "kms:GenerateDataKey": true,
		"codebuild:BatchGetBuilds": true, "codebuild:StartBuild": true,
		"codeconnections:UseConnection": true, "codestar-connections:UseConnection": true,
		"sns:Publish": true, "sts:AssumeRole": true,
	}
	cases := map[string]struct {
		spec         toolingSpec
		wantAssume   []string
		wantOrg      string
		wantProjects []string
		wantBuckets  int
		wantKeys     int
	}{
		"without an organization the pipeline assumes exactly the deploy roles": {
			spec: toolingThreeEnvs(),
			wantAssume: []string{
				"arn:aws:iam::210987654321:role/shop-deploy-dev-dev",
				"arn:aws:iam::220987654321:role/shop-deploy-staging-dev",
				"arn:aws:iam::230987654321:role/shop-deploy-prod-dev",
			},
			wantProjects: []string{"arn:aws:codebuild:us-east-1:123456789012:project/shop-build-image-dev", "arn:aws:codebuild:us-east-1:123456789012:project/shop-build-dev", "arn:aws:codebuild:us-east-1:123456789012:project/shop-update-pipeline-dev"},
			wantBuckets:  1,
			wantKeys:     1,
		},
		"with an organization the pipeline assumes deploy roles of the organization by pattern": {
			spec:         toolingScale(100, 200, "o-a1b2c3d4e5"),
			wantAssume:   []string{"arn:aws:iam::*:role/shop-deploy-*-dev"},
			wantOrg:      "o-a1b2c3d4e5",
			wantProjects: []string{"arn:aws:codebuild:us-east-1:123456789012:project/shop-build-image-dev", "arn:aws:codebuild:us-east-1:123456789012:project/shop-build-dev", "arn:aws:codebuild:us-east-1:123456789012:project/shop-update-pipeline-dev"},
			wantBuckets:  1,
			wantKeys:     1,
		},
		"with a test stage the pipeline starts both projects": {
			spec: func() toolingSpec { s := toolingThreeEnvs(); s.Test = true; return s }(),
			wantAssume: []string{
				"arn:aws:iam::210987654321:role/shop-deploy-dev-dev",
				"arn:aws:iam::220987654321:role/shop-deploy-staging-dev",
				"arn:aws:iam::230987654321:role/shop-deploy-prod-dev",
			},
			wantProjects: []string{
				"arn:aws:codebuild:us-east-1:123456789012:project/shop-build-image-dev",
				"arn:aws:codebuild:us-east-1:123456789012:project/shop-build-dev",
				"arn:aws:codebuild:us-east-1:123456789012:project/shop-test-dev",
				"arn:aws:codebuild:us-east-1:123456789012:project/shop-update-pipeline-dev",
			},
			wantBuckets: 1,
			wantKeys:    1,
		},
		"a multi-region pipeline reaches the artifact store of every region": {
			spec: toolingMultiRegion(""),
			wantAssume: []string{
				"arn:aws:iam::210987654321:role/shop-deploy-dev-dev",
				"arn:aws:iam::230987654321:role/shop-deploy-approd-dev",
				"arn:aws:iam::230987654321:role/shop-deploy-euprod-dev",
			},
			wantProjects: []string{"arn:aws:codebuild:us-east-1:123456789012:project/shop-build-image-dev", "arn:aws:codebuild:us-east-1:123456789012:project/shop-build-dev", "arn:aws:codebuild:us-east-1:123456789012:project/shop-update-pipeline-dev"},
			wantBuckets:  3,
			wantKeys:     3,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			sys := toolingLoad(t, tc.spec)
			doc := toolingDoc(t, toolingPipelineTemplate(t, sys))
			role := toolingProps(t, doc, "PipelineRole")
			if role["RoleName"] != "shop-pipeline-dev" {
				t.Errorf("role name = %v", role["RoleName"])
			}
			if got := toolingAt(t, role, "AssumeRolePolicyDocument", "Statement", 0, "Principal", "Service"); got != "codepipeline.amazonaws.com" {
				t.Errorf("trusted service = %v", got)
			}
			policy := toolingAt(t, role, "Policies", 0, "PolicyDocument")
			for _, st := range toolingAt(t, policy, "Statement").([]any) {
				s := st.(map[string]any)
				if s["Effect"] != "Allow" {
					t.Errorf("statement %v is not an Allow", s["Sid"])
				}
				for _, a := range toolingStrings(t, s["Action"]) {
					if !allowed[a] {
						t.Errorf("statement %v grants %s, which the pipeline does not use", s["Sid"], a)
					}
				}
				if s["Resource"] == "*" {
					t.Errorf("statement %v grants on every resource", s["Sid"])
				}
			}

			assume := toolingStatement(t, policy, "AssumeDeployRoles")
			if got := toolingStrings(t, assume["Resource"]); !toolingEqual(t, got, tc.wantAssume) {
				t.Errorf("assumable roles = %v, want %v", got, tc.wantAssume)
			}
			if tc.wantOrg != "" {
				if assume["Condition"] != nil {
					t.Errorf("AssumeRole carries condition %v, which STS may not evaluate", assume["Condition"])
				}
				if size := len(toolingJSON(t, policy)); size > 10240 {
					t.Errorf("policy is %d characters at 200 environments, over the inline limit", size)
				}
			}
			if got := toolingStrings(t, toolingStatement(t, policy, "Builds")["Resource"]); !toolingEqual(t, got, tc.wantProjects) {
				t.Errorf("projects = %v, want %v", got, tc.wantProjects)
			}
			conn := toolingStatement(t, policy, "SourceConnection")
			wantConn := []string{
				"arn:aws:codeconnections:us-east-1:123456789012:connection/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b",
				"arn:aws:codestar-connections:us-east-1:123456789012:connection/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b",
			}
			if got := toolingStrings(t, conn["Resource"]); !toolingEqual(t, got, wantConn) {
				t.Errorf("connections = %v, want both prefixes %v", got, wantConn)
			}
			if got := toolingStrings(t, conn["Action"]); !toolingEqual(t, got, []string{"codeconnections:UseConnection", "codestar-connections:UseConnection"}) {
				t.Errorf("connection actions = %v", got)
			}
			if got := toolingAt(t, toolingStatement(t, policy, "ApprovalNotifications"), "Resource"); !toolingEqual(t, got, map[string]any{"Ref": "ApprovalsTopic"}) {
				t.Errorf("publishes to %s, want the approvals topic", toolingJSON(t, got))
			}
			buckets := toolingStatement(t, policy, "ArtifactBuckets")["Resource"]
			if n := len(toolingStrings(t, buckets)); n != tc.wantBuckets {
				t.Errorf("%d artifact buckets, want %d", n, tc.wantBuckets)
			}
			keys := toolingStatement(t, policy, "ArtifactKeys")["Resource"]
			n := 1
			if l, ok := keys.([]any); ok {
				n = len(l)
			}
			if n != tc.wantKeys {
				t.Errorf("%d artifact keys (%s), want %d", n, toolingJSON(t, keys), tc.wantKeys)
			}
		})
	}
}

func TestBuildPipelineCodeBuild(t *testing.T) {
	cases := map[string]struct {
		image, compute  string
		wantImage       string
		wantCredentials string
		wantCompute     string
		wantPull        any // Resource of PullBuildImage; nil: no such statement
		// wantPush is the Resource of PushBuildImage: with build.image ecr,
		// the BuildImage project pushes the build image as the CodeBuild role.
		wantPush any
	}{
		"the default ecr image is the build-image repository's latest, pulled with the service role": {
			wantImage:       "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop-build-image-dev:latest",
			wantCredentials: "SERVICE_ROLE",
			wantCompute:     "BUILD_GENERAL1_SMALL",
			wantPush:        "arn:aws:ecr:us-east-1:123456789012:repository/shop-build-image-dev",
		},
		"a curated CodeBuild image is pulled with CodeBuild's credentials": {
			image:           "aws/codebuild/amazonlinux2-x86_64-standard:5.0",
			compute:         "medium",
			wantImage:       "aws/codebuild/amazonlinux2-x86_64-standard:5.0",
			wantCredentials: "CODEBUILD",
			wantCompute:     "BUILD_GENERAL1_MEDIUM",
		},
		"an ECR image of another account is pulled with the service role from its repository": {
			image:           "444455556666.dkr.ecr.eu-west-1.amazonaws.com/tools/builder:3",
			compute:         "2xlarge",
			wantImage:       "444455556666.dkr.ecr.eu-west-1.amazonaws.com/tools/builder:3",
			wantCredentials: "SERVICE_ROLE",
			wantCompute:     "BUILD_GENERAL1_2XLARGE",
			wantPull:        "arn:aws:ecr:eu-west-1:444455556666:repository/tools/builder",
		},
		"xlarge compute maps to the extra large build host": {
			compute:         "xlarge",
			wantImage:       "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop-build-image-dev:latest",
			wantCredentials: "SERVICE_ROLE",
			wantCompute:     "BUILD_GENERAL1_XLARGE",
			wantPush:        "arn:aws:ecr:us-east-1:123456789012:repository/shop-build-image-dev",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			spec := toolingThreeEnvs()
			spec.Test, spec.BuildImage, spec.Compute = true, tc.image, tc.compute
			sys := toolingLoad(t, spec)
			doc := toolingDoc(t, toolingPipelineTemplate(t, sys))
			build := toolingProps(t, doc, "BuildProject")
			env := build["Environment"].(map[string]any)
			if env["Image"] != tc.wantImage || env["ImagePullCredentialsType"] != tc.wantCredentials || env["ComputeType"] != tc.wantCompute {
				t.Errorf("environment = %s", toolingJSON(t, env))
			}
			if env["PrivilegedMode"] != true {
				t.Error("the build is not privileged")
			}
			vars := map[string]any{}
			for _, v := range env["EnvironmentVariables"].([]any) {
				m := v.(map[string]any)
				vars[m["Name"].(string)] = m["Value"]
			}
			wantVars := map[string]any{
				"AWS_ACCOUNT_ID":      "123456789012",
				"APP_REPOSITORY_NAME": "shop-web-dev",
				"APP_REPOSITORY_URI":  "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop-web-dev",
				"CICDGEN_OUTPUT":      "cicdgen-out",
				"CICDGEN_VERSION":     ToolVersion(),
				"APP_IMAGE_REGIONS":   "",
			}
			if !toolingEqual(t, vars, wantVars) {
				t.Errorf("variables = %v, want %v", vars, wantVars)
			}
			if !toolingEqual(t, build["EncryptionKey"], map[string]any{"Fn::GetAtt": []any{"ArtifactKey", "Arn"}}) {
				t.Errorf("encryption key = %s", toolingJSON(t, build["EncryptionKey"]))
			}
			if got := toolingAt(t, build, "Cache", "Location"); got != "shop-cache-123456789012-us-east-1-dev/build" {
				t.Errorf("cache = %v", got)
			}
			if got := toolingAt(t, build, "Source", "BuildSpec"); got != "buildspec.yml" {
				t.Errorf("buildspec = %v", got)
			}
			if got := toolingAt(t, build, "TimeoutInMinutes"); fmt.Sprint(got) != "60" {
				t.Errorf("timeout = %v", got)
			}
			if !toolingEqual(t, toolingAt(t, build, "LogsConfig", "CloudWatchLogs", "GroupName"), map[string]any{"Ref": "BuildLogGroup"}) {
				t.Errorf("logs = %s", toolingJSON(t, build["LogsConfig"]))
			}
			test := toolingProps(t, doc, "TestProject")
			if got := toolingAt(t, test, "Source", "BuildSpec"); got != "buildspec-test.yml" {
				t.Errorf("test buildspec = %v", got)
			}

			policy := toolingAt(t, doc, "Resources", "CodeBuildRole", "Properties", "Policies", 0, "PolicyDocument")
			if tc.wantPull == nil {
				if toolingHasStatement(t, policy, "PullBuildImage") {
					t.Error("the CodeBuild role pulls a build image CodeBuild pulls itself")
				}
			} else if got := toolingStatement(t, policy, "PullBuildImage")["Resource"]; !toolingEqual(t, got, tc.wantPull) {
				t.Errorf("pulls from %s, want %s", toolingJSON(t, got), toolingJSON(t, tc.wantPull))
			}
			if tc.wantPush == nil {
				if toolingHasStatement(t, policy, "PushBuildImage") {
					t.Error("the CodeBuild role pushes a build image the system does not build")
				}
				if _, ok := doc["Resources"].(map[string]any)["BuildImageProject"]; ok {
					t.Error("a BuildImage project without build.image: ecr")
				}
			} else if got := toolingStatement(t, policy, "PushBuildImage")["Resource"]; !toolingEqual(t, got, tc.wantPush) {
				t.Errorf("pushes the build image to %s, want %s", toolingJSON(t, got), toolingJSON(t, tc.wantPush))
			}
			push := toolingStatement(t, policy, "PushApplicationImage")
			if !toolingEqual(t, push["Resource"], map[string]any{"Fn::GetAtt": []any{"AppRepository", "Arn"}}) {
				t.Errorf("pushes to %s, want the app repository", toolingJSON(t, push["Resource"]))
			}
			for _, st := range toolingAt(t, policy, "Statement").([]any) {
				s := st.(map[string]any)
				for _, a := range toolingStrings(t, s["Action"]) {
					if strings.Contains(a, "*") {
						t.Errorf("statement %v has the wildcard action %s", s["Sid"], a)
					}
				}
				if s["Resource"] == "*" && s["Sid"] != "RegistryLogin" {
					t.Errorf("statement %v grants on every resource", s["Sid"])
				}
			}
		})
	}
}

func TestBuildPipelineAppRepositoryPolicy(t *testing.T) {
	cases := map[string]struct {
		spec      toolingSpec
		wantRoots []string
		wantRoles []string
		wantOrg   string
	}{
		"the environment accounts' task execution roles may pull": {
			spec:      toolingThreeEnvs(),
			wantRoots: []string{"arn:aws:iam::210987654321:root", "arn:aws:iam::220987654321:root", "arn:aws:iam::230987654321:root"},
			wantRoles: []string{
				"arn:aws:iam::210987654321:role/shop-task-exec-dev-dev",
				"arn:aws:iam::220987654321:role/shop-task-exec-staging-dev",
				"arn:aws:iam::230987654321:role/shop-task-exec-prod-dev",
			},
		},
		"with an organization the task execution roles are matched by pattern": {
			spec:      toolingMultiRegion("o-a1b2c3d4e5"),
			wantRoles: []string{"arn:aws:iam::*:role/shop-task-exec-*-dev"},
			wantOrg:   "o-a1b2c3d4e5",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			doc := toolingDoc(t, toolingPipelineTemplate(t, toolingLoad(t, tc.spec)))
			repo := toolingProps(t, doc, "AppRepository")
			if repo["ImageTagMutability"] != "IMMUTABLE" || toolingAt(t, repo, "ImageScanningConfiguration", "ScanOnPush") != true {
				t.Errorf("repository = %s", toolingJSON(t, repo))
			}
			if _, ok := repo["LifecyclePolicy"]; !ok {
				t.Error("the app repository has no lifecycle policy")
			}
			policy := repo["RepositoryPolicyText"]
			if n := len(toolingAt(t, policy, "Statement").([]any)); n != 1 {
				t.Errorf("%d statements, want the pull grant alone", n)
			}
			st := toolingStatement(t, policy, "TaskExecutionRolesPull")
			if got := toolingStrings(t, st["Action"]); !toolingEqual(t, got, []string{"ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"}) {
				t.Errorf("actions = %v, want the pull actions only", got)
			}
			if _, has := st["Resource"]; has {
				t.Error("a repository policy statement names a Resource")
			}
			if tc.wantOrg != "" {
				if got := toolingAt(t, st, "Condition", "StringEquals", "aws:PrincipalOrgID"); got != tc.wantOrg {
					t.Errorf("org = %v", got)
				}
				if got := toolingStrings(t, toolingAt(t, st, "Condition", "ArnLike", "aws:PrincipalArn")); !toolingEqual(t, got, tc.wantRoles) {
					t.Errorf("roles = %v, want %v", got, tc.wantRoles)
				}
				return
			}
			if got := toolingStrings(t, toolingAt(t, st, "Principal", "AWS")); !toolingEqual(t, got, tc.wantRoots) {
				t.Errorf("roots = %v, want %v", got, tc.wantRoots)
			}
			if got := toolingStrings(t, toolingAt(t, st, "Condition", "ArnEquals", "aws:PrincipalArn")); !toolingEqual(t, got, tc.wantRoles) {
				t.Errorf("roles = %v, want %v", got, tc.wantRoles)
			}
		})
	}
}

func TestBuildPipelineArtifactKeyGrants(t *testing.T) {
	sys := toolingLoad(t, toolingMultiRegion(""))
	doc := toolingDoc(t, toolingPipelineTemplate(t, sys))
	key := toolingAt(t, doc, "Resources", "ArtifactKey", "Properties", "KeyPolicy")
	cases := map[string]struct {
		sid       string
		wantRoots []string
		wantArns  []string
	}{
		"the tooling account's pipeline and CodeBuild roles use the home key": {
			sid:       "ToolingRolesUseKey",
			wantRoots: []string{"arn:aws:iam::123456789012:root"},
			wantArns:  []string{"arn:aws:iam::123456789012:role/shop-pipeline-dev", "arn:aws:iam::123456789012:role/shop-codebuild-dev", "arn:aws:iam::123456789012:role/shop-update-pipeline-dev"},
		},
		"only the environments deploying in the home region decrypt with the home key": {
			sid:       "EnvironmentRolesDecrypt",
			wantRoots: []string{"arn:aws:iam::210987654321:root"},
			wantArns:  []string{"arn:aws:iam::210987654321:role/shop-cfn-exec-dev-dev", "arn:aws:iam::210987654321:role/shop-deploy-dev-dev"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			st := toolingStatement(t, key, tc.sid)
			if got := toolingStrings(t, toolingAt(t, st, "Principal", "AWS")); !toolingEqual(t, got, tc.wantRoots) {
				t.Errorf("roots = %v, want %v", got, tc.wantRoots)
			}
			if got := toolingStrings(t, toolingAt(t, st, "Condition", "ArnEquals", "aws:PrincipalArn")); !toolingEqual(t, got, tc.wantArns) {
				t.Errorf("principal ARNs = %v, want %v", got, tc.wantArns)
			}
		})
	}
	if admin := toolingStatement(t, key, "KeyAdministration"); toolingAt(t, admin, "Principal", "AWS") != "arn:aws:iam::123456789012:root" {
		t.Errorf("key administrator = %s", toolingJSON(t, admin))
	}
}

func TestBuildPipelineNotifications(t *testing.T) {
	sys := toolingLoad(t, toolingThreeEnvs())
	doc := toolingDoc(t, toolingPipelineTemplate(t, sys))
	names := schema.NamesOf(sys)
	keyArn := map[string]any{"Fn::GetAtt": []any{"NotificationsKey", "Arn"}}
	cases := map[string]struct {
		topic, name string
		subPrefix   string
		emails      []string
	}{
		"the approvals topic is encrypted and mails the approvers": {
			topic: "ApprovalsTopic", name: names.ApprovalsTopic(), subPrefix: "ApprovalsSubscription",
			emails: []string{"release@example.com"},
		},
		"the failures topic is encrypted and mails every on-call address": {
			topic: "FailuresTopic", name: names.FailuresTopic(), subPrefix: "FailuresSubscription",
			emails: []string{"oncall@example.com", "lead@example.com"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			topic := toolingProps(t, doc, tc.topic)
			if topic["TopicName"] != tc.name || !toolingEqual(t, topic["KmsMasterKeyId"], keyArn) {
				t.Errorf("topic = %s", toolingJSON(t, topic))
			}
			for i, email := range tc.emails {
				sub := toolingProps(t, doc, fmt.Sprintf("%s%d", tc.subPrefix, i+1))
				if sub["Protocol"] != "email" || sub["Endpoint"] != email || !toolingEqual(t, sub["TopicArn"], map[string]any{"Ref": tc.topic}) {
					t.Errorf("subscription %d = %s", i+1, toolingJSON(t, sub))
				}
			}
			if _, extra := doc["Resources"].(map[string]any)[fmt.Sprintf("%s%d", tc.subPrefix, len(tc.emails)+1)]; extra {
				t.Error("more subscriptions than addresses")
			}
		})
	}

	policy := toolingProps(t, doc, "FailuresTopicPolicy")
	st := toolingStatement(t, policy["PolicyDocument"], "FailureRulePublishes")
	wantRule := "arn:aws:events:us-east-1:123456789012:rule/" + names.FailureRule()
	if toolingAt(t, st, "Principal", "Service") != "events.amazonaws.com" || toolingAt(t, st, "Condition", "ArnEquals", "aws:SourceArn") != wantRule {
		t.Errorf("failures topic policy = %s, want EventBridge's rule %s", toolingJSON(t, st), wantRule)
	}
	mon := toolingDoc(t, toolingMonitoringTemplate(sys))
	if got := toolingAt(t, mon, "Resources", "FailureRule", "Properties", "Name"); "arn:aws:events:us-east-1:123456789012:rule/"+got.(string) != wantRule {
		t.Errorf("the topic policy names rule %s, monitoring creates %v", wantRule, got)
	}
	key := toolingAt(t, doc, "Resources", "NotificationsKey", "Properties", "KeyPolicy")
	// EventBridge publishes to the encrypted failures topic; no other
	// service publishes to these topics, so no other service uses the key.
	services := toolingStrings(t, toolingAt(t, toolingStatement(t, key, "NotificationServicesUseKey"), "Principal", "Service"))
	if !toolingEqual(t, services, []string{"events.amazonaws.com"}) {
		t.Errorf("services using the notifications key = %v, want EventBridge only", services)
	}
}

func TestBuildPipelineExports(t *testing.T) {
	sys := toolingLoad(t, toolingThreeEnvs())
	doc := toolingDoc(t, toolingPipelineTemplate(t, sys))
	stack := schema.NamesOf(sys).StackName(schema.KindPipeline)
	cases := map[string]struct{ output string }{
		"the failures topic is exported for the monitoring stack": {"FailuresTopicArn"},
		"the approvals topic is exported":                         {"ApprovalsTopicArn"},
		"the pipeline name is exported":                           {"PipelineName"},
		"the notifications key is exported":                       {"NotificationsKeyArn"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := toolingAt(t, doc, "Outputs", tc.output, "Export", "Name"); got != stack+":"+tc.output {
				t.Errorf("export = %v, want %s:%s", got, stack, tc.output)
			}
		})
	}
}

func TestBuildPipelineIsDeterministic(t *testing.T) {
	cases := map[string]toolingSpec{
		"a three-environment system builds the same bytes twice": toolingThreeEnvs(),
		"a multi-region system builds the same bytes twice":      toolingMultiRegion(""),
		"a large system builds the same bytes twice":             toolingScale(30, 60, ""),
	}
	for name, spec := range cases {
		t.Run(name, func(t *testing.T) {
			render := func() []byte {
				sys := toolingLoad(t, spec)
				b, err := canonicalJSON(toolingDoc(t, toolingPipelineTemplate(t, sys)))
				if err != nil {
					t.Fatal(err)
				}
				return b
			}
			if a, b := render(), render(); !bytes.Equal(a, b) {
				t.Error("two builds differ")
			}
		})
	}
}

func TestToolingRegionParam(t *testing.T) {
	cases := map[string]struct{ region, want string }{
		"a three-part region capitalises each part":  {"us-west-2", "ArtifactKeyArnUsWest2"},
		"a four-part region capitalises each part":   {"ap-southeast-2", "ArtifactKeyArnApSoutheast2"},
		"a government region keeps every part":       {"us-gov-west-1", "ArtifactKeyArnUsGovWest1"},
		"a region with a longer part keeps its case": {"eu-central-1", "ArtifactKeyArnEuCentral1"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := toolingRegionParam(tc.region); got != tc.want {
				t.Errorf("toolingRegionParam(%q) = %q, want %q", tc.region, got, tc.want)
			}
		})
	}
}

func TestPipeConnectionARNs(t *testing.T) {
	cases := map[string]struct {
		arn  string
		want []string
	}{
		"a codestar-connections ARN is also granted as codeconnections": {
			arn:  "arn:aws:codestar-connections:us-east-1:123456789012:connection/abc",
			want: []string{"arn:aws:codeconnections:us-east-1:123456789012:connection/abc", "arn:aws:codestar-connections:us-east-1:123456789012:connection/abc"},
		},
		"a codeconnections ARN is also granted as codestar-connections": {
			arn:  "arn:aws:codeconnections:eu-west-1:123456789012:connection/abc",
			want: []string{"arn:aws:codeconnections:eu-west-1:123456789012:connection/abc", "arn:aws:codestar-connections:eu-west-1:123456789012:connection/abc"},
		},
		"an ARN of another service is kept as is": {
			arn:  "arn:aws:other:eu-west-1:123456789012:thing/abc",
			want: []string{"arn:aws:other:eu-west-1:123456789012:thing/abc"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := pipeConnectionARNs(tc.arn)
			if !sort.StringsAreSorted(got) || strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("pipeConnectionARNs(%q) = %v, want %v", tc.arn, got, tc.want)
			}
		})
	}
}

// TestPipelineStagesAreTheSchemasCount holds the pipeline's stages to what
// the schema's quota check counts (schema.FixedStages, then one stage per
// schema.DeployStages entry), over every golden system: a stage added to
// the pipeline and not to the count would let a pipeline over CodePipeline's
// 50 stages pass validate.
func TestPipelineStagesAreTheSchemasCount(t *testing.T) {
	for _, c := range goldenCases(t) {
		a, _, _ := compileCase(t, c)
		s := a.Stack(schema.NamesOf(a.System).StackName(schema.KindPipeline))
		p, ok := s.Template.Resources[pipePipelineID].(*codepipeline.Pipeline)
		if !ok {
			t.Fatalf("%s: no pipeline", c.name)
		}
		var got []string
		for _, st := range p.Stages {
			got = append(got, st.Name)
		}
		want := schema.FixedStages(a.System)
		for _, st := range schema.DeployStages(a.System) {
			want = append(want, st.Name)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: the pipeline's stages are %v; the schema counts %v", c.name, got, want)
		}
	}
}
