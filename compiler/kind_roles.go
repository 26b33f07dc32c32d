package compiler

import (
	"github.com/cicdgen/cicdgen/compiler/cfn"

	"github.com/cicdgen/cicdgen/schema"
)

// rolesStack is the roles-<env> stack (the environment's account and
// region); its builder is buildRoles (roles.go).
type rolesStack struct{ envStack }

func newRolesStack(sys *schema.System, env *schema.Environment) stackKind {
	return rolesStack{envStack{sys, env}}
}

func (s rolesStack) kind() string { return schema.KindRoles(s.env.Name) }

func (s rolesStack) template() (*cfn.Template, map[string]Parameter, error) {
	t, params := buildRoles(s.sys, s.env)
	return t, params, nil
}
