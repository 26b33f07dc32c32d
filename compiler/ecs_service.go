package compiler

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/awslabs/goformation/v7/cloudformation/ecs"
	"github.com/awslabs/goformation/v7/cloudformation/iam"
	"github.com/awslabs/goformation/v7/cloudformation/kms"
	"github.com/awslabs/goformation/v7/cloudformation/logs"
	"github.com/cicdgen/cicdgen/compiler/cfn"

	"github.com/cicdgen/cicdgen/compiler/cfnx"
	"github.com/cicdgen/cicdgen/schema"
)

// ecsTmpVolume is the task-local volume mounted on /tmp, the one writable
// place of the read-only root filesystem.
const ecsTmpVolume = "tmp"

// addCompute adds the cluster, the service's log group, the task roles and
// the task definition.
func (b *ecsBuilder) addCompute() {
	r := b.t.Resources
	env := b.env.Name
	r[ecsCluster] = &ecs.Cluster{
		ClusterName: cfn.String(b.names.Cluster(env)),
		ClusterSettings: []ecs.Cluster_ClusterSettings{
			{Name: cfn.String("containerInsights"), Value: cfn.String("enabled")},
		},
	}
	deletion, replace := envRetention(b.env)
	r[ecsServiceLogGroup] = &logs.LogGroup{
		LogGroupName:                         cfn.String(b.names.ServiceLogGroup(env)),
		RetentionInDays:                      cfn.Int(ecsLogRetentionDays(b.env)),
		KmsKeyId:                             cfn.GetAttPtr(ecsLogKey, "Arn"),
		AWSCloudFormationDeletionPolicy:      deletion,
		AWSCloudFormationUpdateReplacePolicy: replace,
	}
	r[ecsTaskExecutionRole] = &iam.Role{
		RoleName:                 cfn.String(b.names.TaskExecutionRole(env)),
		Description:              cfn.String("Pulls the image, writes the logs and reads the secrets of " + b.names.ECSService(env)),
		AssumeRolePolicyDocument: envServiceTrust("ecs-tasks.amazonaws.com", nil),
		Policies: []iam.Role_Policy{{
			PolicyName:     "task-execution",
			PolicyDocument: b.taskExecutionPolicy(),
		}},
	}
	// The application's own role: no permission until an override adds one.
	r[ecsTaskRole] = &iam.Role{
		RoleName:    cfn.String(b.names.TaskRole(env)),
		Description: cfn.String("Role the containers of " + b.names.ECSService(env) + " run as"),
		AssumeRolePolicyDocument: envServiceTrust("ecs-tasks.amazonaws.com", map[string]map[string]any{
			"StringEquals": {"aws:SourceAccount": b.account},
			"ArnLike":      {"aws:SourceArn": b.arn("ecs", "*")},
		}),
	}
	r[ecsTaskDefinition] = b.taskDefinition()
	if b.blueGreen {
		r[ecsInfrastructureRole] = &iam.Role{
			RoleName:                 cfn.String(b.names.ECSInfrastructureRole(env)),
			Description:              cfn.String("Lets ECS shift load balancer traffic in blue/green deployments of " + b.names.ECSService(env)),
			AssumeRolePolicyDocument: envServiceTrust("ecs.amazonaws.com", nil),
			ManagedPolicyArns:        []string{ecsInfrastructurePolicyARN},
		}
	}
}

