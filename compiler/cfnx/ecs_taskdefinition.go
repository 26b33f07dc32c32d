package cfnx

import (
	"encoding/json"
	"fmt"

	"github.com/awslabs/goformation/v7/cloudformation/ecs"
	"github.com/awslabs/goformation/v7/cloudformation/tags"
)

// ECSTaskDefinition is AWS::ECS::TaskDefinition with the properties of
// goformation's ecs.TaskDefinition plus EnableFaultInjection, and with
// container definitions (ECSContainerDefinition) whose repository
// credentials may depend on a template condition.
type ECSTaskDefinition struct {
	ContainerDefinitions    []ECSContainerDefinition                               `json:"ContainerDefinitions,omitempty"`
	Cpu                     *string                                                `json:"Cpu,omitempty"`
	EnableFaultInjection    *bool                                                  `json:"EnableFaultInjection,omitempty"`
	EphemeralStorage        *ecs.TaskDefinition_EphemeralStorage                   `json:"EphemeralStorage,omitempty"`
	ExecutionRoleArn        *string                                                `json:"ExecutionRoleArn,omitempty"`
	Family                  *string                                                `json:"Family,omitempty"`
	InferenceAccelerators   []ecs.TaskDefinition_InferenceAccelerator              `json:"InferenceAccelerators,omitempty"`
	IpcMode                 *string                                                `json:"IpcMode,omitempty"`
	Memory                  *string                                                `json:"Memory,omitempty"`
	NetworkMode             *string                                                `json:"NetworkMode,omitempty"`
	PidMode                 *string                                                `json:"PidMode,omitempty"`
	PlacementConstraints    []ecs.TaskDefinition_TaskDefinitionPlacementConstraint `json:"PlacementConstraints,omitempty"`
	ProxyConfiguration      *ecs.TaskDefinition_ProxyConfiguration                 `json:"ProxyConfiguration,omitempty"`
	RequiresCompatibilities []string                                               `json:"RequiresCompatibilities,omitempty"`
	RuntimePlatform         *ecs.TaskDefinition_RuntimePlatform                    `json:"RuntimePlatform,omitempty"`
	Tags                    []tags.Tag                                             `json:"Tags,omitempty"`
	TaskRoleArn             *string                                                `json:"TaskRoleArn,omitempty"`
	Volumes                 []ecs.TaskDefinition_Volume                            `json:"Volumes,omitempty"`

	// ResourceAttributes are DependsOn, DeletionPolicy and the other
	// attributes CloudFormation reads beside Properties.
	ResourceAttributes
}

// AWSCloudFormationType returns AWS::ECS::TaskDefinition.
func (r *ECSTaskDefinition) AWSCloudFormationType() string { return "AWS::ECS::TaskDefinition" }

// MarshalJSON writes the resource as CloudFormation expects it: its type, its
// properties and its resource attributes.
func (r ECSTaskDefinition) MarshalJSON() ([]byte, error) {
	type properties ECSTaskDefinition
	props := properties(r)
	return marshalResource(r.AWSCloudFormationType(), &props, r.ResourceAttributes)
}

// ECSContainerDefinition is AWS::ECS::TaskDefinition.ContainerDefinition:
// goformation's type, whose every property it keeps, except that
// RepositoryCredentials (which shadows the embedded field of the same JSON
// name) may exist only under a template condition.
type ECSContainerDefinition struct {
	ecs.TaskDefinition_ContainerDefinition
	RepositoryCredentials *Conditional[ecs.TaskDefinition_RepositoryCredentials] `json:"RepositoryCredentials,omitempty"`
}

// Conditional is a property value that exists only when the template
// condition Condition holds: {"Fn::If": [Condition, Value, {"Ref":
// "AWS::NoValue"}]}. With Condition "" it is Value itself.
type Conditional[T any] struct {
	Condition string
	Value     T
}

// MarshalJSON writes Value, or the Fn::If that removes it when the
// condition is false.
func (c Conditional[T]) MarshalJSON() ([]byte, error) {
	if c.Condition == "" {
		return json.Marshal(c.Value)
	}
	b, err := json.Marshal(map[string][]any{"Fn::If": {c.Condition, c.Value, map[string]string{"Ref": "AWS::NoValue"}}})
	if err != nil {
		return nil, fmt.Errorf("marshal Fn::If on %s: %w", c.Condition, err)
	}
	return b, nil
}
