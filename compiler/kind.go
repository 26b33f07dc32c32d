package compiler

import (
	"github.com/cicdgen/cicdgen/compiler/cfn"

	"github.com/cicdgen/cicdgen/schema"
)

// A stackKind is one stack of a system, of one kind: one type per kind, in
// its own file kind_<kind>.go, wrapping that kind's builder. Compile runs
// the same steps for every stack (tags, DeletionPolicy, overrides, quotas);
// only what a stackKind says differs between kinds.
type stackKind interface {
	// kind returns the stack's kind (pipeline, ecs-dev, ...): the middle of
	// its name, its kind in manifest.json, and its key under system.yaml's
	// overrides.
	kind() string
	// environment returns the environment the stack belongs to, in that
	// environment's account; nil for the stacks of the tooling account.
	environment() *schema.Environment
	// region returns the region the stack is deployed in.
	region() string
	// dependsOn returns the kinds of the stacks that must be deployed
	// before this one.
	dependsOn() []string
	// template returns the stack's typed template and the parameters apply
	// passes to it.
	template() (*cfn.Template, map[string]Parameter, error)
}

// pipelineDeployed is implemented by the kinds whose stacks the pipeline's
// deploy actions update after apply created them: build writes their
// template configuration (Stack.PipelineDeployed).
type pipelineDeployed interface {
	pipelineDeployed() bool
}

// trafficCritical is implemented by the kinds whose stacks hold resources
// that live traffic depends on (the ecs stacks): a change set that modifies
// or replaces one of them resets the traffic of a running service
// (Stack.TrafficResources).
type trafficCritical interface {
	trafficResources() []string
}

// toolingKinds returns, in compile order, the constructors of the kinds of
// the tooling account's stacks: each returns the stacks of its kind that
// sys has (pipeline and monitoring one, artifacts one per support region).
// A new tooling kind is registered here.
func toolingKinds() []func(sys *schema.System) []stackKind {
	return []func(sys *schema.System) []stackKind{
		pipelineStacks,
		monitoringStacks,
		toolingSecretsStacks,
		artifactsStacks,
	}
}

// environmentKinds returns, in compile order, the constructors of the kinds
// of an environment's stacks; a constructor returns nil when the
// environment has no stack of its kind. A new environment kind is
// registered here.
func environmentKinds() []func(sys *schema.System, env *schema.Environment) stackKind {
	return []func(sys *schema.System, env *schema.Environment) stackKind{
		newRolesStack,
		newSecretsStack,
		newECSStack,
	}
}

// stacksOf returns the stacks sys compiles to, in Compile's order: the
// tooling kinds', then, environment by environment in promotion order, the
// environment kinds'.
func stacksOf(sys *schema.System) []stackKind {
	var out []stackKind
	for _, stacks := range toolingKinds() {
		out = append(out, stacks(sys)...)
	}
	for i := range sys.Environments {
		for _, newStack := range environmentKinds() {
			if k := newStack(sys, &sys.Environments[i]); k != nil {
				out = append(out, k)
			}
		}
	}
	return out
}

// toolingStack is what the stacks of the tooling account share: they
// belong to no environment and, unless they say otherwise, are deployed in
// the home region and follow no other stack.
type toolingStack struct{ sys *schema.System }

func (s toolingStack) environment() *schema.Environment { return nil }
func (s toolingStack) region() string                   { return s.sys.Region }
func (s toolingStack) dependsOn() []string              { return nil }

// envStack is what the stacks of an environment share: they are deployed
// in its account and region and, unless they say otherwise, follow no
// other stack.
type envStack struct {
	sys *schema.System
	env *schema.Environment
}

func (s envStack) environment() *schema.Environment { return s.env }
func (s envStack) region() string                   { return s.env.Region }
func (s envStack) dependsOn() []string              { return nil }
