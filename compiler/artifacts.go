package compiler

import (
	"fmt"

	"github.com/awslabs/goformation/v7/cloudformation"

	"github.com/cicdgen/cicdgen/schema"
)

// The artifacts-<region> stack: the artifact store that CodePipeline needs in
// every region, other than the home region, where an environment deploys.
// CodePipeline copies the build output there before it runs the region's
// CloudFormation actions, which read it with the environment account's
// deploy and execution roles.
//
// Logical ids (the same as the home artifact store in the pipeline stack):
//
//	ArtifactKey           AWS::KMS::Key        customer-managed key of the bucket, rotation on
//	ArtifactKeyAlias      AWS::KMS::Alias      Names.ArtifactKeyAlias(region)
//	ArtifactBucket        AWS::S3::Bucket      Names.ArtifactBucket(region)
//	ArtifactBucketPolicy  AWS::S3::BucketPolicy TLS only; read for the region's environment roles
//	AccessLogBucket       AWS::S3::Bucket      server access logs of the artifact bucket,
//	                                           <name>-s3-logs-<tooling account>-<region>-<suffix>, SSE-S3
//	AccessLogBucketPolicy AWS::S3::BucketPolicy TLS only; S3 log delivery for the artifact bucket
//
// Outputs (no exports: the pipeline stack is in another region and receives
// the key ARN as its ArtifactKeyArn<Region> parameter, the bucket by name):
//
//	ArtifactBucketName    the bucket's name
//	ArtifactKeyArn        the key's ARN
//
// The stack has no parameters.

// buildArtifacts returns the template of the artifacts-<region> stack.
func buildArtifacts(sys *schema.System, region string) (*cloudformation.Template, map[string]Parameter) {
	t := cloudformation.NewTemplate()
	t.Description = fmt.Sprintf("cicdgen %s: artifact store of pipeline %s in %s",
		sys.Name, schema.NamesOf(sys).Pipeline(), region)
	// Only the pipeline role reaches support regions; CodeBuild runs at home.
	addArtifactStore(t, sys, region, []string{toolingPipelineRoleARN(sys)})
	addAccessLogBucket(t, sys, region, []string{schema.NamesOf(sys).ArtifactBucket(region)})
	return t, map[string]Parameter{}
}
