package compiler

import (
	"github.com/cicdgen/cicdgen/compiler/cfn"

	"github.com/cicdgen/cicdgen/schema"
)

// secretsStack is the secrets-<env> stack (the environment's account and
// region), which only an environment with managed secrets has; its builder
// is buildSecrets (secrets.go).
type secretsStack struct{ envStack }

func newSecretsStack(sys *schema.System, env *schema.Environment) stackKind {
	if !env.HasManagedSecrets() {
		return nil
	}
	return secretsStack{envStack{sys, env}}
}

func (s secretsStack) kind() string { return schema.KindSecrets(s.env.Name) }

// pipelineDeployed: the pipeline deploys the secrets stack (which exists
// only for managed secrets) before its environment's ecs stack.
func (s secretsStack) pipelineDeployed() bool { return true }

// dependsOn: the roles stack of its environment, whose version parameter
// the stack asserts.
func (s secretsStack) dependsOn() []string { return []string{schema.KindRoles(s.env.Name)} }

func (s secretsStack) template() (*cfn.Template, map[string]Parameter, error) {
	t, params := buildSecrets(s.sys, s.env)
	return t, params, nil
}
