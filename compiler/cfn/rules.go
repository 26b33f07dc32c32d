package cfn

// Rules is the Rules section of a template (Template.Rules), by rule name.
//
// A rule's assertions are checked when a change set or stack operation is
// created, after the parameters are resolved (SSM parameter types included)
// and before any resource changes: a failed assertion stops the operation
// with the assertion's description.
type Rules map[string]Rule

// Rule is one rule: assertions that must hold, optionally only when
// RuleCondition holds.
type Rule struct {
	// RuleCondition is a rule-specific intrinsic function (Fn::Equals,
	// Fn::Not, ...) or nil to apply the assertions always.
	RuleCondition any `json:"RuleCondition,omitempty"`
	// Assertions are checked in order; at least one.
	Assertions []RuleAssertion `json:"Assertions"`
}

// RuleAssertion is one assertion of a rule.
type RuleAssertion struct {
	// Assert is a rule-specific intrinsic function that yields a boolean
	// (RuleNot, RuleContains, ...).
	Assert any `json:"Assert"`
	// AssertDescription is the message CloudFormation shows when the
	// assertion fails.
	AssertDescription string `json:"AssertDescription,omitempty"`
}

// RuleNot returns {"Fn::Not": [condition]}.
func RuleNot(condition any) map[string]any { return map[string]any{"Fn::Not": []any{condition}} }

// RuleContains returns {"Fn::Contains": [values, value]}: true when value
// is one of values.
func RuleContains(values []string, value any) map[string]any {
	list := make([]any, len(values))
	for i, v := range values {
		list[i] = v
	}
	return map[string]any{"Fn::Contains": []any{list, value}}
}

// RuleRef returns {"Ref": parameter}: in a rule, the value of a parameter
// (for an SSM parameter type, the value resolved from Parameter Store).
func RuleRef(parameter string) map[string]any { return map[string]any{"Ref": parameter} }
