package compiler

import (
	"github.com/cicdgen/cicdgen/compiler/cfn"

	"github.com/cicdgen/cicdgen/schema"
)

// ecsStack is the ecs-<env> stack (the environment's account and region):
// the service the pipeline deploys; its builder is buildECS (ecs.go).
type ecsStack struct{ envStack }

func newECSStack(sys *schema.System, env *schema.Environment) stackKind {
	return ecsStack{envStack{sys, env}}
}

func (s ecsStack) kind() string { return schema.KindECS(s.env.Name) }

// dependsOn: the roles stack of its environment, whose version parameter
// the stack asserts (CloudFormation resolves it before anything changes)
// and whose execution role CloudFormation uses for the stack, so it must be
// created before and deleted after it; and the secrets stack of its
// environment when it has one, whose managed secrets' ARNs it imports. Not
// the pipeline stack: the pipeline follows the ecs stacks (see
// pipelineStack.dependsOn); the ecs stack names the repository it pulls
// from by its ARN and runs no image until the pipeline deploys one.
func (s ecsStack) dependsOn() []string {
	if s.env.HasManagedSecrets() {
		return []string{schema.KindRoles(s.env.Name), schema.KindSecrets(s.env.Name)}
	}
	return []string{schema.KindRoles(s.env.Name)}
}

// trafficResources: the listener rules and target groups of a blue/green
// service (TrafficResources).
func (s ecsStack) trafficResources() []string { return TrafficResources(s.env) }

// pipelineDeployed: the pipeline's deploy actions update the ecs stacks.
func (s ecsStack) pipelineDeployed() bool { return true }

func (s ecsStack) template() (*cfn.Template, map[string]Parameter, error) {
	t, params := buildECS(s.sys, s.env)
	return t, params, nil
}
