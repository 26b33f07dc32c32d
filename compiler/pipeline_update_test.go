package compiler

import (
	"sort"
	"strings"
	"testing"
)

// toolingUpdateTemplates returns the tooling stacks' templates of a system
// that has every tooling resource: a test stage, registry credentials, a
// support region, notifications and a dashboard.
func toolingUpdateTemplates(t *testing.T) []map[string]any {
	t.Helper()
	spec := toolingMultiRegion("")
	spec.Test, spec.RegistryCredentials = true, true
	sys := toolingLoad(t, spec)
	a, ds := Compile(sys)
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	var out []map[string]any
	for _, s := range a.Stacks {
		if s.Environment == "" {
			out = append(out, stackDoc(t, s))
		}
	}
	if len(out) != 5 {
		t.Fatalf("%d tooling stacks, want pipeline, monitoring, secrets and two artifacts", len(out))
	}
	return out
}

// toolingUpdateTypes returns the resource types of the tooling stacks, sorted.
func toolingUpdateTypes(t *testing.T) []string {
	set := map[string]bool{}
	for _, doc := range toolingUpdateTemplates(t) {
		for _, typ := range rolesTemplateTypes(doc) {
			set[typ] = true
		}
	}
	types := make([]string, 0, len(set))
	for typ := range set {
		types = append(types, typ)
	}
	sort.Strings(types)
	return types
}

// toolingTypesWithoutHandlers are the tooling stacks' resource types whose
// schemas list no handler permissions (CloudFormation's older resource
// providers); toolingUpdateExtras lists what the role grants for them.
var toolingTypesWithoutHandlers = map[string]bool{
	"AWS::CodeBuild::Project":                  true,
	"AWS::CloudFormation::WaitConditionHandle": true,
}

// toolingUpdateExclusions are the handler permissions the update-pipeline
// role leaves out, and why: each serves a feature the tooling stacks never
// use (or is no IAM action at all).
var toolingUpdateExclusions = map[string]string{
	"firehose:TagDeliveryStream":                  "log delivery to Kinesis Data Firehose",
	"iam:AttachRolePolicy":                        "managed policies on the tooling roles (they have inline policies only)",
	"iam:DetachRolePolicy":                        "managed policies on the tooling roles",
	"iam:DeleteRolePermissionsBoundary":           "permissions boundaries",
	"iam:PutRolePermissionsBoundary":              "permissions boundaries",
	"iam:PassRole":                                "passed only to CodeBuild and CodePipeline (PassToolingRoles); S3 replication, SNS delivery logging and EventBridge target roles are not used",
	"kms:CreateGrant":                             "ECR repositories encrypted with KMS (they use AES256)",
	"kms:RetireGrant":                             "ECR repositories encrypted with KMS",
	"kms:DisableKey":                              "keys with Enabled: false",
	"kms:EnableKey":                               "keys with Enabled: false",
	"kms:DisableKeyRotation":                      "keys without rotation (every tooling key rotates)",
	"logs:CreateLogDelivery":                      "vended log deliveries",
	"logs:DeleteDataProtectionPolicy":             "log group data protection policies",
	"logs:GetDataProtectionPolicy":                "log group data protection policies",
	"logs:PutDataProtectionPolicy":                "log group data protection policies",
	"logs:DescribeResourcePolicies":               "log group resource policies",
	"logs:PutResourcePolicy":                      "log group resource policies (changes the account's CloudWatch Logs policies)",
	"s3:REST.PUT.OBJECT":                          "not an IAM action (an S3 access log operation name the log group schema lists)",
	"s3:CreateBucketMetadataTableConfiguration":   "S3 metadata tables",
	"s3:DeleteBucketMetadataTableConfiguration":   "S3 metadata tables",
	"s3:GetBucketMetadataTableConfiguration":      "S3 metadata tables",
	"s3tables:CreateNamespace":                    "S3 metadata tables",
	"s3tables:CreateTable":                        "S3 metadata tables",
	"s3tables:GetTable":                           "S3 metadata tables",
	"s3tables:GetTableMetadataLocation":           "S3 metadata tables",
	"s3tables:PutTablePolicy":                     "S3 metadata tables",
	"s3tables:UpdateTableMetadataLocation":        "S3 metadata tables",
	"s3:DeleteBucketAnalyticsConfiguration":       "bucket analytics",
	"s3:PutAnalyticsConfiguration":                "bucket analytics",
	"s3:DeleteBucketCors":                         "CORS",
	"s3:PutBucketCORS":                            "CORS",
	"s3:DeleteBucketEncryption":                   "buckets without default encryption (every tooling bucket has one)",
	"s3:DeleteBucketLifecycle":                    "buckets without a lifecycle (every tooling bucket has one)",
	"s3:DeleteBucketMetricsConfiguration":         "request metrics",
	"s3:PutMetricsConfiguration":                  "request metrics",
	"s3:DeleteBucketReplication":                  "replication",
	"s3:PutBucketReplication":                     "replication",
	"s3:PutReplicationConfiguration":              "replication",
	"s3:DeleteBucketWebsite":                      "website hosting",
	"s3:PutBucketWebsite":                         "website hosting",
	"s3:DeleteObject":                             "emptying buckets (CloudFormation never does; destroy empties them)",
	"s3:PutAccelerateConfiguration":               "transfer acceleration",
	"s3:PutBucketAcl":                             "ACLs (disabled: BucketOwnerEnforced)",
	"s3:PutBucketObjectLockConfiguration":         "Object Lock",
	"s3:PutObjectLockConfiguration":               "Object Lock",
	"s3:PutIntelligentTieringConfiguration":       "Intelligent-Tiering",
	"s3:PutInventoryConfiguration":                "inventories",
	"secretsmanager:GetRandomPassword":            "GenerateSecretString (the secret is created without a value)",
	"secretsmanager:GetSecretValue":               "reading the value (CloudFormation never needs it; the builds read it as the CodeBuild role)",
	"secretsmanager:ReplicateSecretToRegions":     "replica regions",
	"secretsmanager:RemoveRegionsFromReplication": "replica regions",
	"sns:PutDataProtectionPolicy":                 "topic data protection policies",
	"iam:GetRole":                                 "SNS delivery status logging roles (granted on the tooling roles only)",
}

