package cfnx

import (
	"encoding/json"
	"fmt"
)

// Integer is an integer property value: a literal, or an Fn::If that chooses
// between two literals on a template condition. goformation types integer
// properties as *int, which cannot hold an intrinsic function; properties of
// this package that need one use *Integer.
type Integer struct {
	literal   int
	condition string // "" for a literal
	ifTrue    int
	ifFalse   int
}

// Int returns the literal n.
func Int(n int) *Integer { return &Integer{literal: n} }

// IntIf returns {"Fn::If": [condition, ifTrue, ifFalse]}.
func IntIf(condition string, ifTrue, ifFalse int) *Integer {
	return &Integer{condition: condition, ifTrue: ifTrue, ifFalse: ifFalse}
}

// Literal returns the value and true when i is a literal.
func (i Integer) Literal() (int, bool) { return i.literal, i.condition == "" }

// Condition returns the condition and both branches when i is an Fn::If.
func (i Integer) Condition() (condition string, ifTrue, ifFalse int, ok bool) {
	return i.condition, i.ifTrue, i.ifFalse, i.condition != ""
}

// MarshalJSON writes the literal or the Fn::If object.
func (i Integer) MarshalJSON() ([]byte, error) {
	if i.condition == "" {
		return json.Marshal(i.literal)
	}
	b, err := json.Marshal(map[string][]any{"Fn::If": {i.condition, i.ifTrue, i.ifFalse}})
	if err != nil {
		return nil, fmt.Errorf("marshal Fn::If on %s: %w", i.condition, err)
	}
	return b, nil
}
