package compiler

import (
	"github.com/cicdgen/cicdgen/compiler/cfn"

	"github.com/cicdgen/cicdgen/schema"
)

// artifactsStack is the artifacts-<region> stack of a support region
// (tooling account, that region); its builder is buildArtifacts
// (artifacts.go).
type artifactsStack struct {
	toolingStack
	supportRegion string
}

// artifactsStacks returns an artifacts stack per support region of sys
// (the regions of environments other than home), sorted.
func artifactsStacks(sys *schema.System) []stackKind {
	var out []stackKind
	for _, r := range schema.NamesOf(sys).SupportRegions() {
		out = append(out, artifactsStack{toolingStack{sys}, r})
	}
	return out
}

func (s artifactsStack) kind() string   { return schema.KindArtifacts(s.supportRegion) }
func (s artifactsStack) region() string { return s.supportRegion }

func (s artifactsStack) template() (*cfn.Template, map[string]Parameter, error) {
	return buildArtifacts(s.sys, s.supportRegion)
}
