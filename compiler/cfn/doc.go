// Package cfn is the CloudFormation template the compiler's builders fill:
// Template, its parameters and outputs, the intrinsic functions (Ref,
// GetAtt, Sub, ...) and pointer helpers for optional properties.
//
// Its resources are goformation's generated types (from its service
// packages, such as cloudformation/ecs) and the compiler's own in cfnx. It
// stands in for goformation's root package, which would link every resource
// type goformation knows into the binary (see Template).
//
// An intrinsic function must fit in a typed string property, so each
// function here returns a string that stands for it: a prefix no input can
// contain, then the function's JSON object. compiler.templateDocument turns
// those strings back into objects wherever they occur.
package cfn
