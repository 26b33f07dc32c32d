package cfn

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestRulesJSON(t *testing.T) {
	tests := map[string]struct {
		rules Rules
		want  string
	}{
		"an assertion over an SSM parameter, as CDK's bootstrap version check": {
			rules: Rules{"CheckVersion": {Assertions: []RuleAssertion{{
				Assert:            RuleNot(RuleContains([]string{"1", "2"}, RuleRef("Version"))),
				AssertDescription: "too old",
			}}}},
			want: `{"CheckVersion":{"Assertions":[{"Assert":{"Fn::Not":[{"Fn::Contains":[["1","2"],{"Ref":"Version"}]}]},"AssertDescription":"too old"}]}}`,
		},
		"a rule condition is written when given": {
			rules: Rules{"Only": {
				RuleCondition: map[string]any{"Fn::Equals": []any{RuleRef("Env"), "prod"}},
				Assertions:    []RuleAssertion{{Assert: RuleContains([]string{"a"}, RuleRef("X"))}},
			}},
			want: `{"Only":{"Assertions":[{"Assert":{"Fn::Contains":[["a"],{"Ref":"X"}]}}],"RuleCondition":{"Fn::Equals":[{"Ref":"Env"},"prod"]}}}`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			raw, err := json.Marshal(tc.rules)
			if err != nil {
				t.Fatal(err)
			}
			var got, want any
			if err := json.Unmarshal(raw, &got); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(tc.want), &want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("\n got %s\nwant %s", raw, tc.want)
			}
		})
	}
}