// addLogKey adds the customer-managed KMS key that encrypts the stack's log
// groups at rest. Its policy leaves the key to the account's IAM policies
// (the root statement, without which nobody could manage the key), lets
// CloudWatch Logs of the environment's region use it for this stack's log
// groups only (the encryption context names the log group), and denies
// grants to anything but AWS services (Control Tower's CT.KMS.PR.3). Under
// protect: true it is retained with the log groups, which would be
// unreadable without it.
func (b *ecsBuilder) addLogKey() {
	var groups []any
	for _, g := range b.logGroupNames() {
		groups = append(groups, b.arn("logs", "log-group:"+g))
	}
	deletion, replace := envRetention(b.env)
	b.t.Resources[ecsLogKey] = &kms.Key{
		Description:       cfn.String("Encrypts the log groups of " + b.names.StackName(schema.KindECS(b.env.Name))),
		EnableKeyRotation: cfn.Bool(true),
		KeyPolicy: Policy(
			Statement{
				Sid:       "KeyAdministration",
				Effect:    "Allow",
				Principal: map[string]any{"AWS": "arn:aws:iam::" + b.account + ":root"},
				Action:    "kms:*",
				Resource:  "*",
			},
			Statement{
				// The actions CloudWatch Logs documents for encrypting
				// log data with a customer-managed key.
				Sid:       "CloudWatchLogsEncryptLogGroups",
				Effect:    "Allow",
				Principal: map[string]any{"Service": "logs." + b.region + ".amazonaws.com"},
				Action:    []string{"kms:Decrypt*", "kms:Describe*", "kms:Encrypt*", "kms:GenerateDataKey*", "kms:ReEncrypt*"},
				Resource:  "*",
				Condition: map[string]map[string]any{
					"ArnLike": {"kms:EncryptionContext:aws:logs:arn": resourceList(groups)},
				},
			},
			Statement{
				Sid:       "DenyGrantsExceptForAWSServices",
				Effect:    "Deny",
				Principal: map[string]any{"AWS": "*"},
				Action:    "kms:CreateGrant",
				Resource:  "*",
				Condition: map[string]map[string]any{
					"BoolIfExists": {"kms:GrantIsForAWSResource": "false", "aws:PrincipalIsAWSService": "false"},
				},
			},
		),
		AWSCloudFormationDeletionPolicy:      deletion,
		AWSCloudFormationUpdateReplacePolicy: replace,
	}
}

// logGroupNames are the names of the stack's log groups.
func (b *ecsBuilder) logGroupNames() []string {
	names := []string{b.names.ServiceLogGroup(b.env.Name)}
	if b.net.FlowLogs {
		names = append(names, b.names.FlowLogGroup(b.env.Name))
	}
	return names
}

// ecsSecretARN is the IAM resource of one service.secrets value:
// secretsmanager says which service it belongs to, resources are what
// GetSecretValue or GetParameters needs.
type ecsSecretARN struct {
	secretsManager bool
	region         string
	account        string
	resources      []string
}

// ecsParseSecret turns a secret's ValueFrom into its IAM resources. A
// Secrets Manager ARN may name a JSON key and version after the secret
// (…:secret:name-AbCdEf:key:stage:id) and may be partial (without the six
// characters Secrets Manager appends), so the grant is on the secret's ARN
// and on that ARN followed by -??????. A value that is not an ARN is an SSM
// parameter name of the environment's account and region.
func (b *ecsBuilder) ecsParseSecret(valueFrom string) ecsSecretARN {
	if !strings.HasPrefix(valueFrom, "arn:") {
		name := strings.TrimPrefix(valueFrom, "/")
		return ecsSecretARN{region: b.region, account: b.account, resources: []string{b.arn("ssm", "parameter/"+name)}}
	}
	parts := strings.Split(valueFrom, ":")
	s := ecsSecretARN{}
	if len(parts) > 4 {
		s.region, s.account = parts[3], parts[4]
	}
	if len(parts) > 2 && parts[2] == "secretsmanager" {
		s.secretsManager = true
		base := valueFrom
		if len(parts) > 7 {
			base = strings.Join(parts[:7], ":")
		}
		s.resources = []string{base, base + "-??????"}
		return s
	}
	s.resources = []string{valueFrom}
	return s
}

