package compiler

import "slices"

// PolicyDocument is an IAM policy document (identity, resource, trust or KMS
// key policy). Its fields marshal in the order AWS shows them.
type PolicyDocument struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one statement of a PolicyDocument. Values may be intrinsic
// functions (cfn.Sub, GetAtt, ...) wherever a string is expected.
type Statement struct {
	Sid       string `json:"Sid,omitempty"`
	Effect    string `json:"Effect"`
	Principal any    `json:"Principal,omitempty"`
	Action    any    `json:"Action,omitempty"`
	NotAction any    `json:"NotAction,omitempty"`
	Resource  any    `json:"Resource,omitempty"`
	// Condition maps an operator (StringEquals, ArnLike, Bool, ...) to its
	// keys and values.
	Condition map[string]map[string]any `json:"Condition,omitempty"`
}

// Policy returns a policy document of version 2012-10-17 holding statements.
func Policy(statements ...Statement) *PolicyDocument {
	return &PolicyDocument{Version: "2012-10-17", Statement: statements}
}

// Allow returns an Allow statement of actions on resources. The statement
// holds a copy of actions: the builders run in parallel and often pass
// package-level lists, which must never be shared with a later in-place edit.
func Allow(sid string, actions []string, resources ...any) Statement {
	return Statement{Sid: sid, Effect: "Allow", Action: slices.Clone(actions), Resource: resourceList(resources)}
}

// Deny returns a Deny statement of actions on resources, holding a copy of
// actions as Allow does.
func Deny(sid string, actions []string, resources ...any) Statement {
	return Statement{Sid: sid, Effect: "Deny", Action: slices.Clone(actions), Resource: resourceList(resources)}
}

func resourceList(resources []any) any {
	if len(resources) == 1 {
		return resources[0]
	}
	return resources
}
