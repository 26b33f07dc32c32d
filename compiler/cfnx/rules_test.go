package cfnx

import (
	"encoding/json"
	"testing"
)

func TestRulesDocument(t *testing.T) {
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
			doc, err := tc.rules.Document()
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}
