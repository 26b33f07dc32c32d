package compiler

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/awslabs/goformation/v7/cloudformation/codepipeline"
	"github.com/cicdgen/cicdgen/compiler/cfn"

	"github.com/cicdgen/cicdgen/manifest"
	"github.com/cicdgen/cicdgen/schema"
)

// The pipeline itself: its role and its stages, one builder per stage:
//
//	Source          the repository through the connection
//	BuildImage      build.image: ecr only; the build-image project
//	Build           the build project: image, imageDetail.json, cicdgen-out/
//	Test            test: only; the test project
//	UpdatePipeline  the update-pipeline project: the tooling stacks
//	Deploy-<env|wave> per environment or wave: an optional approval, then per
//	                environment secrets-<env> (when it has one) and ecs-<env>
//
// UpdatePipeline comes before the first deploy, so that every deploy runs on
// the pipeline, monitoring and artifact stores of this very build.

// pipeStage is one deploy stage: one environment, or a wave of consecutive
// environments with the same wave label.
type pipeStage struct {
	Name     string // Deploy-<env> or Deploy-<wave>
	Label    string // the environment's or the wave's name
	Envs     []*schema.Environment
	Approval bool // some environment of the stage asks for approval
}

// pipeDeployStages returns the deploy stages of schema.DeployStages, the
// one place that groups environments into stages and names them, with the
// environments themselves.
func pipeDeployStages(sys *schema.System) []pipeStage {
	var stages []pipeStage
	for _, st := range schema.DeployStages(sys) {
		envs := make([]*schema.Environment, len(st.Environments))
		for k, i := range st.Environments {
			envs[k] = &sys.Environments[i]
		}
		stages = append(stages, pipeStage{Name: st.Name, Label: st.Label, Envs: envs, Approval: st.Approval})
	}
	return stages
}

// pipeParameterOverrides is the ParameterOverrides of the deploy action of
// an environment in region: the ecs stack's ImageUri, the image the build
// pushed to that region's application repository (from the build's
// imageDetail.json: ImageURI, or ImageURI_<region> for a support region).
func pipeParameterOverrides(sys *schema.System, region string) (string, error) {
	b, err := json.Marshal(map[string]any{
		manifest.ImageURIParameter: map[string]any{"Fn::GetParam": []string{pipeBuildArtifact, pipeImageDetail, pipeRegionImageKey(sys, region)}},
	})
	if err != nil {
		return "", fmt.Errorf("encode the deploy action's parameter overrides: %w", err)
	}
	return string(b), nil
}

// pipeConnectionARNs returns the connection ARN under both of its service
// prefixes (codestar-connections and codeconnections), sorted: CodePipeline
// authorizes UseConnection under the prefix the connection was created with,
// and AWS now answers under either.
func pipeConnectionARNs(arn string) []string {
	parts := strings.SplitN(arn, ":", 4)
	if len(parts) < 4 || (parts[2] != "codestar-connections" && parts[2] != "codeconnections") {
		return []string{arn}
	}
	out := []string{
		strings.Join([]string{parts[0], parts[1], "codestar-connections", parts[3]}, ":"),
		strings.Join([]string{parts[0], parts[1], "codeconnections", parts[3]}, ":"),
	}
	sort.Strings(out)
	return out
}

