package compiler

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/awslabs/goformation/v7/cloudformation/logs"
	"github.com/awslabs/goformation/v7/cloudformation/sns"
	"github.com/cicdgen/cicdgen/compiler/cfn"

	"github.com/cicdgen/cicdgen/schema"
)

// baseSystem is a small valid system.yaml; tests append to it.
const baseSystem = `version: 1
name: unit
suffix: t
region: us-east-1
tags:
  team: core
accounts:
  tooling: "401234567890"
  dev: "401234567891"
  prod:
    id: "401234567892"
    role: arn:aws:iam::401234567892:role/deployer
source:
  connection: arn:aws:codeconnections:us-east-1:401234567890:connection/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d
  repository: unit/app
service:
  name: app
  port: 8080
environments:
  - {name: dev, account: dev}
  - {name: euprod, account: prod, region: eu-west-1, protect: true, service: {secrets: {TOKEN: managed}}}
`

// loadYAML loads system.yaml text and fails on errors.
func loadYAML(t testing.TB, src string) *schema.System {
	t.Helper()
	sys, ds := schema.Load("system.yaml", []byte(src))
	if ds.HasErrors() || sys == nil {
		t.Fatalf("load:\n%s", ds.Error())
	}
	return sys
}

// testTemplate returns a small template for stack k: a topic whose name
// and policy use intrinsic functions, and for protected environments' ecs
// stacks a log group the builder retains.
func testTemplate(k stackKind) (*cfn.Template, map[string]Parameter) {
	t := cfn.NewTemplate()
	t.Resources["Topic"] = &sns.Topic{
		TopicName: cfn.SubPtr("${AWS::StackName}-" + testTopicName(k)),
	}
	t.Resources["TopicPolicy"] = &sns.TopicPolicy{
		Topics: []string{cfn.Ref("Topic")},
		PolicyDocument: map[string]any{
			"Version": "2012-10-17",
			"Statement": []any{map[string]any{
				"Effect": "Allow", "Action": "sns:Publish", "Principal": map[string]any{"Service": "events.amazonaws.com"},
				// A plain-map intrinsic: it must stay unevaluated.
				"Resource": map[string]any{"Ref": "Topic"},
				"Condition": map[string]any{"StringEquals": map[string]any{
					"aws:SourceAccount": map[string]any{"Ref": "AWS::AccountId"},
					"aws:SourceArn":     "arn:aws:events:<region>:rule/a&b",
				}},
			}},
		},
	}
	switch k := k.(type) {
	case pipelineStack:
		return t, map[string]Parameter{"ArtifactKeyArnEuWest1": {FromOutput: &OutputRef{Stack: "unit-artifacts-eu-west-1-t", Output: "ArtifactKeyArn"}}}
	case ecsStack:
		lg := &logs.LogGroup{LogGroupName: cfn.String("/ecs/" + k.env.Name)}
		if k.env.Protect {
			lg.AWSCloudFormationDeletionPolicy = "Retain"
		}
		t.Resources["LogGroup"] = lg
		return t, map[string]Parameter{"Flavor": {Value: "plain"}}
	}
	return t, nil
}

// testTopicName names the topic of testTemplate: the kind without its
// environment.
func testTopicName(k stackKind) string {
	if env := k.environment(); env != nil {
		return strings.TrimSuffix(k.kind(), "-"+env.Name)
	}
	return k.kind()
}

// testStack is a stack of a system whose template comes from build
// instead of its kind's builder.
type testStack struct {
	stackKind
	build func(stackKind) (*cfn.Template, map[string]Parameter)
}

func (s testStack) template() (*cfn.Template, map[string]Parameter, error) {
	t, params := s.build(s.stackKind)
	return t, params, nil
}

func (s testStack) pipelineDeployed() bool {
	p, ok := s.stackKind.(pipelineDeployed)
	return ok && p.pipelineDeployed()
}

// testStacks returns the stacks of sys with templates made by build
// (testTemplate when nil): the orchestration is Compile's own.
func testStacks(sys *schema.System, build func(stackKind) (*cfn.Template, map[string]Parameter)) []stackKind {
	if build == nil {
		build = testTemplate
	}
	var out []stackKind
	for _, k := range stacksOf(sys) {
		out = append(out, testStack{stackKind: k, build: build})
	}
	return out
}

