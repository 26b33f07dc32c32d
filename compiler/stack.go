package compiler

import (
	"github.com/cicdgen/cicdgen/compiler/cfn"

	"github.com/cicdgen/cicdgen/manifest"
	"github.com/cicdgen/cicdgen/schema"
)

// Stack is one CloudFormation stack of the system: where it goes, what it
// holds and what it needs first.
type Stack struct {
	Name        string // <name>-<kind>-<suffix>
	Kind        string // pipeline, monitoring, artifacts-<region>, roles-<env>, secrets-<env>, ecs-<env>
	Environment string // "" for tooling stacks
	Account     schema.Account
	Region      string
	// Template is the typed template the stack's builder produced, before overrides.
	Template *cfn.Template
	// Body is the final template as canonical JSON (sorted keys, two-space
	// indentation, trailing newline), overrides applied. It is what is written
	// and deployed.
	Body []byte
	// Parameters are the values apply passes, by parameter name.
	Parameters map[string]Parameter
	// DependsOn names the stacks that must be deployed before this one, sorted.
	DependsOn []string
	Tags      map[string]string
	// TerminationProtection is set for protected environments.
	TerminationProtection bool
	// PipelineDeployed is set for the stacks the pipeline's deploy actions
	// update (the ecs stacks): build writes their template configuration.
	PipelineDeployed bool
	// TrafficResources are the logical ids of the stack's traffic-critical
	// resources, sorted: a change that modifies or replaces one resets the
	// live traffic of a blue/green service (see TrafficResources).
	TrafficResources []string
}

// Parameter is the value of one stack parameter, as manifest.json records it.
type Parameter = manifest.Parameter

// OutputRef names an output of another stack of the same system.
type OutputRef = manifest.OutputRef

// Assembly is the compiled system: every stack, in a stable order (tooling
// stacks first, then per environment in promotion order).
type Assembly struct {
	System *schema.System
	Stacks []*Stack
}

// Stack returns the stack called name, or nil.
func (a *Assembly) Stack(name string) *Stack {
	for _, s := range a.Stacks {
		if s.Name == name {
			return s
		}
	}
	return nil
}