// pipeRolePolicy returns the pipeline role's policy: exactly what the
// pipeline uses.
func pipeRolePolicy(sys *schema.System) *PolicyDocument {
	names := schema.NamesOf(sys)
	regions := append([]string{sys.Region}, names.SupportRegions()...)
	var objects, buckets []any
	keys := []any{cfn.GetAtt(toolingArtifactKeyID, "Arn")}
	for _, r := range regions {
		arn := toolingBucketARN(names.ArtifactBucket(r))
		buckets = append(buckets, arn)
		objects = append(objects, arn+"/*")
		if r != sys.Region {
			keys = append(keys, cfn.Ref(toolingRegionParam(r)))
		}
	}
	var projects []any
	for _, p := range pipeProjectNames(sys) {
		projects = append(projects, pipeProjectARN(sys, p))
	}
	var connections []any
	for _, c := range pipeConnectionARNs(sys.Source.Connection) {
		connections = append(connections, c)
	}
	doc := Policy(
		Allow("ArtifactObjects", []string{"s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:PutObjectAcl"}, objects...),
		Allow("ArtifactBuckets", []string{"s3:GetBucketAcl", "s3:GetBucketLocation", "s3:GetBucketVersioning"}, buckets...),
		Allow("ArtifactKeys", toolingKeyUseActions, keys...),
		Allow("Builds", []string{"codebuild:BatchGetBuilds", "codebuild:StartBuild"}, projects...),
		Allow("SourceConnection", []string{"codeconnections:UseConnection", "codestar-connections:UseConnection"}, connections...),
		Allow("ApprovalNotifications", []string{"sns:Publish"}, cfn.Ref(pipeApprovalsTopicID)),
		Allow("NotificationsKey", []string{"kms:Decrypt", "kms:GenerateDataKey"}, cfn.GetAtt(pipeNotificationsKeyID, "Arn")),
	)
	assume := Statement{Sid: "AssumeDeployRoles", Effect: "Allow", Action: []string{"sts:AssumeRole"}}
	if sys.Organization != "" {
		// The name pattern is specific to this system; each deploy role's
		// trust policy (roles-<env>) admits only this pipeline role. No
		// aws:ResourceOrgID condition: STS does not document it for
		// AssumeRole, and an absent key would deny every deployment.
		assume.Resource = schema.RoleARN("*", names.DeployRole("*"))
	} else {
		var arns []string
		for _, env := range toolingAllEnvs(sys) {
			arns = append(arns, schema.RoleARN(sys.AccountOf(env).ID, names.DeployRole(env.Name)))
		}
		arns = toolingSortedUnique(arns)
		res := make([]any, len(arns))
		for i, a := range arns {
			res[i] = a
		}
		assume.Resource = resourceList(res)
	}
	doc.Statement = append(doc.Statement, assume)
	return doc
}

// pipeActionType returns the action type category/AWS/provider, version 1.
func pipeActionType(category, provider string) *codepipeline.Pipeline_ActionTypeId {
	return &codepipeline.Pipeline_ActionTypeId{Category: category, Owner: "AWS", Provider: provider, Version: "1"}
}

// pipeStageBuilder builds the stages of one part of the pipeline.
type pipeStageBuilder func(sys *schema.System) ([]codepipeline.Pipeline_StageDeclaration, error)

// pipeStageBuilders returns the stage builders, in the pipeline's order.
func pipeStageBuilders() []pipeStageBuilder {
	return []pipeStageBuilder{
		pipeSourceStage,
		pipeBuildImageStage,
		pipeBuildStage,
		pipeTestStage,
		pipeUpdateStage,
		pipeDeployStagesOf,
	}
}

// pipeStage1 returns a stage of one action, of run order 1.
func pipeStage1(name string, a codepipeline.Pipeline_ActionDeclaration) []codepipeline.Pipeline_StageDeclaration {
	a.RunOrder = cfn.Int(1)
	return []codepipeline.Pipeline_StageDeclaration{{Name: name, Actions: []codepipeline.Pipeline_ActionDeclaration{a}}}
}

// pipeSourceStage is the Source stage: the branch of the repository,
// through the connection.
func pipeSourceStage(sys *schema.System) ([]codepipeline.Pipeline_StageDeclaration, error) {
	detect := "false"
	if sys.Source.DetectChanges {
		detect = "true"
	}
	return pipeStage1("Source", codepipeline.Pipeline_ActionDeclaration{
		Name:         "Source",
		ActionTypeId: pipeActionType("Source", "CodeStarSourceConnection"),
		Configuration: map[string]any{
			"ConnectionArn":        sys.Source.Connection,
			"FullRepositoryId":     sys.Source.Repository,
			"BranchName":           sys.Source.Branch,
			"DetectChanges":        detect,
			"OutputArtifactFormat": "CODE_ZIP",
		},
		OutputArtifacts: []codepipeline.Pipeline_OutputArtifact{{Name: pipeSourceArtifact}},
	}), nil
}

// pipeCodeBuildAction returns a CodeBuild action of category on the project
// of logical id project, reading the artifact input.
func pipeCodeBuildAction(name, category, project, input string) codepipeline.Pipeline_ActionDeclaration {
	return codepipeline.Pipeline_ActionDeclaration{
		Name:           name,
		ActionTypeId:   pipeActionType(category, "CodeBuild"),
		Configuration:  map[string]any{"ProjectName": cfn.Ref(project)},
		InputArtifacts: []codepipeline.Pipeline_InputArtifact{{Name: input}},
	}
}

