package compiler

import (
	"testing"

	"github.com/awslabs/goformation/v7/cloudformation"

	"github.com/cicdgen/cicdgen/schema"
)

// toolingMultiRegion has dev at home (us-east-1), euprod in eu-west-1 and
// approd in ap-southeast-2, the last two in the same account.
func toolingMultiRegion(org string) toolingSpec {
	return toolingSpec{
		Organization: org,
		Accounts:     map[string]string{"dev": "210987654321", "prod": "230987654321"},
		Envs: []string{
			"{name: dev, account: dev}",
			"{name: euprod, account: prod, region: eu-west-1, approval: true}",
			"{name: approd, account: prod, region: ap-southeast-2}",
		},
	}
}

func TestBuildArtifactsGrantsTheRegionsEnvironments(t *testing.T) {
	cases := map[string]struct {
		spec       toolingSpec
		region     string
		wantRoots  []string
		wantArns   []string
		wantOrg    string
		wantArnPat []string
	}{
		"a support region grants only the deploy and execution roles of the environments deploying there": {
			spec:      toolingMultiRegion(""),
			region:    "eu-west-1",
			wantRoots: []string{"arn:aws:iam::230987654321:root"},
			wantArns: []string{
				"arn:aws:iam::230987654321:role/shop-cfn-exec-euprod-dev",
				"arn:aws:iam::230987654321:role/shop-deploy-euprod-dev",
			},
		},
		"another support region grants its own environment": {
			spec:      toolingMultiRegion(""),
			region:    "ap-southeast-2",
			wantRoots: []string{"arn:aws:iam::230987654321:root"},
			wantArns: []string{
				"arn:aws:iam::230987654321:role/shop-cfn-exec-approd-dev",
				"arn:aws:iam::230987654321:role/shop-deploy-approd-dev",
			},
		},
		"with an organization the grant uses the organization id and role name patterns": {
			spec:    toolingMultiRegion("o-a1b2c3d4e5"),
			region:  "eu-west-1",
			wantOrg: "o-a1b2c3d4e5",
			wantArnPat: []string{
				"arn:aws:iam::*:role/shop-deploy-*-dev",
				"arn:aws:iam::*:role/shop-cfn-exec-*-dev",
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			sys := toolingLoad(t, tc.spec)
			tmpl, params := buildArtifacts(sys, tc.region)
			if len(params) != 0 {
				t.Errorf("parameters = %v, want none", params)
			}
			doc := toolingDoc(t, tmpl)
			names := schema.NamesOf(sys)

			key := toolingProps(t, doc, "ArtifactKey")
			if key["EnableKeyRotation"] != true {
				t.Errorf("EnableKeyRotation = %v, want true", key["EnableKeyRotation"])
			}
			if got := toolingAt(t, doc, "Resources", "ArtifactKeyAlias", "Properties", "AliasName"); got != names.ArtifactKeyAlias(tc.region) {
				t.Errorf("alias = %v, want %s", got, names.ArtifactKeyAlias(tc.region))
			}
			bucket := toolingProps(t, doc, "ArtifactBucket")
			if bucket["BucketName"] != names.ArtifactBucket(tc.region) {
				t.Errorf("bucket name = %v, want %s", bucket["BucketName"], names.ArtifactBucket(tc.region))
			}
			sse := toolingAt(t, bucket, "BucketEncryption", "ServerSideEncryptionConfiguration", 0)
			if !toolingEqual(t, toolingAt(t, sse, "ServerSideEncryptionByDefault", "KMSMasterKeyID"), map[string]any{"Fn::GetAtt": []string{"ArtifactKey", "Arn"}}) {
				t.Errorf("bucket key = %s, want the artifact key by ARN", toolingJSON(t, sse))
			}

			// Only the pipeline role of the tooling account uses a support key.
			tooling := toolingStatement(t, key["KeyPolicy"], "ToolingRolesUseKey")
			if got := toolingStrings(t, toolingAt(t, tooling, "Condition", "ArnEquals", "aws:PrincipalArn")); !toolingEqual(t, got, []string{"arn:aws:iam::123456789012:role/shop-pipeline-dev"}) {
				t.Errorf("tooling roles = %v, want the pipeline role only", got)
			}

			policy := toolingAt(t, doc, "Resources", "ArtifactBucketPolicy", "Properties", "PolicyDocument")
			grants := []map[string]any{
				toolingStatement(t, key["KeyPolicy"], "EnvironmentRolesDecrypt"),
				toolingStatement(t, policy, "EnvironmentRolesRead"),
			}
			for _, g := range grants {
				if tc.wantOrg != "" {
					if !toolingEqual(t, g["Principal"], map[string]any{"AWS": "*"}) {
						t.Errorf("principal = %s, want AWS *", toolingJSON(t, g["Principal"]))
					}
					if got := toolingAt(t, g, "Condition", "StringEquals", "aws:PrincipalOrgID"); got != tc.wantOrg {
						t.Errorf("org = %v, want %s", got, tc.wantOrg)
					}
					if got := toolingStrings(t, toolingAt(t, g, "Condition", "ArnLike", "aws:PrincipalArn")); !toolingEqual(t, got, tc.wantArnPat) {
						t.Errorf("patterns = %v, want %v", got, tc.wantArnPat)
					}
					continue
				}
				if got := toolingStrings(t, toolingAt(t, g, "Principal", "AWS")); !toolingEqual(t, got, tc.wantRoots) {
					t.Errorf("roots = %v, want %v", got, tc.wantRoots)
				}
				if got := toolingStrings(t, toolingAt(t, g, "Condition", "ArnEquals", "aws:PrincipalArn")); !toolingEqual(t, got, tc.wantArns) {
					t.Errorf("principal ARNs = %v, want %v", got, tc.wantArns)
				}
			}
			read := grants[1]
			if got := toolingStrings(t, read["Action"]); !toolingEqual(t, got, []string{"s3:GetBucketLocation", "s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket"}) {
				t.Errorf("read actions = %v", got)
			}
			if got := toolingStrings(t, grants[0]["Action"]); !toolingEqual(t, got, []string{"kms:Decrypt", "kms:DescribeKey"}) {
				t.Errorf("key actions = %v", got)
			}
			deny := toolingStatement(t, policy, "DenyInsecureTransport")
			if deny["Effect"] != "Deny" || toolingAt(t, deny, "Condition", "Bool", "aws:SecureTransport") != "false" {
				t.Errorf("TLS statement = %s", toolingJSON(t, deny))
			}
			for _, out := range []string{"ArtifactBucketName", "ArtifactKeyArn"} {
				toolingAt(t, doc, "Outputs", out, "Value")
			}
		})
	}
}

