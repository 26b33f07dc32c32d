package compiler

import (
	"github.com/awslabs/goformation/v7/cloudformation"

	"github.com/cicdgen/cicdgen/schema"
)

// pipelineStack is the pipeline stack (tooling account, home region); its
// builder is buildPipeline (pipeline.go).
type pipelineStack struct{ toolingStack }

// pipelineStacks returns the one pipeline stack of sys.
func pipelineStacks(sys *schema.System) []stackKind {
	return []stackKind{pipelineStack{toolingStack{sys}}}
}

func (s pipelineStack) kind() string { return schema.KindPipeline }

// dependsOn: every artifacts-<region> stack (its artifact stores and the
// ArtifactKeyArn<Region> parameters) and every roles-<env> stack (the deploy
// and execution roles its actions assume must exist before it runs).
func (s pipelineStack) dependsOn() []string {
	var kinds []string
	for _, r := range schema.NamesOf(s.sys).SupportRegions() {
		kinds = append(kinds, schema.KindArtifacts(r))
	}
	for _, e := range s.sys.Environments {
		kinds = append(kinds, schema.KindRoles(e.Name))
	}
	return kinds
}

func (s pipelineStack) template() (*cloudformation.Template, map[string]Parameter, error) {
	return buildPipeline(s.sys)
}