// pipeBuildImageStage is the BuildImage stage (build.image: ecr only): it
// builds and pushes the build image when the image of build.dockerfile's
// content is not in the repository yet, so that Build, which runs on it,
// finds it even in the very first execution.
func pipeBuildImageStage(sys *schema.System) ([]codepipeline.Pipeline_StageDeclaration, error) {
	if !pipeBuildsOwnImage(sys) {
		return nil, nil
	}
	return pipeStage1("BuildImage", pipeCodeBuildAction("BuildImage", "Build", pipeBuildImageProjectID, pipeSourceArtifact)), nil
}

// pipeBuildStage is the Build stage: the application image, the image
// details and the templates (cicdgen-out/).
func pipeBuildStage(sys *schema.System) ([]codepipeline.Pipeline_StageDeclaration, error) {
	a := pipeCodeBuildAction("Build", "Build", pipeBuildProjectID, pipeSourceArtifact)
	a.OutputArtifacts = []codepipeline.Pipeline_OutputArtifact{{Name: pipeBuildArtifact}}
	return pipeStage1("Build", a), nil
}

// pipeTestStage is the Test stage (test: only).
func pipeTestStage(sys *schema.System) ([]codepipeline.Pipeline_StageDeclaration, error) {
	if sys.Test == nil {
		return nil, nil
	}
	return pipeStage1("Test", pipeCodeBuildAction("Test", "Test", pipeTestProjectID, pipeSourceArtifact)), nil
}

// pipeUpdateStage is the UpdatePipeline stage: the tooling stacks from the
// build output.
func pipeUpdateStage(sys *schema.System) ([]codepipeline.Pipeline_StageDeclaration, error) {
	return pipeStage1("UpdatePipeline", pipeCodeBuildAction("UpdatePipeline", "Build", pipeUpdateProjectID, pipeBuildArtifact)), nil
}

// pipeStackAction returns the CloudFormation action that creates or updates
// the stack of kind of env from the build output, as the environment's
// deploy role, with its execution role and the stack's template
// configuration, and the extra configuration more (ParameterOverrides).
func pipeStackAction(sys *schema.System, env *schema.Environment, name, kind string, runOrder int, more map[string]any) codepipeline.Pipeline_ActionDeclaration {
	names := schema.NamesOf(sys)
	acct := sys.AccountOf(env).ID
	stack := names.StackName(kind)
	config := map[string]any{
		"ActionMode":            "CREATE_UPDATE",
		"StackName":             stack,
		"TemplatePath":          fmt.Sprintf("%s::%s/%s", pipeBuildArtifact, pipeBuildOutputDir, manifest.TemplateFile(stack, manifest.FormatJSON)),
		"TemplateConfiguration": fmt.Sprintf("%s::%s/%s", pipeBuildArtifact, pipeBuildOutputDir, manifest.ConfigFile(stack)),
		"Capabilities":          "CAPABILITY_IAM,CAPABILITY_NAMED_IAM",
		"RoleArn":               schema.RoleARN(acct, names.ExecutionRole(env.Name)),
	}
	for k, v := range more {
		config[k] = v
	}
	a := codepipeline.Pipeline_ActionDeclaration{
		Name:           name,
		ActionTypeId:   pipeActionType("Deploy", "CloudFormation"),
		Configuration:  config,
		InputArtifacts: []codepipeline.Pipeline_InputArtifact{{Name: pipeBuildArtifact}},
		RoleArn:        cfn.String(schema.RoleARN(acct, names.DeployRole(env.Name))),
		RunOrder:       cfn.Int(runOrder),
	}
	if len(names.SupportRegions()) > 0 {
		a.Region = cfn.String(env.Region)
	}
	return a
}

// pipeApprovalAction returns the manual approval that opens deploy stage st.
func pipeApprovalAction(sys *schema.System, st pipeStage) codepipeline.Pipeline_ActionDeclaration {
	what := "environment " + st.Label
	if st.Envs[0].Wave != "" {
		what = fmt.Sprintf("wave %s (%d environments)", st.Label, len(st.Envs))
	}
	return codepipeline.Pipeline_ActionDeclaration{
		Name:         "Approve",
		ActionTypeId: pipeActionType("Approval", "Manual"),
		Configuration: map[string]any{
			"NotificationArn": cfn.Ref(pipeApprovalsTopicID),
			"CustomData":      pipeCustomData(fmt.Sprintf("Approve the deployment of %s to %s.", schema.NamesOf(sys).Pipeline(), what)),
		},
		RunOrder: cfn.Int(1),
	}
}

