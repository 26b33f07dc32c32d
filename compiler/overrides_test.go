package compiler

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/cicdgen/cicdgen/diag"
)

// diagnosticsOf returns the diagnostics of rule.
func diagnosticsOf(ds diag.Diagnostics, rule string) diag.Diagnostics {
	var out diag.Diagnostics
	for _, d := range ds {
		if d.Rule == rule {
			out = append(out, d)
		}
	}
	return out
}

func TestOverrides(t *testing.T) {
	tests := map[string]struct {
		overrides string
		stack     string
		check     func(t *testing.T, doc map[string]any)
		errors    []string // substrings of the override-failed messages
		lines     []int    // their lines in system.yaml
		columns   []int    // their columns: the operation's path (or from) value
	}{
		"an add operation sets a property": {
			overrides: `  pipeline:
    - {op: add, path: /Resources/Topic/Properties/DisplayName, value: "Builds <main> & more"}
`,
			stack: "unit-pipeline-t",
			check: func(t *testing.T, doc map[string]any) {
				got := doc["Resources"].(map[string]any)["Topic"].(map[string]any)["Properties"].(map[string]any)["DisplayName"]
				if got != "Builds <main> & more" {
					t.Errorf("DisplayName is %v", got)
				}
			},
		},
		"operations apply in order and can change the added deletion policy": {
			overrides: `  ecs-dev:
    - {op: replace, path: /Resources/LogGroup/DeletionPolicy, value: Retain}
    - {op: copy, from: /Resources/LogGroup/DeletionPolicy, path: /Resources/LogGroup/UpdateReplacePolicy}
    - {op: remove, path: /Resources/TopicPolicy}
`,
			stack: "unit-ecs-dev-t",
			check: func(t *testing.T, doc map[string]any) {
				res := doc["Resources"].(map[string]any)
				lg := res["LogGroup"].(map[string]any)
				if lg["DeletionPolicy"] != "Retain" || lg["UpdateReplacePolicy"] != "Retain" {
					t.Errorf("LogGroup is %v", lg)
				}
				if _, ok := res["TopicPolicy"]; ok {
					t.Errorf("TopicPolicy was not removed")
				}
			},
		},
		"a failing operation is an error at its position and the next ones still apply": {
			overrides: `  monitoring:
    - {op: replace, path: /Resources/Nope/Properties/X, value: 1}
    - {op: test, path: /Resources/Topic/Type, value: "AWS::SQS::Queue"}
    - {op: add, path: /Metadata, value: {Owner: me}}
`,
			stack: "unit-monitoring-t",
			check: func(t *testing.T, doc map[string]any) {
				if _, ok := doc["Metadata"]; !ok {
					t.Errorf("the third operation did not apply")
				}
			},
			errors: []string{
				"override replace /Resources/Nope/Properties/X of stack monitoring failed",
				"override test /Resources/Topic/Type of stack monitoring failed",
			},
			lines:   []int{24, 25},
			columns: []int{27, 24},
		},
		"a copy from a missing member is reported at its from": {
			overrides: `  monitoring:
    - {op: copy, from: /Resources/Nope, path: /Resources/Copy}
`,
			stack:   "unit-monitoring-t",
			check:   func(t *testing.T, doc map[string]any) {},
			errors:  []string{"override copy"},
			lines:   []int{24},
			columns: []int{24},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			sys := loadYAML(t, baseSystem+"overrides:\n"+tc.overrides)
			a, ds := compileWith(sys, testStacks(sys, nil))
			failed := diagnosticsOf(ds, "override-failed")
			if len(failed) != len(tc.errors) {
				t.Fatalf("got override-failed %v, want %d", failed, len(tc.errors))
			}
			for i, want := range tc.errors {
				if !strings.Contains(failed[i].Message, want) || failed[i].Severity != diag.Error {
					t.Errorf("diagnostic %d is %q, want an error containing %q", i, failed[i].Message, want)
				}
				if got := failed[i].Range.Start; got.Line != tc.lines[i] || got.Column != tc.columns[i] {
					t.Errorf("diagnostic %d is at %d:%d, want %d:%d", i, got.Line, got.Column, tc.lines[i], tc.columns[i])
				}
			}
			tc.check(t, stackDoc(t, a.Stack(tc.stack)))
		})
	}
}

func TestOperationSummary(t *testing.T) {
	tests := map[string]struct{ in, want string }{
		"an add names its path":          {`{"op":"add","path":"/a","value":1}`, "add /a"},
		"a move names its source":        {`{"op":"move","from":"/a","path":"/b"}`, "move /b from /a"},
		"something else is an operation": {`[1]`, "operation"},
		"an object without op is too":    {`{"path":"/a"}`, "operation"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := operationSummary(json.RawMessage(tc.in)); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestOverridesLeavingAnInvalidTemplate(t *testing.T) {
	tests := map[string]struct {
		overrides string
		want      []string // substrings of the override-invalid messages, in order
	}{
		"a misspelt top-level section": {
			overrides: "  monitoring:\n    - {op: add, path: /Metadat, value: {a: b}}\n",
			want:      []string{`top-level section "Metadat", which CloudFormation does not know; did you mean "Metadata"?`},
		},
		"a misspelt resource attribute": {
			overrides: "  monitoring:\n    - {op: add, path: /Resources/Topic/DeletionPolicie, value: Retain}\n",
			want:      []string{`resource Topic of stack unit-monitoring-t has an attribute "DeletionPolicie"`},
		},
		"a resource left without its Type": {
			overrides: "  monitoring:\n    - {op: remove, path: /Resources/Topic/Type}\n",
			want:      []string{"resource Topic of stack unit-monitoring-t has no Type"},
		},
		"a resource's Metadata that is not an object": {
			overrides: "  monitoring:\n    - {op: add, path: /Resources/Topic/Metadata, value: owner}\n",
			want:      []string{"the Metadata of resource Topic of stack unit-monitoring-t is not an object"},
		},
		"valid overrides are not reported": {
			overrides: "  monitoring:\n    - {op: add, path: /Metadata, value: {Owner: me}}\n",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			sys := loadYAML(t, baseSystem+"overrides:\n"+tc.overrides)
			_, ds := compileWith(sys, testStacks(sys, nil))
			got := diagnosticsOf(ds, "override-invalid")
			if len(got) != len(tc.want) {
				t.Fatalf("got override-invalid %v, want %d", got, len(tc.want))
			}
			for i, want := range tc.want {
				if !strings.Contains(got[i].Message, want) || got[i].Range.Start.Line != 24 || got[i].Path != "$.overrides.monitoring[0].path" {
					t.Errorf("diagnostic %d is %q at line %d (%s), want one containing %q at the operation's path (line 24)", i, got[i].Message, got[i].Range.Start.Line, got[i].Path, want)
				}
			}
		})
	}
}