// taskExecutionPolicy lets ECS pull the application image from the tooling
// account's repository, write the service's logs and read its secrets.
func (b *ecsBuilder) taskExecutionPolicy() *PolicyDocument {
	env := b.env.Name
	statements := []Statement{
		// GetAuthorizationToken has no resource-level permissions: Resource "*".
		Allow("AuthenticateToEcr", []string{"ecr:GetAuthorizationToken"}, "*"),
		Allow("PullApplicationImage", []string{
			"ecr:BatchCheckLayerAvailability",
			"ecr:BatchGetImage",
			"ecr:GetDownloadUrlForLayer",
		}, pipeECRRepoARN(b.sys, b.env.Region, b.names.AppRepo())), // the environment's own region's repository
		Allow("WriteLogs", []string{"logs:CreateLogStream", "logs:PutLogEvents"},
			b.arn("logs", "log-group:"+b.names.ServiceLogGroup(env)+":*")),
	}

	var smResources, ssmResources []any
	keys := map[string]bool{}
	services := map[string]bool{}
	for _, name := range slices.Sorted(maps.Keys(b.svc.Secrets)) {
		if b.svc.Secrets[name] == schema.SecretManaged {
			// The secrets stack's secret, encrypted with the account's
			// AWS managed key: GetSecretValue on its exact ARN is enough.
			smResources = append(smResources, b.secretValueFrom(name))
			continue
		}
		s := b.ecsParseSecret(b.svc.Secrets[name])
		for _, res := range s.resources {
			if s.secretsManager {
				smResources = append(smResources, res)
			} else {
				ssmResources = append(ssmResources, res)
			}
		}
		if s.region != "" && s.account != "" {
			keys[fmt.Sprintf("arn:aws:kms:%s:%s:key/*", s.region, s.account)] = true
			if s.secretsManager {
				services["secretsmanager."+s.region+".amazonaws.com"] = true
			} else {
				services["ssm."+s.region+".amazonaws.com"] = true
			}
		}
	}
	if len(smResources) > 0 {
		statements = append(statements, Allow("ReadSecrets", []string{"secretsmanager:GetSecretValue"}, ecsUnique(smResources)...))
	}
	if len(ssmResources) > 0 {
		statements = append(statements, Allow("ReadParameters", []string{"ssm:GetParameters"}, ecsUnique(ssmResources)...))
	}
	if len(keys) > 0 {
		// Secrets encrypted with a customer-managed key: which key is not
		// known here, so any key of the secrets' accounts and regions, used
		// through Secrets Manager or SSM only.
		statements = append(statements, Statement{
			Sid:       "DecryptSecrets",
			Effect:    "Allow",
			Action:    []string{"kms:Decrypt"},
			Resource:  ecsSortedSet(keys),
			Condition: map[string]map[string]any{"StringEquals": {"kms:ViaService": ecsSortedSet(services)}},
		})
	}
	return Policy(statements...)
}

// secretValueFrom is the ValueFrom of the variable name of service.secrets:
// the ARN an entry names, or for a managed secret its ARN imported from the
// secrets stack (Secrets Manager appends six random characters to a
// secret's ARN, so it cannot be computed).
func (b *ecsBuilder) secretValueFrom(name string) string {
	if v := b.svc.Secrets[name]; v != schema.SecretManaged {
		return v
	}
	return cfn.ImportValue(envExportName(b.names, schema.KindSecrets(b.env.Name), secretsOutput(name)))
}