// pipeDeployStage returns the deploy stage of one environment or wave: the
// approval (run order 1) when the stage asks for one, then the
// secrets-<env> stack of every environment with managed secrets
// (schema.Environment.HasManagedSecrets), then every environment's ecs stack, each
// in a run order of its own, so that an ecs stack never starts before its
// secrets exist.
func pipeDeployStage(sys *schema.System, st pipeStage) (codepipeline.Pipeline_StageDeclaration, error) {
	var actions []codepipeline.Pipeline_ActionDeclaration
	runOrder := 1
	if st.Approval {
		actions = append(actions, pipeApprovalAction(sys, st))
		runOrder++
	}
	secrets := false
	for _, env := range st.Envs {
		if env.HasManagedSecrets() {
			secrets = true
			actions = append(actions, pipeStackAction(sys, env, "Secrets-"+env.Name, schema.KindSecrets(env.Name), runOrder, nil))
		}
	}
	if secrets {
		runOrder++
	}
	for _, env := range st.Envs {
		overrides, err := pipeParameterOverrides(sys, env.Region)
		if err != nil {
			return codepipeline.Pipeline_StageDeclaration{}, err
		}
		actions = append(actions, pipeStackAction(sys, env, "Deploy-"+env.Name, schema.KindECS(env.Name), runOrder,
			map[string]any{"ParameterOverrides": overrides}))
	}
	return codepipeline.Pipeline_StageDeclaration{Name: st.Name, Actions: actions}, nil
}

// pipeDeployStagesOf returns the deploy stages, one per environment or wave.
func pipeDeployStagesOf(sys *schema.System) ([]codepipeline.Pipeline_StageDeclaration, error) {
	var stages []codepipeline.Pipeline_StageDeclaration
	for _, st := range pipeDeployStages(sys) {
		stage, err := pipeDeployStage(sys, st)
		if err != nil {
			return nil, err
		}
		stages = append(stages, stage)
	}
	return stages, nil
}

// pipeArtifactStores sets the artifact store of p: the home bucket alone,
// or with support regions one store per region (home first, then the
// support regions sorted).
func pipeArtifactStores(sys *schema.System, p *codepipeline.Pipeline) {
	names := schema.NamesOf(sys)
	home := &codepipeline.Pipeline_ArtifactStore{
		Type:     "S3",
		Location: cfn.Ref(toolingArtifactBucketID),
		EncryptionKey: &codepipeline.Pipeline_EncryptionKey{
			Type: "KMS",
			Id:   cfn.GetAtt(toolingArtifactKeyID, "Arn"),
		},
	}
	support := names.SupportRegions()
	if len(support) == 0 {
		p.ArtifactStore = home
		return
	}
	p.ArtifactStores = []codepipeline.Pipeline_ArtifactStoreMap{{Region: sys.Region, ArtifactStore: home}}
	for _, r := range support {
		p.ArtifactStores = append(p.ArtifactStores, codepipeline.Pipeline_ArtifactStoreMap{
			Region: r,
			ArtifactStore: &codepipeline.Pipeline_ArtifactStore{
				Type:     "S3",
				Location: names.ArtifactBucket(r),
				EncryptionKey: &codepipeline.Pipeline_EncryptionKey{
					Type: "KMS",
					Id:   cfn.Ref(toolingRegionParam(r)),
				},
			},
		})
	}
}

// addPipePipeline adds the pipeline role and the pipeline.
func addPipePipeline(t *cfn.Template, sys *schema.System) error {
	names := schema.NamesOf(sys)
	t.Resources[pipeRoleID] = pipeServiceRole(sys, names.PipelineRole(), "CodePipeline "+names.Pipeline(),
		"codepipeline.amazonaws.com", "pipeline", pipeRolePolicy(sys))
	var stages []codepipeline.Pipeline_StageDeclaration
	for _, build := range pipeStageBuilders() {
		more, err := build(sys)
		if err != nil {
			return err
		}
		stages = append(stages, more...)
	}
	p := &codepipeline.Pipeline{
		Name:                     cfn.String(names.Pipeline()),
		PipelineType:             cfn.String("V2"),
		ExecutionMode:            cfn.String("QUEUED"),
		RestartExecutionOnUpdate: cfn.Bool(true),
		RoleArn:                  cfn.GetAtt(pipeRoleID, "Arn"),
		Stages:                   stages,
		// The bucket policy (TLS only) must be in place before the first run.
		AWSCloudFormationDependsOn: []string{toolingArtifactBucketPolicyID},
	}
	pipeArtifactStores(sys, p)
	t.Resources[pipePipelineID] = p
	return nil
}
