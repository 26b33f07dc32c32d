package cfnx

import (
	"encoding/json"

	"github.com/awslabs/goformation/v7/cloudformation/ecs"
	"github.com/awslabs/goformation/v7/cloudformation/policies"
	"github.com/awslabs/goformation/v7/cloudformation/tags"
)

// ECS deployment strategies of ECSServiceDeploymentConfiguration.Strategy.
const (
	StrategyRolling   = "ROLLING"
	StrategyBlueGreen = "BLUE_GREEN"
	StrategyCanary    = "CANARY"
	StrategyLinear    = "LINEAR"
)

// ECSService is AWS::ECS::Service with every property of goformation's
// ecs.Service plus the ones it lacks: AvailabilityZoneRebalancing,
// ForceNewDeployment, and the ECS-native blue/green properties of
// DeploymentConfiguration and LoadBalancers. Nested types that did not change
// are goformation's.
type ECSService struct {
	AvailabilityZoneRebalancing   *string                                    `json:"AvailabilityZoneRebalancing,omitempty"`
	CapacityProviderStrategy      []ecs.Service_CapacityProviderStrategyItem `json:"CapacityProviderStrategy,omitempty"`
	Cluster                       *string                                    `json:"Cluster,omitempty"`
	DeploymentConfiguration       *ECSServiceDeploymentConfiguration         `json:"DeploymentConfiguration,omitempty"`
	DeploymentController          *ecs.Service_DeploymentController          `json:"DeploymentController,omitempty"`
	DesiredCount                  *Integer                                   `json:"DesiredCount,omitempty"`
	EnableECSManagedTags          *bool                                      `json:"EnableECSManagedTags,omitempty"`
	EnableExecuteCommand          *bool                                      `json:"EnableExecuteCommand,omitempty"`
	ForceNewDeployment            *ECSServiceForceNewDeployment              `json:"ForceNewDeployment,omitempty"`
	HealthCheckGracePeriodSeconds *int                                       `json:"HealthCheckGracePeriodSeconds,omitempty"`
	LaunchType                    *string                                    `json:"LaunchType,omitempty"`
	LoadBalancers                 []ECSServiceLoadBalancer                   `json:"LoadBalancers,omitempty"`
	NetworkConfiguration          *ecs.Service_NetworkConfiguration          `json:"NetworkConfiguration,omitempty"`
	PlacementConstraints          []ecs.Service_PlacementConstraint          `json:"PlacementConstraints,omitempty"`
	PlacementStrategies           []ecs.Service_PlacementStrategy            `json:"PlacementStrategies,omitempty"`
	PlatformVersion               *string                                    `json:"PlatformVersion,omitempty"`
	PropagateTags                 *string                                    `json:"PropagateTags,omitempty"`
	Role                          *string                                    `json:"Role,omitempty"`
	SchedulingStrategy            *string                                    `json:"SchedulingStrategy,omitempty"`
	ServiceConnectConfiguration   *ecs.Service_ServiceConnectConfiguration   `json:"ServiceConnectConfiguration,omitempty"`
	ServiceName                   *string                                    `json:"ServiceName,omitempty"`
	ServiceRegistries             []ecs.Service_ServiceRegistry              `json:"ServiceRegistries,omitempty"`
	Tags                          []tags.Tag                                 `json:"Tags,omitempty"`
	TaskDefinition                *string                                    `json:"TaskDefinition,omitempty"`
	VolumeConfigurations          []ecs.Service_ServiceVolumeConfiguration   `json:"VolumeConfigurations,omitempty"`

	// ResourceAttributes are DependsOn, DeletionPolicy and the other
	// attributes CloudFormation reads beside Properties.
	ResourceAttributes
}

// AWSCloudFormationType returns AWS::ECS::Service.
func (r *ECSService) AWSCloudFormationType() string { return "AWS::ECS::Service" }

// MarshalJSON writes the resource as CloudFormation expects it: its type, its
// properties and its resource attributes.
func (r ECSService) MarshalJSON() ([]byte, error) {
	type properties ECSService
	props := properties(r)
	return marshalResource(r.AWSCloudFormationType(), &props, r.ResourceAttributes)
}

// ECSServiceDeploymentConfiguration is AWS::ECS::Service.DeploymentConfiguration
// with the ECS-native blue/green properties.
type ECSServiceDeploymentConfiguration struct {
	Alarms                   *ecs.Service_DeploymentAlarms         `json:"Alarms,omitempty"`
	BakeTimeInMinutes        *int                                  `json:"BakeTimeInMinutes,omitempty"` // 0..1440
	CanaryConfiguration      *ECSServiceCanaryConfiguration        `json:"CanaryConfiguration,omitempty"`
	DeploymentCircuitBreaker *ecs.Service_DeploymentCircuitBreaker `json:"DeploymentCircuitBreaker,omitempty"`
	LifecycleHooks           []ECSServiceDeploymentLifecycleHook   `json:"LifecycleHooks,omitempty"`
	LinearConfiguration      *ECSServiceLinearConfiguration        `json:"LinearConfiguration,omitempty"`
	MaximumPercent           *int                                  `json:"MaximumPercent,omitempty"`
	MinimumHealthyPercent    *int                                  `json:"MinimumHealthyPercent,omitempty"`
	// Strategy is one of StrategyRolling, StrategyBlueGreen, StrategyCanary, StrategyLinear.
	Strategy *string `json:"Strategy,omitempty"`
}