// stackDoc decodes a stack's body.
func stackDoc(t *testing.T, s *Stack) map[string]any {
	t.Helper()
	v, err := decodeJSON(s.Body)
	if err != nil {
		t.Fatalf("%s: %v", s.Name, err)
	}
	return v.(map[string]any)
}

func TestCompileOrdersStacksAndSetsWhereTheyGo(t *testing.T) {
	sys := loadYAML(t, baseSystem)
	a, ds := compileWith(sys, testStacks(sys, nil))
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	type where struct {
		name, kind, env, account, region string
		deps                             []string
		protect                          bool
	}
	want := []where{
		{"unit-pipeline-t", "pipeline", "", "tooling", "us-east-1", []string{"unit-artifacts-eu-west-1-t", "unit-ecs-dev-t", "unit-ecs-euprod-t", "unit-roles-dev-t", "unit-roles-euprod-t", "unit-secrets-euprod-t"}, false},
		{"unit-monitoring-t", "monitoring", "", "tooling", "us-east-1", []string{"unit-pipeline-t"}, false},
		{"unit-artifacts-eu-west-1-t", "artifacts-eu-west-1", "", "tooling", "eu-west-1", []string{}, false},
		{"unit-roles-dev-t", "roles-dev", "dev", "dev", "us-east-1", []string{}, false},
		{"unit-ecs-dev-t", "ecs-dev", "dev", "dev", "us-east-1", []string{"unit-roles-dev-t"}, false},
		{"unit-roles-euprod-t", "roles-euprod", "euprod", "prod", "eu-west-1", []string{}, true},
		{"unit-secrets-euprod-t", "secrets-euprod", "euprod", "prod", "eu-west-1", []string{"unit-roles-euprod-t"}, true},
		{"unit-ecs-euprod-t", "ecs-euprod", "euprod", "prod", "eu-west-1", []string{"unit-roles-euprod-t", "unit-secrets-euprod-t"}, true},
	}
	if len(a.Stacks) != len(want) {
		t.Fatalf("got %d stacks, want %d", len(a.Stacks), len(want))
	}
	for i, w := range want {
		s := a.Stacks[i]
		got := where{s.Name, s.Kind, s.Environment, s.Account.Key, s.Region, s.DependsOn, s.TerminationProtection}
		if !reflect.DeepEqual(got, w) {
			t.Errorf("stack %d is %+v, want %+v", i, got, w)
		}
		if a.Stack(w.name) != s {
			t.Errorf("Assembly.Stack(%q) does not find stack %d", w.name, i)
		}
	}
	if got := a.Stacks[7].Account.Role; got != "arn:aws:iam::401234567892:role/deployer" {
		t.Errorf("the prod account's role is %q", got)
	}
}

func TestCompileTagsEveryStack(t *testing.T) {
	sys := loadYAML(t, baseSystem)
	a, _ := compileWith(sys, testStacks(sys, nil))
	tests := map[string]struct {
		stack string
		want  map[string]string
	}{
		"a tooling stack has the system tags and the cicdgen system and suffix": {
			stack: "unit-pipeline-t",
			want:  map[string]string{"team": "core", "cicdgen:system": "unit", "cicdgen:suffix": "t"},
		},
		"an environment stack also names its environment": {
			stack: "unit-secrets-euprod-t",
			want:  map[string]string{"team": "core", "cicdgen:system": "unit", "cicdgen:suffix": "t", "cicdgen:environment": "euprod"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := a.Stack(tc.stack).Tags; !reflect.DeepEqual(got, tc.want) {
				t.Errorf("tags are %v, want %v", got, tc.want)
			}
		})
	}
}

