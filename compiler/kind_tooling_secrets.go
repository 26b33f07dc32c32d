package compiler

import (
	"github.com/cicdgen/cicdgen/compiler/cfn"

	"github.com/cicdgen/cicdgen/schema"
)

// toolingSecretsStack is the secrets stack of the tooling account (home
// region), present with build.registry_credentials; its builder is
// buildToolingSecrets (tooling_secrets.go).
type toolingSecretsStack struct{ toolingStack }

// toolingSecretsStacks returns the tooling secrets stack of sys, if it has one.
func toolingSecretsStacks(sys *schema.System) []stackKind {
	if !sys.Build.RegistryCredentials {
		return nil
	}
	return []stackKind{toolingSecretsStack{toolingStack{sys}}}
}

func (s toolingSecretsStack) kind() string { return schema.KindToolingSecrets }

func (s toolingSecretsStack) template() (*cfn.Template, map[string]Parameter, error) {
	t, params := buildToolingSecrets(s.sys)
	return t, params, nil
}
