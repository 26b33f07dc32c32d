package compiler

import (
	"github.com/awslabs/goformation/v7/cloudformation"

	"github.com/cicdgen/cicdgen/schema"
)

// Stack is one CloudFormation stack of the system: where it goes, what it
// holds and what it needs first.
type Stack struct {
	Name        string // <name>-<kind>-<suffix>
	Kind        string // pipeline, monitoring, secrets, artifacts-<region>, roles-<env>, secrets-<env>, ecs-<env>
	Environment string // "" for tooling stacks
	Account     schema.Account
	Region      string
	// Template is the typed template the stack's builder produced, before overrides.
	Template *cloudformation.Template
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
}

// Parameter is the value of one stack parameter: a literal, or an output of a
// stack this one depends on (resolved by apply when that stack is done; used
// where a value crosses regions and so cannot be an Fn::ImportValue).
type Parameter struct {
	Value      string     `json:"value,omitempty"`
	FromOutput *OutputRef `json:"fromOutput,omitempty"`
}

// OutputRef names an output of another stack of the same system.
type OutputRef struct {
	Stack  string `json:"stack"`
	Output string `json:"output"`
}

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

// Builders, one per stack kind, each in its own file. A builder returns the
// typed template of its stack and the parameters apply passes to it; the
// orchestrator (compile.go) sets the stack's name, account, region, tags,
// dependencies and protection, applies DeletionPolicy, overrides and quotas.
//
//	pipeline.go    buildPipeline(sys)               tooling / home
//	artifacts.go   buildArtifacts(sys, region)      tooling / each support region
//	monitoring.go  buildMonitoring(sys)             tooling / home
//	tooling_secrets.go buildToolingSecrets(sys)     tooling / home (build.registry_credentials)
//	roles.go       buildRoles(sys, env)             env account / env region
//	secrets.go     buildSecrets(sys, env)           env account / env region
//	ecs.go         buildECS(sys, env)               env account / env region
type builder func() (*cloudformation.Template, map[string]Parameter, error)