// toolingUpdateExtras are actions the update-pipeline role grants beyond
// the resource handlers' lists, and why.
var toolingUpdateExtras = map[string]string{
	"logs:CreateLogStream":                  "the project's own build logs",
	"logs:PutLogEvents":                     "the project's own build logs",
	"s3:GetObject":                          "CodeBuild downloads the build output as the project's role",
	"s3:GetObjectVersion":                   "CodeBuild downloads the build output as the project's role",
	"kms:Decrypt":                           "the build output is encrypted with the artifact key",
	"cloudformation:CreateChangeSet":        "apply",
	"cloudformation:CreateStack":            "apply",
	"cloudformation:DeleteChangeSet":        "apply",
	"cloudformation:DeleteStack":            "apply recreates a stack left in ROLLBACK_COMPLETE",
	"cloudformation:DescribeChangeSet":      "apply",
	"cloudformation:DescribeStackEvents":    "apply",
	"cloudformation:DescribeStackResources": "apply",
	"cloudformation:DescribeStacks":         "apply",
	"cloudformation:ExecuteChangeSet":       "apply",
	"cloudformation:TagResource":            "the stacks' tags",
	"cloudformation:UntagResource":          "the stacks' tags",
	"cloudformation:GetTemplateSummary":     "CloudFormation reads the template as the caller",
	"cloudformation:ListExports":            "granted, but unused since the monitoring stack stopped importing the failures topic; to drop with the next change of the role",
	"cloudformation:ValidateTemplate":       "CloudFormation reads the template as the caller",
	"codebuild:BatchGetProjects":            "the CodeBuild project resource (no registry handler)",
	"codebuild:CreateProject":               "the CodeBuild project resource (no registry handler)",
	"codebuild:DeleteProject":               "the CodeBuild project resource (no registry handler)",
	"codebuild:UpdateProject":               "the CodeBuild project resource (no registry handler)",
	"codeconnections:PassConnection":        "the connection under its newer service prefix",
	"ecr:BatchDeleteImage":                  "EmptyOnDelete empties a repository before deleting it",
	"ecr:ListImages":                        "EmptyOnDelete empties a repository before deleting it",
	"iam:PassRole":                          "the projects' and the pipeline's roles, to CodeBuild and CodePipeline only",
}

func TestUpdatePipelineRoleCoversHandlerPermissions(t *testing.T) {
	hp := rolesLoadHandlerPermissions(t)
	docs := toolingUpdateTemplates(t)
	statements := envStatements(t, docs[0], "UpdatePipelineRole")
	needed := map[string]bool{}
	for _, typ := range toolingUpdateTypes(t) {
		handlers, ok := hp.Types[typ]
		if !ok && !toolingTypesWithoutHandlers[typ] {
			t.Errorf("%s has no entry in %s; add it to compiler/internal/cfnschemagen's resourceTypes and run go generate ./compiler", typ, handlerPermissionsFile)
		}
		for handler, perms := range handlers {
			// CloudFormation calls a list handler to list resources (the
			// IaC generator, ListResources), never in a stack operation.
			if handler == "list" {
				continue
			}
			for _, p := range perms {
				needed[strings.ToLower(p)] = true
				if _, excluded := toolingUpdateExclusions[p]; excluded {
					continue
				}
				if !rolesAllows(statements, p) {
					t.Errorf("the update-pipeline role does not allow %s (%s)", p, typ)
				}
			}
		}
	}
	// No more than that: every granted action is a handler's or explained.
	for _, s := range statements {
		for _, a := range envList(s["Action"]) {
			action := a.(string)
			if !needed[strings.ToLower(action)] && toolingUpdateExtras[action] == "" {
				t.Errorf("statement %v grants %s, which no handler of the tooling stacks lists and toolingUpdateExtras does not explain", s["Sid"], action)
			}
		}
	}
	for p := range toolingUpdateExclusions {
		if !needed[strings.ToLower(p)] {
			t.Errorf("exclusion %s is listed by no handler of the tooling stacks: remove it", p)
		}
	}
	// An extra no longer granted is stale.
	for action, why := range toolingUpdateExtras {
		if !rolesAllows(statements, action) {
			t.Errorf("extra %s (%s) is not granted: remove it", action, why)
		}
	}
	// An exclusion granted after all is stale, except where the role grants
	// it for some resources only (iam:PassRole, iam:GetRole).
	for p, why := range toolingUpdateExclusions {
		if p != "iam:PassRole" && p != "iam:GetRole" && rolesAllows(statements, p) {
			t.Errorf("exclusion %s (%s) is granted after all: remove it", p, why)
		}
	}
}
