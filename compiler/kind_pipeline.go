package compiler

import (
	"github.com/cicdgen/cicdgen/compiler/cfn"

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

// dependsOn: every stack of the system but itself and monitoring (which
// follows it): the artifacts-<region> stacks (its artifact stores and the
// ArtifactKeyArn<Region> parameters), the tooling secrets stack (the builds
// read the docker credentials), and every environment's roles, secrets and
// ecs stacks. CodePipeline starts an execution as soon as the pipeline is
// created; created last, the pipeline's first execution finds every stack
// its deploy actions update, and the roles they assume, in place.
func (s pipelineStack) dependsOn() []string {
	var kinds []string
	for _, k := range stacksOf(s.sys) {
		if kind := k.kind(); kind != schema.KindPipeline && kind != schema.KindMonitoring {
			kinds = append(kinds, kind)
		}
	}
	return kinds
}

func (s pipelineStack) template() (*cfn.Template, map[string]Parameter, error) {
	return buildPipeline(s.sys)
}
