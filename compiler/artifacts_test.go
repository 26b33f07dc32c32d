package compiler

import (
	"fmt"
	"testing"

	"github.com/cicdgen/cicdgen/compiler/cfn"

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
			tmpl, params, err := buildArtifacts(sys, tc.region)
			if err != nil {
				t.Fatal(err)
			}
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
			if got := toolingStrings(t, read["Action"]); !toolingEqual(t, got, []string{"s3:GetBucketLocation", "s3:GetBucketVersioning", "s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket"}) {
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
				doc := toolingDoc(t, toolingPipelineTemplate(t, sys))
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
func toolingPipelineTemplate(t testing.TB, sys *schema.System) *cfn.Template {
	t.Helper()
	tmpl, _, err := buildPipeline(sys)
	if err != nil {
		t.Fatalf("build the pipeline of %s: %v", sys.Name, err)
	}
	return tmpl
}

// toolingStoreStack is a tooling stack that holds an artifact store.
type toolingStoreStack struct {
	sys    *schema.System
	region string // the region of the stack's artifact store
	tmpl   *cfn.Template
}

// toolingStoreStacks returns, by description, the stacks that hold artifact
// stores of a multi-region system with and without organization: the
// pipeline stack (home region) and the eu-west-1 artifacts stack.
func toolingStoreStacks(t *testing.T) map[string]toolingStoreStack {
	t.Helper()
	out := map[string]toolingStoreStack{}
	for _, org := range []string{"", "o-a1b2c3d4e5"} {
		sys := toolingLoad(t, toolingMultiRegion(org))
		with := "without organization"
		if org != "" {
			with = "with an organization"
		}
		out["the pipeline stack "+with] = toolingStoreStack{sys, sys.Region, toolingPipelineTemplate(t, sys)}
		art, _, err := buildArtifacts(sys, "eu-west-1")
		if err != nil {
			t.Fatal(err)
		}
		out["the eu-west-1 artifacts stack "+with] = toolingStoreStack{sys, "eu-west-1", art}
	}
	return out
}

func TestToolingKeysDenyGrantsNotForAWSServices(t *testing.T) {
	// The exact statement of Control Tower's CT.KMS.PR.3.
	want := map[string]any{
		"Sid":       "DenyGrantsExceptForAWSServices",
		"Effect":    "Deny",
		"Principal": map[string]any{"AWS": "*"},
		"Action":    "kms:CreateGrant",
		"Resource":  "*",
		"Condition": map[string]any{"BoolIfExists": map[string]any{
			"aws:PrincipalIsAWSService": "false",
			"kms:GrantIsForAWSResource": "false",
		}},
	}
	for name, stack := range toolingStoreStacks(t) {
		doc := toolingDoc(t, stack.tmpl)
		for id, res := range doc["Resources"].(map[string]any) {
			if res.(map[string]any)["Type"] != "AWS::KMS::Key" {
				continue
			}
			t.Run(name+" key "+id+" ends with the deny and starts with the administrator", func(t *testing.T) {
				statements := toolingAt(t, res, "Properties", "KeyPolicy", "Statement").([]any)
				if got := statements[len(statements)-1]; !toolingEqual(t, got, want) {
					t.Errorf("last statement = %s, want %s", toolingJSON(t, got), toolingJSON(t, want))
				}
				if sid := statements[0].(map[string]any)["Sid"]; sid != "KeyAdministration" {
					t.Errorf("first statement = %v, want KeyAdministration", sid)
				}
			})
		}
	}
}

func TestToolingBucketsLogAccessAndSendEvents(t *testing.T) {
	for name, stack := range toolingStoreStacks(t) {
		t.Run(name, func(t *testing.T) {
			doc := toolingDoc(t, stack.tmpl)
			names := schema.NamesOf(stack.sys)
			logName := toolingAccessLogBucket(stack.sys, stack.region)
			logARN := "arn:aws:s3:::" + logName
			var logged []string
			for id, r := range doc["Resources"].(map[string]any) {
				res := r.(map[string]any)
				if res["Type"] != "AWS::S3::Bucket" {
					continue
				}
				props := res["Properties"].(map[string]any)
				if got := toolingAt(t, props, "NotificationConfiguration", "EventBridgeConfiguration", "EventBridgeEnabled"); got != true {
					t.Errorf("%s: EventBridgeEnabled = %v, want true", id, got)
				}
				if !toolingEqual(t, toolingAt(t, props, "PublicAccessBlockConfiguration"), map[string]any{
					"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true,
				}) {
					t.Errorf("%s: public access block = %s", id, toolingJSON(t, props["PublicAccessBlockConfiguration"]))
				}
				if id == "AccessLogBucket" {
					continue
				}
				bucket := props["BucketName"].(string)
				logged = append(logged, bucket)
				want := map[string]any{
					"DestinationBucketName": map[string]any{"Ref": "AccessLogBucket"},
					"LogFilePrefix":         bucket + "/",
				}
				if got := props["LoggingConfiguration"]; !toolingEqual(t, got, want) {
					t.Errorf("%s: logging = %s, want %s", id, toolingJSON(t, got), toolingJSON(t, want))
				}
				if got := toolingStrings(t, res["DependsOn"]); !toolingEqual(t, got, []string{"AccessLogBucketPolicy"}) {
					t.Errorf("%s: DependsOn = %v, want the log bucket's policy", id, got)
				}
			}
			wantLogged := []string{names.ArtifactBucket(stack.region)}
			if stack.region == stack.sys.Region {
				wantLogged = append(wantLogged, names.CacheBucket())
			}
			if !toolingEqual(t, toolingSortedUnique(logged), toolingSortedUnique(wantLogged)) {
				t.Errorf("logged buckets = %v, want %v", logged, wantLogged)
			}

			logBucket := toolingProps(t, doc, "AccessLogBucket")
			if logBucket["BucketName"] != logName {
				t.Errorf("log bucket name = %v, want %s", logBucket["BucketName"], logName)
			}
			if _, ok := logBucket["LoggingConfiguration"]; ok {
				t.Error("the log bucket logs into a bucket; it must not log itself")
			}
			if got := toolingAt(t, logBucket, "BucketEncryption", "ServerSideEncryptionConfiguration", 0, "ServerSideEncryptionByDefault"); !toolingEqual(t, got, map[string]any{"SSEAlgorithm": "AES256"}) {
				t.Errorf("log bucket encryption = %s, want SSE-S3, the only one S3 log delivery supports", toolingJSON(t, got))
			}
			if got := toolingAt(t, logBucket, "LifecycleConfiguration", "Rules", 0, "ExpirationInDays"); !toolingEqual(t, got, 365) {
				t.Errorf("log expiry = %v days, want 365", got)
			}

			policy := toolingAt(t, doc, "Resources", "AccessLogBucketPolicy", "Properties", "PolicyDocument")
			deny := toolingStatement(t, policy, "DenyInsecureTransport")
			if !toolingEqual(t, deny["Resource"], []string{logARN, logARN + "/*"}) {
				t.Errorf("TLS deny resources = %s", toolingJSON(t, deny["Resource"]))
			}
			st := toolingStatement(t, policy, "S3ServerAccessLogs")
			if toolingAt(t, st, "Principal", "Service") != "logging.s3.amazonaws.com" || st["Action"] != "s3:PutObject" {
				t.Errorf("log delivery statement = %s", toolingJSON(t, st))
			}
			var wantSources, wantResources []string
			for _, b := range wantLogged {
				wantSources = append(wantSources, "arn:aws:s3:::"+b)
				wantResources = append(wantResources, logARN+"/"+b+"/*")
			}
			if got := toolingStrings(t, toolingAt(t, st, "Condition", "ArnLike", "aws:SourceArn")); !toolingEqual(t, got, wantSources) {
				t.Errorf("source buckets = %v, want %v", got, wantSources)
			}
			if got := toolingAt(t, st, "Condition", "StringEquals", "aws:SourceAccount"); got != "123456789012" {
				t.Errorf("source account = %v, want the tooling account", got)
			}
			if got := toolingStrings(t, st["Resource"]); !toolingEqual(t, got, wantResources) {
				t.Errorf("log prefixes = %v, want %v", got, wantResources)
			}
		})
	}
}

func TestToolingAccessLogBucketFitsWhereTheArtifactBucketFits(t *testing.T) {
	cases := map[string]struct{ region string }{
		"a short region":      {"us-east-1"},
		"the longest region":  {"ap-southeast-2"},
		"a government region": {"us-gov-west-1"},
		"a three-part region": {"eu-central-2"},
	}
	sys := toolingLoad(t, toolingThreeEnvs())
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			logs, artifacts := toolingAccessLogBucket(sys, tc.region), schema.NamesOf(sys).ArtifactBucket(tc.region)
			if len(logs) > len(artifacts) {
				t.Errorf("%s (%d) is longer than %s (%d), whose limit the schema checks", logs, len(logs), artifacts, len(artifacts))
			}
		})
	}
}

func TestToolingAccessLogsOutliveLongKeptArtifacts(t *testing.T) {
	cases := map[string]struct {
		retention int
		want      int
	}{
		"artifacts kept a month: logs kept a year":    {30, 365},
		"artifacts kept two years: logs kept as long": {730, 730},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			spec := toolingThreeEnvs()
			spec.Extra = fmt.Sprintf("artifacts:\n  retention_days: %d\n", tc.retention)
			doc := toolingDoc(t, toolingPipelineTemplate(t, toolingLoad(t, spec)))
			if got := toolingAt(t, doc, "Resources", "AccessLogBucket", "Properties", "LifecycleConfiguration", "Rules", 0, "ExpirationInDays"); !toolingEqual(t, got, tc.want) {
				t.Errorf("log expiry = %v days, want %v", got, tc.want)
			}
		})
	}
}