// taskDefinition is the Fargate task definition of the one container.
func (b *ecsBuilder) taskDefinition() *cfnx.ECSTaskDefinition {
	env := b.env.Name
	container := ecs.TaskDefinition_ContainerDefinition{
		Name:      b.svc.Name,
		Image:     cfn.If(ecsHasImage, cfn.Ref(ecsImageParam), ecsInitialImage),
		Essential: cfn.Bool(true),
		// The task's memory is the container's hard limit too: one container per task.
		Memory: cfn.Int(b.svc.Memory),
		PortMappings: []ecs.TaskDefinition_PortMapping{{
			ContainerPort: cfn.Int(b.svc.Port),
			Protocol:      cfn.String("tcp"),
		}},
		LogConfiguration: &ecs.TaskDefinition_LogConfiguration{
			LogDriver: "awslogs",
			// A Ref, not the name: tasks must not start before the log
			// group exists (the pipeline may create the stack with an
			// image after a failed first create).
			Options: map[string]string{
				"awslogs-group":         cfn.Ref(ecsServiceLogGroup),
				"awslogs-region":        b.region,
				"awslogs-stream-prefix": b.svc.Name,
			},
		},
		ReadonlyRootFilesystem: cfn.Bool(true),
		MountPoints: []ecs.TaskDefinition_MountPoint{{
			SourceVolume:  cfn.String(ecsTmpVolume),
			ContainerPath: cfn.String("/tmp"),
			ReadOnly:      cfn.Bool(false),
		}},
	}
	for _, name := range slices.Sorted(maps.Keys(b.svc.Environment)) {
		container.Environment = append(container.Environment, ecs.TaskDefinition_KeyValuePair{
			Name:  cfn.String(name),
			Value: cfn.String(b.svc.Environment[name]),
		})
	}
	for _, name := range slices.Sorted(maps.Keys(b.svc.Secrets)) {
		container.Secrets = append(container.Secrets, ecs.TaskDefinition_Secret{Name: name, ValueFrom: b.secretValueFrom(name)})
	}
	def := cfnx.ECSContainerDefinition{TaskDefinition_ContainerDefinition: container}
	return &cfnx.ECSTaskDefinition{
		Family:                  cfn.String(b.names.TaskFamily(env)),
		Cpu:                     cfn.String(strconv.Itoa(b.svc.CPU)),
		Memory:                  cfn.String(strconv.Itoa(b.svc.Memory)),
		NetworkMode:             cfn.String("awsvpc"),
		RequiresCompatibilities: []string{"FARGATE"},
		ExecutionRoleArn:        cfn.GetAttPtr(ecsTaskExecutionRole, "Arn"),
		TaskRoleArn:             cfn.GetAttPtr(ecsTaskRole, "Arn"),
		ContainerDefinitions:    []cfnx.ECSContainerDefinition{def},
		Volumes:                 []ecs.TaskDefinition_Volume{{Name: cfn.String(ecsTmpVolume)}},
	}
}

// ecsTraffic maps service.traffic to the ECS deployment strategy and its
// canary or linear configuration.
func ecsTraffic(traffic string) (strategy string, canary *cfnx.ECSServiceCanaryConfiguration, linear *cfnx.ECSServiceLinearConfiguration) {
	switch traffic {
	case schema.TrafficCanary:
		return cfnx.StrategyCanary, &cfnx.ECSServiceCanaryConfiguration{
			CanaryPercent:           ecsFloat(10),
			CanaryBakeTimeInMinutes: cfn.Int(5),
		}, nil
	case schema.TrafficLinear:
		return cfnx.StrategyLinear, nil, &cfnx.ECSServiceLinearConfiguration{
			StepPercent:           ecsFloat(10),
			StepBakeTimeInMinutes: cfn.Int(1),
		}
	default:
		return cfnx.StrategyBlueGreen, nil, nil
	}
}

