// Package cfnx extends goformation's generated CloudFormation types with the
// properties that AWS added after goformation v7.14.9 was generated, as typed
// Go structs rather than untyped maps.
//
// Each resource type here implements cfn.Resource (goformation.s cloudformation.Resource)
// interface (AWSCloudFormationType) and marshals, like goformation's own
// types, to {"Type", "Properties", "DependsOn", "Condition", ...}, so it can
// be put in a cfn.Template.s Resources beside the generated ones.
// Where a property type is unchanged, the goformation type is reused.
//
// Property names and types follow the CloudFormation resource provider
// schemas (see /work/shared/cfn-schemas at development time).
//
// Start with ECSService, the AWS::ECS::Service with ECS-native blue/green
// deployments (DeploymentConfiguration.Strategy, BakeTimeInMinutes,
// CanaryConfiguration, LinearConfiguration, LifecycleHooks and
// LoadBalancers[].AdvancedConfiguration).
package cfnx
