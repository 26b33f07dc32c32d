package schema

import (
	"fmt"

	"github.com/cicdgen/cicdgen/diag"
)

// CodePipeline quotas checked by the pipeline-limits rule.
const (
	MaxPipelineStages  = 50
	MaxActionsPerStage = 50
)

// DeployStage is one deploy stage of the pipeline, after Source, Build and
// (when test is given) Test. The pipeline deploys environments in their
// order; consecutive environments with the same wave share one stage, every
// other environment has a stage of its own. A stage runs a manual approval
// action first (runOrder 1) when any of its environments asks for approval,
// then one CloudFormation action per environment whose secrets-<env> stack
// the pipeline deploys (Environment.HasManagedSecrets), all in parallel, then one
// CloudFormation deploy action of the ecs stack per environment, all in
// parallel.
type DeployStage struct {
	// Name is the stage's name in the pipeline: Deploy-<label>, with the
	// characters CodePipeline refuses replaced by "-", and -2, -3, ...
	// appended to a name an earlier stage already has.
	Name string
	// Label is the wave label, or the environment's name for an environment
	// without a wave.
	Label string
	// Wave is the wave label; "" for an environment without a wave.
	Wave string
	// Environments are indexes into System.Environments, in order.
	Environments []int
	// Approval is true when the stage starts with a manual approval.
	Approval bool
}

// stageNameBad matches the characters CodePipeline does not allow in a stage name.
var stageNameBad = lazyRegexp(`[^A-Za-z0-9.@_-]`)

// maxStageNameBase leaves room for a -N suffix within CodePipeline's 100
// characters of a stage name.
const maxStageNameBase = 90

// Actions returns the number of actions of sys's stage s: the approval, if
// any, and per environment the deploy of its secrets stack (when it has
// one) and of its ecs stack.
func (s DeployStage) Actions(sys *System) int {
	n := 0
	if s.Approval {
		n++
	}
	for _, i := range s.Environments {
		n += envActions(sys, i)
	}
	return n
}

// envActions returns the number of deploy actions of environment i.
func envActions(sys *System, i int) int {
	if sys.Environments[i].HasManagedSecrets() {
		return 2
	}
	return 1
}

// DeployStages returns the deploy stages of sys, in pipeline order, with
// their final, unique names.
func DeployStages(sys *System) []DeployStage {
	var out []DeployStage
	for i, e := range sys.Environments {
		if e.Wave != "" && len(out) > 0 && out[len(out)-1].Wave == e.Wave {
			last := &out[len(out)-1]
			last.Environments = append(last.Environments, i)
			last.Approval = last.Approval || e.Approval
			continue
		}
		label := e.Name
		if e.Wave != "" {
			label = e.Wave
		}
		out = append(out, DeployStage{Label: label, Wave: e.Wave, Environments: []int{i}, Approval: e.Approval})
	}
	used := map[string]bool{}
	for _, f := range FixedStages(sys) {
		used[f] = true
	}
	for i := range out {
		base := "Deploy-" + stageNameBad().ReplaceAllString(out[i].Label, "-")
		if len(base) > maxStageNameBase {
			base = base[:maxStageNameBase]
		}
		name := base
		for n := 2; used[name]; n++ {
			name = fmt.Sprintf("%s-%d", base, n)
		}
		used[name] = true
		out[i].Name = name
	}
	return out
}

// FixedStages returns the stages before the deploy stages, in the
// pipeline's order: Source, BuildImage (build.image: ecr), Build, Test (with
// a test) and UpdatePipeline.
func FixedStages(sys *System) []string {
	stages := []string{"Source"}
	if sys.Build.Image == BuildImageECR {
		stages = append(stages, "BuildImage")
	}
	stages = append(stages, "Build")
	if sys.Test != nil {
		stages = append(stages, "Test")
	}
	return append(stages, "UpdatePipeline")
}

// checkPipeline checks wave order and CodePipeline's quotas. Stage names
// need no check: DeployStages makes them unique.
func (c *semantic) checkPipeline() {
	envs := c.sys.Environments
	lastOf := map[string]int{} // wave -> index of its latest environment
	for i, e := range envs {
		if e.Wave == "" {
			continue
		}
		if j, ok := lastOf[e.Wave]; ok && j != i-1 {
			d := c.errorAt(diag.RuleWaveOrder, PathKey(environmentPath(i), "wave"), "wave %q is split: environment %q is not next to %q, the wave's previous environment; move the environments of a wave next to each other", e.Wave, e.Name, envs[j].Name)
			noteFix(d, "Environments deploy in the order of environments, and a wave is one pipeline stage of consecutive environments.")
		}
		lastOf[e.Wave] = i
	}

	stages := DeployStages(c.sys)
	fixed := FixedStages(c.sys)
	if total := len(fixed) + len(stages); total > MaxPipelineStages {
		st := stages[MaxPipelineStages-len(fixed)]
		i := st.Environments[0]
		d := c.errorAt(diag.RulePipelineLimits, PathKey(environmentPath(i), "name"), "the pipeline would have %d stages (%d before the deploys, one per environment or wave); CodePipeline allows %d: give consecutive environments a common wave so they deploy in one stage", total, len(fixed), MaxPipelineStages)
		noteFix(d, "Environment %q starts stage %d. A wave deploys its environments in parallel, with one approval.", envs[i].Name, MaxPipelineStages+1)
	}
	for _, st := range stages {
		actions := st.Actions(c.sys)
		if actions <= MaxActionsPerStage {
			continue
		}
		// The first environment whose actions do not fit.
		n, deploys := 0, actions
		approval := ""
		if st.Approval {
			n, deploys, approval = 1, actions-1, "an approval and "
		}
		i := st.Environments[0]
		for _, e := range st.Environments {
			if n += envActions(c.sys, e); n > MaxActionsPerStage {
				i = e
				break
			}
		}
		d := c.errorAt(diag.RulePipelineLimits, PathKey(environmentPath(i), "wave"), "wave %q has %d actions (%s%d deploys); CodePipeline allows %d per stage: split the wave, e.g. start a new wave at environment %q", st.Wave, actions, approval, deploys, MaxActionsPerStage, envs[i].Name)
		noteFix(d, "Each wave is one stage; the deploys of one stage run in parallel.")
	}
}

// checkBuildImage warns about build.dockerfile given with a build image
// other than ecr: only the BuildImage stage, which exists with image: ecr,
// reads it.
func (c *semantic) checkBuildImage() {
	const p = "$.build.dockerfile"
	if c.sys.Build.Image == BuildImageECR || !c.doc.Has(p) {
		return
	}
	d := c.warnAtKey(diag.RuleIgnoredKey, p, "build.dockerfile is ignored: the pipeline builds its build image from it only with build.image: ecr, and build.image is %q", c.sys.Build.Image)
	noteFix(d, "Remove build.dockerfile, or set build.image: ecr to have the pipeline build the image from it.")
}
