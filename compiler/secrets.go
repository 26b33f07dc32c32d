package compiler

// The secrets-<env> stack holds the Secrets Manager secret of the
// private-registry credentials the environment's tasks pull with.
//
//	Logical id       Type                          What it is
//	RegistrySecret   AWS::SecretsManager::Secret   Names.RegistrySecret(env) (docker-credentials-<env>-<suffix>)
//
// Outputs: RegistrySecretArn, exported as <stack name>:RegistrySecretArn;
// the ecs-<env> stack imports it when service.registry_credentials is true.
//
// No value is in the template. CloudFormation creates a secret without a
// value when neither SecretString nor GenerateSecretString is given (AWS
// documents this: "If you omit both GenerateSecretString and SecretString,
// you create an empty secret"). A generated value was rejected: it would
// look like credentials while being none, and ECS would then fail to pull
// with an authentication error far from its cause. The user puts
// {"username": "...", "password": "..."} into the secret once (the
// description says how); `cicdgen preflight` checks that it has a value.
// The secret always exists, so that turning registry_credentials on later
// needs no new stack; under protect: true it is retained.

import (
	"github.com/awslabs/goformation/v7/cloudformation"
	"github.com/awslabs/goformation/v7/cloudformation/secretsmanager"

	"github.com/cicdgen/cicdgen/schema"
)

// Logical ids and outputs of the secrets stack.
const (
	secretsRegistrySecret       = "RegistrySecret"
	secretsRegistrySecretOutput = "RegistrySecretArn"
)

func buildSecrets(sys *schema.System, env *schema.Environment) (*cloudformation.Template, map[string]Parameter) {
	c := newEnvCtx(sys, env)
	name := c.names.RegistrySecret(env.Name)
	t := cloudformation.NewTemplate()
	t.Description = "cicdgen " + sys.Name + ": private-registry credentials of environment " + env.Name

	deletion, replace := envRetention(env)
	t.Resources[secretsRegistrySecret] = &secretsmanager.Secret{
		Name: cloudformation.String(name),
		Description: cloudformation.String("Private container registry credentials that ECS pulls the " +
			sys.Service.Name + " image of " + env.Name + " with. Set the value to " +
			`{"username":"<user>","password":"<password or token>"}, e.g. aws secretsmanager put-secret-value --secret-id ` +
			name + ` --secret-string '{"username":"...","password":"..."}'. cicdgen never writes a value.`),
		AWSCloudFormationDeletionPolicy:      deletion,
		AWSCloudFormationUpdateReplacePolicy: replace,
	}
	t.Outputs[secretsRegistrySecretOutput] = cloudformation.Output{
		Value:       cloudformation.Ref(secretsRegistrySecret),
		Description: cloudformation.String("ARN of the registry credentials secret " + name),
		Export:      &cloudformation.Export{Name: envExportName(c.names, schema.KindSecrets(env.Name), secretsRegistrySecretOutput)},
	}
	return t, nil
}
