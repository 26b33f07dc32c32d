package compiler

import (
	"fmt"

	"github.com/cicdgen/cicdgen/compiler/cfn"

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
//	AppRepository         AWS::ECR::Repository  Names.AppRepo() in this region: the build pushes each
//	                                            image here too, the region's environments pull from it
//
// Outputs (no exports: the pipeline stack is in another region and receives
// the key ARN as its ArtifactKeyArn<Region> parameter, the bucket by name):
//
//	ArtifactBucketName    the bucket's name
//	ArtifactKeyArn        the key's ARN
//	AppRepositoryUri      the application repository's URI
//
// A push per region rather than ECR replication: replication is configured
// by AWS::ECR::ReplicationConfiguration, one per registry (account and
// region), which every system of the tooling account would own and
// overwrite in turn; a repository per region belongs to this system alone.
//
// The stack has no parameters.

// buildArtifacts returns the template of the artifacts-<region> stack.
func buildArtifacts(sys *schema.System, region string) (*cfn.Template, map[string]Parameter, error) {
	t := cfn.NewTemplate()
	t.Description = fmt.Sprintf("cicdgen %s: artifact store of pipeline %s in %s",
		sys.Name, schema.NamesOf(sys).Pipeline(), region)
	// Only the pipeline role reaches support regions; CodeBuild runs at home.
	addArtifactStore(t, sys, region, []string{toolingPipelineRoleARN(sys)})
	addAccessLogBucket(t, sys, region, []string{schema.NamesOf(sys).ArtifactBucket(region)})
	repo, err := toolingAppRepository(sys, region)
	if err != nil {
		return nil, nil, err
	}
	t.Resources[pipeAppRepoID] = repo
	t.Outputs[toolingOutputAppRepositoryURI] = cfn.Output{
		Description: cfn.String("URI of the application image repository in " + region),
		Value:       cfn.GetAtt(pipeAppRepoID, "RepositoryUri"),
	}
	return t, map[string]Parameter{}, nil
}
