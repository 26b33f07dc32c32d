package schema

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
// then one CloudFormation deploy action per environment, all in parallel
// (runOrder 2).
type DeployStage struct {
	// Name is the wave label, or the environment's name for an environment
	// without a wave. Names are unique when Check reports no stage-name error.
	Name string
	// Wave is the wave label; "" for an environment without a wave.
	Wave string
	// Environments are indexes into System.Environments, in order.
	Environments []int
	// Approval is true when the stage starts with a manual approval.
	Approval bool
}

// Actions returns the number of actions of the stage: the approval, if
// any, and one deploy per environment.
func (s DeployStage) Actions() int {
	n := len(s.Environments)
	if s.Approval {
		n++
	}
	return n
}

// DeployStages returns the deploy stages of sys, in pipeline order.
func DeployStages(sys *System) []DeployStage {
	var out []DeployStage
	for i, e := range sys.Environments {
		if e.Wave != "" && len(out) > 0 && out[len(out)-1].Wave == e.Wave {
			last := &out[len(out)-1]
			last.Environments = append(last.Environments, i)
			last.Approval = last.Approval || e.Approval
			continue
		}
		name := e.Name
		if e.Wave != "" {
			name = e.Wave
		}
		out = append(out, DeployStage{Name: name, Wave: e.Wave, Environments: []int{i}, Approval: e.Approval})
	}
	return out
}

// FixedStages returns the stages before the deploy stages: Source, Build and,
// when the system has a test, Test.
func FixedStages(sys *System) []string {
	if sys.Test != nil {
		return []string{"Source", "Build", "Test"}
	}
	return []string{"Source", "Build"}
}

// checkPipeline checks wave order, stage names and CodePipeline's quotas.
func (c *semantic) checkPipeline() {
	envs := c.sys.Environments
	lastOf := map[string]int{} // wave -> index of its latest environment
	for i, e := range envs {
		if e.Wave == "" {
			continue
		}
		if j, ok := lastOf[e.Wave]; ok && j != i-1 {
			d := c.errorAt("wave-order", PathKey(environmentPath(i), "wave"), "wave %q is split: environment %q is not next to %q, the wave's previous environment; move the environments of a wave next to each other", e.Wave, e.Name, envs[j].Name)
			noteFix(d, "Environments deploy in the order of environments, and a wave is one pipeline stage of consecutive environments.")
		}
		lastOf[e.Wave] = i
	}

	stages := DeployStages(c.sys)
	fixed := FixedStages(c.sys)
	owner := map[string]int{} // stage name -> index of its first environment
	for _, f := range fixed {
		owner[f] = -1
	}
	for _, st := range stages {
		first := st.Environments[0]
		j, ok := owner[st.Name]
		switch {
		case ok && j < 0:
			c.errorAt("stage-name", PathKey(environmentPath(first), "wave"), "wave %q has the name of the pipeline's %s stage; rename the wave", st.Wave, st.Name)
		case ok && envs[j].Wave != st.Wave:
			// One stage is a wave, the other an environment without a wave.
			wave, env := first, j
			if st.Wave == "" {
				wave, env = j, first
			}
			c.errorAt("stage-name", PathKey(environmentPath(wave), "wave"), "wave %q has the name of environment %q, which deploys in a stage of its own; pipeline stages need unique names: rename the wave", envs[wave].Wave, envs[env].Name)
		case !ok:
			owner[st.Name] = first
		}
	}

	if total := len(fixed) + len(stages); total > MaxPipelineStages {
		st := stages[MaxPipelineStages-len(fixed)]
		i := st.Environments[0]
		d := c.errorAt("pipeline-limits", PathKey(environmentPath(i), "name"), "the pipeline would have %d stages (%d before the deploys, one per environment or wave); CodePipeline allows %d: give consecutive environments a common wave so they deploy in one stage", total, len(fixed), MaxPipelineStages)
		noteFix(d, "Environment %q starts stage %d. A wave deploys its environments in parallel, with one approval.", envs[i].Name, MaxPipelineStages+1)
	}
	for _, st := range stages {
		if st.Actions() <= MaxActionsPerStage {
			continue
		}
		// The environment whose deploy is action 51.
		k := MaxActionsPerStage
		if st.Approval {
			k--
		}
		i := st.Environments[k]
		approval := ""
		if st.Approval {
			approval = "an approval and "
		}
		d := c.errorAt("pipeline-limits", PathKey(environmentPath(i), "wave"), "wave %q has %d actions (%s%d deploys); CodePipeline allows %d per stage: split the wave, e.g. start a new wave at environment %q", st.Wave, st.Actions(), approval, len(st.Environments), MaxActionsPerStage, envs[i].Name)
		noteFix(d, "Each wave is one stage; the deploys of one stage run in parallel.")
	}
}
