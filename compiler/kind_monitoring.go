package compiler

import (
	"github.com/cicdgen/cicdgen/compiler/cfn"

	"github.com/cicdgen/cicdgen/schema"
)

// monitoringStack is the monitoring stack (tooling account, home region);
// its builder is buildMonitoring (monitoring.go).
type monitoringStack struct{ toolingStack }

// monitoringStacks returns the one monitoring stack of sys.
func monitoringStacks(sys *schema.System) []stackKind {
	return []stackKind{monitoringStack{toolingStack{sys}}}
}

func (s monitoringStack) kind() string { return schema.KindMonitoring }

// dependsOn: the pipeline stack, whose failures topic it alerts.
func (s monitoringStack) dependsOn() []string { return []string{schema.KindPipeline} }

func (s monitoringStack) template() (*cfn.Template, map[string]Parameter, error) {
	return buildMonitoring(s.sys)
}
