package compiler

import (
	"github.com/awslabs/goformation/v7/cloudformation"

	"github.com/cicdgen/cicdgen/schema"
)

// secretsStack is the secrets-<env> stack (the environment's account and
// region); its builder is buildSecrets (secrets.go).
type secretsStack struct{ envStack }

func newSecretsStack(sys *schema.System, env *schema.Environment) stackKind {
	return secretsStack{envStack{sys, env}}
}

func (s secretsStack) kind() string { return schema.KindSecrets(s.env.Name) }

// pipelineDeployed: the pipeline deploys the secrets stack of an
// environment with managed secrets, before its ecs stack.
func (s secretsStack) pipelineDeployed() bool { return schema.PipelineDeploysSecrets(s.env) }

func (s secretsStack) template() (*cloudformation.Template, map[string]Parameter, error) {
	t, params := buildSecrets(s.sys, s.env)
	return t, params, nil
}