func TestBuildArtifactsPolicySizes(t *testing.T) {
	cases := map[string]struct {
		accounts, envs int
		org            string
		// wantConstant: the policies have the same size as with 2 accounts.
		wantConstant bool
	}{
		"an organization keeps the policies as small at 100 accounts as at 2":  {accounts: 100, envs: 200, org: "o-a1b2c3d4e5", wantConstant: true},
		"without an organization 20 accounts still fit in one grant statement": {accounts: 20, envs: 40},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			policies := func(spec toolingSpec) (key, bucket, repo string, statements int) {
				sys := toolingLoad(t, spec)
				doc := toolingDoc(t, toolingPipelineTemplate(sys))
				key = toolingJSON(t, toolingAt(t, doc, "Resources", "ArtifactKey", "Properties", "KeyPolicy"))
				bp := toolingAt(t, doc, "Resources", "ArtifactBucketPolicy", "Properties", "PolicyDocument")
				bucket = toolingJSON(t, bp)
				repo = toolingJSON(t, toolingAt(t, doc, "Resources", "AppRepository", "Properties", "RepositoryPolicyText"))
				return key, bucket, repo, len(toolingAt(t, bp, "Statement").([]any))
			}
			key, bucket, repo, n := policies(toolingScale(tc.accounts, tc.envs, tc.org))
			if n != 2 {
				t.Errorf("bucket policy has %d statements, want 2 (TLS, one grant)", n)
			}
			if len(key) > 32*1024 || len(bucket) > 20*1024 || len(repo) > 10240 {
				t.Errorf("sizes key %d, bucket %d, repository %d over AWS's limits", len(key), len(bucket), len(repo))
			}
			if tc.wantConstant {
				k2, b2, r2, _ := policies(toolingScale(2, 2, tc.org))
				if len(key) != len(k2) || len(bucket) != len(b2) || len(repo) != len(r2) {
					t.Errorf("sizes %d/%d/%d at scale, %d/%d/%d small: want equal", len(key), len(bucket), len(repo), len(k2), len(b2), len(r2))
				}
			}
		})
	}
}

// toolingPipelineTemplate returns the pipeline template of sys.
func toolingPipelineTemplate(sys *schema.System) *cloudformation.Template {
	tmpl, _ := buildPipeline(sys)
	return tmpl
}