// ECSServiceCanaryConfiguration is AWS::ECS::Service.CanaryConfiguration:
// CanaryPercent of production traffic first, the rest after
// CanaryBakeTimeInMinutes.
type ECSServiceCanaryConfiguration struct {
	CanaryBakeTimeInMinutes *int     `json:"CanaryBakeTimeInMinutes,omitempty"`
	CanaryPercent           *float64 `json:"CanaryPercent,omitempty"`
}

// ECSServiceLinearConfiguration is AWS::ECS::Service.LinearConfiguration:
// StepPercent of production traffic per step, StepBakeTimeInMinutes between
// steps.
type ECSServiceLinearConfiguration struct {
	StepBakeTimeInMinutes *int     `json:"StepBakeTimeInMinutes,omitempty"`
	StepPercent           *float64 `json:"StepPercent,omitempty"`
}

// ECSServiceDeploymentLifecycleHook is AWS::ECS::Service.DeploymentLifecycleHook.
type ECSServiceDeploymentLifecycleHook struct {
	// HookDetails is a string or a JSON object passed to the hook.
	HookDetails          any                          `json:"HookDetails,omitempty"`
	HookTargetArn        *string                      `json:"HookTargetArn,omitempty"`
	LifecycleStages      []string                     `json:"LifecycleStages"`
	RoleArn              *string                      `json:"RoleArn,omitempty"`
	TargetType           *string                      `json:"TargetType,omitempty"` // AWS_LAMBDA | PAUSE
	TimeoutConfiguration *ECSServiceHookTimeoutConfig `json:"TimeoutConfiguration,omitempty"`
}

// ECSServiceHookTimeoutConfig is AWS::ECS::Service.HookTimeoutConfig.
type ECSServiceHookTimeoutConfig struct {
	Action           *string `json:"Action,omitempty"` // ROLLBACK | CONTINUE
	TimeoutInMinutes *int    `json:"TimeoutInMinutes,omitempty"`
}

// ECSServiceForceNewDeployment is AWS::ECS::Service.ForceNewDeployment.
type ECSServiceForceNewDeployment struct {
	EnableForceNewDeployment bool    `json:"EnableForceNewDeployment"`
	ForceNewDeploymentNonce  *string `json:"ForceNewDeploymentNonce,omitempty"`
}

// ECSServiceLoadBalancer is AWS::ECS::Service.LoadBalancer with
// AdvancedConfiguration.
type ECSServiceLoadBalancer struct {
	AdvancedConfiguration *ECSServiceAdvancedConfiguration `json:"AdvancedConfiguration,omitempty"`
	ContainerName         *string                          `json:"ContainerName,omitempty"`
	ContainerPort         *int                             `json:"ContainerPort,omitempty"`
	LoadBalancerName      *string                          `json:"LoadBalancerName,omitempty"`
	TargetGroupArn        *string                          `json:"TargetGroupArn,omitempty"`
}

// ECSServiceAdvancedConfiguration is AWS::ECS::Service.AdvancedConfiguration:
// what ECS needs to shift traffic between the primary target group (the
// load balancer's TargetGroupArn) and the alternate one.
type ECSServiceAdvancedConfiguration struct {
	// AlternateTargetGroupArn is required.
	AlternateTargetGroupArn string  `json:"AlternateTargetGroupArn"`
	ProductionListenerRule  *string `json:"ProductionListenerRule,omitempty"`
	RoleArn                 *string `json:"RoleArn,omitempty"`
	TestListenerRule        *string `json:"TestListenerRule,omitempty"`
}

// ResourceAttributes holds a resource's attributes besides Type and
// Properties, named as goformation's generated types name them, so that code
// sets them the same way on either.
type ResourceAttributes struct {
	// AWSCloudFormationDeletionPolicy is the resource's DeletionPolicy.
	AWSCloudFormationDeletionPolicy policies.DeletionPolicy `json:"-"`
	// AWSCloudFormationUpdateReplacePolicy is the resource's UpdateReplacePolicy.
	AWSCloudFormationUpdateReplacePolicy policies.UpdateReplacePolicy `json:"-"`
	// AWSCloudFormationDependsOn lists the logical ids created before this resource.
	AWSCloudFormationDependsOn []string `json:"-"`
	// AWSCloudFormationMetadata is the resource's Metadata.
	AWSCloudFormationMetadata map[string]any `json:"-"`
	// AWSCloudFormationCondition names the condition that must hold for the resource to exist.
	AWSCloudFormationCondition string `json:"-"`
}

// marshalResource writes {"Type", "Properties", attributes...} the way
// goformation's generated types do. props is a pointer, so that its fields
// are addressable to encoding/json as those of goformation's are.
func marshalResource(typ string, props any, a ResourceAttributes) ([]byte, error) {
	return json.Marshal(&struct {
		Type                string
		Properties          any
		DependsOn           []string                     `json:"DependsOn,omitempty"`
		Metadata            map[string]any               `json:"Metadata,omitempty"`
		DeletionPolicy      policies.DeletionPolicy      `json:"DeletionPolicy,omitempty"`
		UpdateReplacePolicy policies.UpdateReplacePolicy `json:"UpdateReplacePolicy,omitempty"`
		Condition           string                       `json:"Condition,omitempty"`
	}{
		Type:                typ,
		Properties:          props,
		DependsOn:           a.AWSCloudFormationDependsOn,
		Metadata:            a.AWSCloudFormationMetadata,
		DeletionPolicy:      a.AWSCloudFormationDeletionPolicy,
		UpdateReplacePolicy: a.AWSCloudFormationUpdateReplacePolicy,
		Condition:           a.AWSCloudFormationCondition,
	})
}
