package compiler

// The secrets-<env> stack holds the managed secrets of an environment: one
// Secrets Manager secret per service.secrets entry whose value is
// `managed`. The stack exists only when the environment has one; the ecs-<env>
// stack then follows it and the pipeline deploys it before ecs-<env>.
//
//	Logical id      Type                          What it is
//	Secret<ID>      AWS::SecretsManager::Secret   Names.ManagedSecret(env, KEY): <name>/<env>/<suffix>/<KEY>;
//	                                              <ID> is schema.SecretID(KEY) (DB_PASSWORD: SecretDBPASSWORD,
//	                                              api_key: SecretApiKey)
//
// Outputs: Secret<ID>Arn, exported as <stack name>:Secret<ID>Arn; the
// ecs-<env> stack imports it as the container secret's ValueFrom (a secret's
// ARN ends in six random characters, so it is passed, never computed), and
// its task execution role may read exactly these secrets.
//
// No value is in the template. CloudFormation creates a secret without a
// value when neither SecretString nor GenerateSecretString is given (AWS
// documents this: "If you omit both GenerateSecretString and SecretString,
// you create an empty secret"). A generated value was rejected: the
// application would start with a value nobody chose. The user puts the value
// in once (the description says how); `cicdgen preflight` checks that each
// has one. The secrets are encrypted with the account's AWS managed key
// (aws/secretsmanager), which principals of the account use through Secrets
// Manager without a key policy of their own. Under protect: true they are
// retained (RetainExceptOnCreate, UpdateReplacePolicy Retain).
//
// Like ecs-<env>, the stack asserts the roles' version (parameter
// RolesVersion, rule CheckRolesVersion; see the roles stack), and so
// follows roles-<env>.

import (
	"github.com/awslabs/goformation/v7/cloudformation/secretsmanager"
	"github.com/cicdgen/cicdgen/compiler/cfn"

	"github.com/cicdgen/cicdgen/schema"
)

// secretsResource is the logical id of the managed secret of variable key.
func secretsResource(key string) string { return "Secret" + schema.SecretID(key) }

// secretsOutput is the output (and export suffix) holding the ARN of the
// managed secret of variable key.
func secretsOutput(key string) string { return secretsResource(key) + "Arn" }

func buildSecrets(sys *schema.System, env *schema.Environment) (*cfn.Template, map[string]Parameter) {
	c := newEnvCtx(sys, env)
	t := cfn.NewTemplate()
	t.Description = "cicdgen " + sys.Name + ": managed secrets of service " + sys.Service.Name + " in environment " + env.Name

	deletion, replace := envRetention(env)
	for _, key := range env.Service.ManagedSecrets() {
		name := c.names.ManagedSecret(env.Name, key)
		t.Resources[secretsResource(key)] = &secretsmanager.Secret{
			Name: cfn.String(name),
			Description: cfn.String("Environment variable " + key + " of " + c.names.ECSService(env.Name) +
				". Set the value once, e.g. aws secretsmanager put-secret-value --secret-id " + name +
				" --secret-string '...'; cicdgen never writes a value."),
			AWSCloudFormationDeletionPolicy:      deletion,
			AWSCloudFormationUpdateReplacePolicy: replace,
		}
		t.Outputs[secretsOutput(key)] = cfn.Output{
			Value:       cfn.Ref(secretsResource(key)),
			Description: cfn.String("ARN of the secret " + name),
			Export:      &cfn.Export{Name: envExportName(c.names, schema.KindSecrets(env.Name), secretsOutput(key))},
		}
	}
	return t, nil
}