func TestCompileRendersTheTemplateBody(t *testing.T) {
	sys := loadYAML(t, baseSystem)
	a, _ := compileWith(sys, testStacks(sys, nil))
	prod := a.Stack("unit-ecs-euprod-t")
	doc := stackDoc(t, prod)
	resources := doc["Resources"].(map[string]any)
	tests := map[string]struct {
		got, want any
	}{
		"a resource without a deletion policy gets Delete": {
			got: resources["Topic"].(map[string]any)["DeletionPolicy"], want: "Delete",
		},
		"a deletion policy the builder set is kept": {
			got: resources["LogGroup"].(map[string]any)["DeletionPolicy"], want: "Retain",
		},
		"goformation's encoded intrinsic functions are expanded": {
			got:  resources["Topic"].(map[string]any)["Properties"].(map[string]any)["TopicName"],
			want: map[string]any{"Fn::Sub": "${AWS::StackName}-ecs"},
		},
		"intrinsic functions written as maps stay unevaluated": {
			got:  resources["TopicPolicy"].(map[string]any)["Properties"].(map[string]any)["PolicyDocument"].(map[string]any)["Statement"].([]any)[0].(map[string]any)["Condition"].(map[string]any)["StringEquals"].(map[string]any)["aws:SourceAccount"],
			want: map[string]any{"Ref": "AWS::AccountId"},
		},
		"builder parameters become the stack's parameters": {
			got: prod.Parameters, want: map[string]Parameter{"Flavor": {Value: "plain"}},
		},
		"a builder without parameters gives an empty map": {
			got: a.Stack("unit-roles-dev-t").Parameters, want: map[string]Parameter{},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if !reflect.DeepEqual(tc.got, tc.want) {
				t.Errorf("got %#v, want %#v", tc.got, tc.want)
			}
		})
	}
	t.Run("the body is canonical JSON without HTML escapes", func(t *testing.T) {
		body := prod.Body
		if !bytes.HasSuffix(body, []byte("}\n")) || bytes.HasSuffix(body, []byte("\n\n")) {
			t.Errorf("the body does not end in one newline")
		}
		if !bytes.Contains(body, []byte(`"arn:aws:events:<region>:rule/a&b"`)) || bytes.Contains(body, []byte(`\u003c`)) {
			t.Errorf("the body escapes < or &")
		}
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatal(err)
		}
		again, err := canonicalJSON(v)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again, body) {
			t.Errorf("re-encoding the body changes it: keys are not sorted or indentation is not two spaces")
		}
		if !bytes.Contains(body, []byte("\n  \"Resources\": {\n    \"LogGroup\": {")) {
			t.Errorf("the body is not indented by two spaces:\n%s", body[:200])
		}
	})
}

// encodingJSON is what canonicalJSON's fast path must reproduce.
func encodingJSON(t *testing.T, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestCanonicalJSONMatchesEncodingJSON(t *testing.T) {
	tests := map[string]any{
		"strings with every escape": map[string]any{
			"s":       "quote\" back\\ \b\f\n\r\t \x00\x1f\x7f <a>&b é \u2028\u2029 \xff invalid 😀",
			"\x01key": []any{"x"},
		},
		"empty and nested containers": map[string]any{
			"a": []any{}, "b": map[string]any{}, "c": []any{[]any{}, map[string]any{"d": nil}},
		},
		"numbers and booleans": map[string]any{
			"n": []any{json.Number("5"), json.Number("-1.25e3"), true, false, nil},
		},
	}
	for name, v := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := canonicalJSON(v)
			if err != nil {
				t.Fatal(err)
			}
			if want := encodingJSON(t, v); !bytes.Equal(got, want) {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
		})
	}
	t.Run("every golden stack", func(t *testing.T) {
		for name, s := range goldenStacks(t) {
			v, err := decodeJSON(s.Body)
			if err != nil {
				t.Fatal(err)
			}
			if want := encodingJSON(t, v); !bytes.Equal(s.Body, want) {
				t.Errorf("%s: the body differs from encoding/json's:\n%s", name, firstDifference(want, s.Body))
			}
		}
	})
}

func TestCompactJSONMatchesEncodingJSON(t *testing.T) {
	v := map[string]any{"a": []any{"x<y", json.Number("1"), map[string]any{}, []any{}, nil, true}, "b": map[string]any{"c": "\u2028"}}
	got, err := compactJSON(v)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	if want := bytes.TrimSuffix(buf.Bytes(), []byte("\n")); !bytes.Equal(got, want) {
		t.Errorf("got %s, want %s", got, want)
	}
}
