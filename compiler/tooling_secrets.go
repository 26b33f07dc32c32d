package compiler

import (
	"fmt"

	"github.com/awslabs/goformation/v7/cloudformation/secretsmanager"
	"github.com/cicdgen/cicdgen/compiler/cfn"

	"github.com/cicdgen/cicdgen/schema"
)

// The secrets stack (tooling account, home region; only with
// build.registry_credentials) holds the Docker Hub credentials the builds
// log in with.
//
//	Logical id               Type                          What it is
//	DockerCredentialsSecret  AWS::SecretsManager::Secret   Names.DockerCredentialsSecret, <name>-docker-credentials-<suffix>
//
// Outputs: DockerCredentialsSecretArn (not exported: the CodeBuild projects
// name the secret by its name in their SECRETS_MANAGER variables).
//
// No value is in the template: CloudFormation creates a secret without a
// value when neither SecretString nor GenerateSecretString is given. The
// user puts {"username": "...", "password": "..."} into it once (its
// description says how); CodeBuild hands the keys username and password to
// the build-image, build and test projects as DOCKER_USERNAME and
// DOCKER_PASSWORD, and `cicdgen preflight` checks that it has a value. The
// pipeline stack follows this one, so the secret exists before the first
// build reads it.

// Logical ids and outputs of the tooling secrets stack.
const (
	toolingDockerSecretID     = "DockerCredentialsSecret"
	toolingDockerSecretOutput = "DockerCredentialsSecretArn"
)

// buildToolingSecrets returns the template of the tooling secrets stack.
func buildToolingSecrets(sys *schema.System) (*cfn.Template, map[string]Parameter) {
	names := schema.NamesOf(sys)
	name := names.DockerCredentialsSecret()
	t := cfn.NewTemplate()
	t.Description = "cicdgen " + sys.Name + ": Docker Hub credentials of the builds of pipeline " + names.Pipeline()
	t.Resources[toolingDockerSecretID] = &secretsmanager.Secret{
		Name: cfn.String(name),
		Description: cfn.String(fmt.Sprintf("Docker Hub credentials the builds of %s log in with (DOCKER_USERNAME, DOCKER_PASSWORD). "+
			`Set the value once: aws secretsmanager put-secret-value --secret-id %s --secret-string '{"%s":"<user>","%s":"<access token>"}'. cicdgen never writes a value.`,
			names.Pipeline(), name, pipeDockerUsernameKey, pipeDockerPasswordKey)),
	}
	t.Outputs[toolingDockerSecretOutput] = cfn.Output{
		Value:       cfn.Ref(toolingDockerSecretID),
		Description: cfn.String("ARN of the Docker Hub credentials secret " + name),
	}
	return t, nil
}