// addService adds the Fargate service, and for blue/green its
// infrastructure role wiring.
func (b *ecsBuilder) addService() {
	env := b.env.Name
	production, others := b.listeners()
	lb := cfnx.ECSServiceLoadBalancer{
		ContainerName:  cfn.String(b.svc.Name),
		ContainerPort:  cfn.Int(b.svc.Port),
		TargetGroupArn: cfn.RefPtr(ecsTargetGroupBlue),
	}
	var deployment *cfnx.ECSServiceDeploymentConfiguration
	var dependsOn []string
	if b.blueGreen {
		strategy, canary, linear := ecsTraffic(b.svc.Traffic)
		// The circuit breaker fails a deployment whose new tasks do not
		// become healthy and rolls it back; without it ECS keeps replacing
		// them and the stack update waits for CloudFormation's 36-hour
		// timeout of blue/green deployments.
		deployment = &cfnx.ECSServiceDeploymentConfiguration{
			Strategy:            cfn.String(strategy),
			BakeTimeInMinutes:   cfn.Int(b.svc.BakeMinutes),
			CanaryConfiguration: canary,
			LinearConfiguration: linear,
			DeploymentCircuitBreaker: &ecs.Service_DeploymentCircuitBreaker{
				Enable:   true,
				Rollback: true,
			},
		}
		lb.AdvancedConfiguration = &cfnx.ECSServiceAdvancedConfiguration{
			AlternateTargetGroupArn: cfn.Ref(ecsTargetGroupGreen),
			ProductionListenerRule:  cfn.RefPtr(ecsProductionListenerRule),
			TestListenerRule:        cfn.RefPtr(ecsTestListenerRule),
			RoleArn:                 cfn.GetAttPtr(ecsInfrastructureRole, "Arn"),
		}
	} else {
		deployment = &cfnx.ECSServiceDeploymentConfiguration{
			Strategy:              cfn.String(cfnx.StrategyRolling),
			MinimumHealthyPercent: cfn.Int(100),
			MaximumPercent:        cfn.Int(200),
			DeploymentCircuitBreaker: &ecs.Service_DeploymentCircuitBreaker{
				Enable:   true,
				Rollback: true,
			},
		}
	}
	// The target groups must be attached to the load balancer before the
	// service registers tasks in them, and the tasks need their route out.
	// With blue/green the Refs to the listener rules already order the
	// service after them (a DependsOn would be redundant: cfn-lint W3005).
	dependsOn = append(dependsOn, production.id)
	for _, l := range others {
		dependsOn = append(dependsOn, l.id)
	}
	dependsOn = append(dependsOn, b.privateRoutes...)
	sort.Strings(dependsOn)

	b.t.Resources[ecsService] = &cfnx.ECSService{
		ServiceName:                   cfn.String(b.names.ECSService(env)),
		Cluster:                       cfn.RefPtr(ecsCluster),
		TaskDefinition:                cfn.RefPtr(ecsTaskDefinition),
		LaunchType:                    cfn.String("FARGATE"),
		PlatformVersion:               cfn.String("LATEST"),
		DesiredCount:                  cfnx.IntIf(ecsHasImage, b.svc.DesiredCount, 0),
		HealthCheckGracePeriodSeconds: cfn.Int(60),
		DeploymentController:          &ecs.Service_DeploymentController{Type: cfn.String("ECS")},
		DeploymentConfiguration:       deployment,
		LoadBalancers:                 []cfnx.ECSServiceLoadBalancer{lb},
		NetworkConfiguration: &ecs.Service_NetworkConfiguration{
			AwsvpcConfiguration: &ecs.Service_AwsVpcConfiguration{
				AssignPublicIp: cfn.String("DISABLED"),
				Subnets:        ecsRefs(b.private),
				SecurityGroups: []string{cfn.GetAtt(ecsServiceSG, "GroupId")},
			},
		},
		PropagateTags:        cfn.String("SERVICE"),
		EnableECSManagedTags: cfn.Bool(true),
		ResourceAttributes:   cfnx.ResourceAttributes{AWSCloudFormationDependsOn: dependsOn},
	}
}

// addOutputs adds the stack's outputs.
func (b *ecsBuilder) addOutputs() {
	o := b.t.Outputs
	production, _ := b.listeners()
	scheme := "http"
	if b.https {
		scheme = "https"
	}
	o["LoadBalancerDNSName"] = cfn.Output{
		Value:       cfn.GetAtt(ecsLoadBalancer, "DNSName"),
		Description: cfn.String("DNS name of the load balancer"),
	}
	o["ServiceUrl"] = cfn.Output{
		Value:       cfn.Sub(fmt.Sprintf("%s://${%s.DNSName}", scheme, ecsLoadBalancer)),
		Description: cfn.String(fmt.Sprintf("URL of the service (production listener, port %d)", production.port)),
	}
	o["ServiceName"] = cfn.Output{
		Value:       cfn.GetAtt(ecsService, "Name"),
		Description: cfn.String("Name of the ECS service"),
	}
	o["ClusterName"] = cfn.Output{
		Value:       cfn.Ref(ecsCluster),
		Description: cfn.String("Name of the ECS cluster"),
	}
	if b.blueGreen {
		test := b.testListener()
		o["TestListenerUrl"] = cfn.Output{
			Value:       cfn.Sub(fmt.Sprintf("%s://${%s.DNSName}:%d", strings.ToLower(test.protocol), ecsLoadBalancer, test.port)),
			Description: cfn.String("URL of the test listener: the green revision during a blue/green deployment"),
		}
	}
}

// ecsFloat returns a pointer to f.
func ecsFloat(f float64) *float64 { return &f }

// ecsUnique returns values without repeats, in first-seen order.
func ecsUnique(values []any) []any {
	seen := map[any]bool{}
	var out []any
	for _, v := range values {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// ecsSortedSet returns the keys of set, sorted.
func ecsSortedSet(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
