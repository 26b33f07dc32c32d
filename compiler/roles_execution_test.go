package compiler

import (
	"slices"
	"strings"
	"testing"
)

// TestRolesExecutionGrantsTable checks the rows of the execution role's
// table: unique statement ids, actions sorted without repeats or wildcards,
// and Resource "*" only where the actions support no resource-level
// permissions.
func TestRolesExecutionGrantsTable(t *testing.T) {
	anywhere := []string{"DescribeWithoutResourceLevelPermissions", "CreateWithoutResourceLevelPermissions"}
	sids := map[string]bool{}
	for _, g := range rolesExecutionGrants {
		if sids[g.sid] {
			t.Errorf("statement id %s is used twice", g.sid)
		}
		sids[g.sid] = true
		if len(g.actions) == 0 {
			t.Errorf("%s allows no action", g.sid)
		}
		if !slices.IsSorted(g.actions) || len(slices.Compact(slices.Clone(g.actions))) != len(g.actions) {
			t.Errorf("%s: actions are not sorted and unique: %v", g.sid, g.actions)
		}
		for _, a := range g.actions {
			if strings.ContainsAny(a, "*?") || !strings.Contains(a, ":") {
				t.Errorf("%s: action %q is a wildcard or has no service", g.sid, a)
			}
		}
		if got, want := g.scope == scopeAnything, slices.Contains(anywhere, g.sid); got != want {
			t.Errorf("%s: Resource \"*\" is %v, want %v", g.sid, got, want)
		}
	}
}

// TestRolesExecutionScopes checks that every scope but scopeAnything names
// ARNs, never "*" alone, and that the scopes of the stack's own resources
// stay in the environment.
func TestRolesExecutionScopes(t *testing.T) {
	// An environment name other than the suffix (dev), so that the check
	// of the name below cannot pass on the suffix.
	sys := envSystem(t, envCase{envs: "  - name: qa\n    account: dev\n"})
	c := newEnvCtx(sys, &sys.Environments[0])
	for scope := scopeRegionNetwork; scope < scopeAnything; scope++ {
		arns := c.resources(scope)
		if len(arns) == 0 {
			t.Errorf("scope %d has no resources", scope)
		}
		for _, a := range arns {
			s, ok := a.(string)
			if !ok || !strings.HasPrefix(s, "arn:aws:") {
				t.Errorf("scope %d: %v is not an ARN", scope, a)
			}
		}
	}
	// The scopes of the stack's own resources are in the environment's
	// account and carry the environment's name.
	own := []execScope{scopeLoadBalancer, scopeService, scopeLogGroups, scopeStackRoles,
		scopeInfrastructureRole, scopeECSRoles, scopeFlowLogsRole, scopeManagedSecrets, scopeRolesVersion}
	for _, scope := range own {
		for _, a := range c.resources(scope) {
			if s := a.(string); !strings.Contains(s, ":"+c.account+":") || !(strings.Contains(s, "-qa") || strings.Contains(s, "/qa")) {
				t.Errorf("scope %d: %s is not a resource of environment qa in account %s", scope, s, c.account)
			}
		}
	}
	if got := c.resources(scopeAnything); len(got) != 1 || got[0] != "*" {
		t.Errorf("scopeAnything is %v", got)
	}
}
