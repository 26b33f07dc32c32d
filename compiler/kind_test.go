package compiler

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/cicdgen/cicdgen/compiler/cfn"

	"github.com/cicdgen/cicdgen/schema"
)

// TestStackKindsAgreeWithSchema holds the registered kinds (kind.go) to the
// kinds schema's override check accepts: a kind registered in one place but
// not the other would compile a stack users cannot override, or accept
// overrides of a stack that does not exist.
func TestStackKindsAgreeWithSchema(t *testing.T) {
	systems := map[string]*schema.System{"the unit test system": loadYAML(t, baseSystem)}
	for _, c := range goldenCases(t) {
		systems[c.name] = loadSystem(t, c.system)
	}
	for name, sys := range systems {
		t.Run(name, func(t *testing.T) {
			var got []string
			for _, k := range stacksOf(sys) {
				got = append(got, k.kind())
			}
			if want := schema.StackKinds(sys); !reflect.DeepEqual(got, want) {
				t.Errorf("the compiler's stacks are %v, schema.StackKinds says %v", got, want)
			}
		})
	}
}

// TestStackKindsPlaceTheirStacks checks each kind's environment and region
// against the system it comes from.
func TestStackKindsPlaceTheirStacks(t *testing.T) {
	sys := loadYAML(t, baseSystem)
	for _, k := range stacksOf(sys) {
		env := k.environment()
		switch {
		case env == nil && strings.HasPrefix(k.kind(), "artifacts-"):
			if want := strings.TrimPrefix(k.kind(), "artifacts-"); k.region() != want {
				t.Errorf("%s is in %s, want %s", k.kind(), k.region(), want)
			}
		case env == nil:
			if k.region() != sys.Region {
				t.Errorf("%s is in %s, want the home region %s", k.kind(), k.region(), sys.Region)
			}
		default:
			if !strings.HasSuffix(k.kind(), "-"+env.Name) || k.region() != env.Region {
				t.Errorf("%s of environment %s is in %s, want %s", k.kind(), env.Name, k.region(), env.Region)
			}
		}
	}
}

// failingStack is a stack whose builder fails.
type failingStack struct{ stackKind }

func (failingStack) template() (*cfn.Template, map[string]Parameter, error) {
	return nil, nil, errors.New("the builder broke")
}

func TestCompileReportsABuilderError(t *testing.T) {
	sys := loadYAML(t, baseSystem)
	stacks := testStacks(sys, nil)
	stacks[1] = failingStack{stacks[1]}
	a, ds := compileWith(sys, stacks)
	if !ds.HasErrors() || !strings.Contains(ds.Error(), "stack unit-monitoring-t: the builder broke") {
		t.Errorf("diagnostics are %v, want the builder's error", ds)
	}
	if a.Stack("unit-monitoring-t") != nil || len(a.Stacks) != len(stacks)-1 {
		t.Errorf("the failed stack is in the assembly, or others are missing: %d stacks", len(a.Stacks))
	}
}

func TestPipeParameterOverrides(t *testing.T) {
	sys := loadYAML(t, baseSystem)
	tests := map[string]struct{ region, key string }{
		"an environment of the home region reads ImageURI":              {sys.Region, "ImageURI"},
		"an environment of another region reads its region's own image": {"eu-west-1", "ImageURI_eu_west_1"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			overrides, err := pipeParameterOverrides(sys, tc.region)
			if err != nil {
				t.Fatal(err)
			}
			var got any
			if err := json.Unmarshal([]byte(overrides), &got); err != nil {
				t.Fatalf("%s is not JSON: %v", overrides, err)
			}
			want := map[string]any{"ImageUri": map[string]any{"Fn::GetParam": []any{pipeBuildArtifact, pipeImageDetail, tc.key}}}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
}
