package compiler

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/awslabs/goformation/v7/cloudformation"

	"github.com/cicdgen/cicdgen/schema"
)

// envYAML is the system.yaml of the environment-stack tests. The
// placeholders are replaced by envSystem: %SERVICE% (extra keys of service),
// %NETWORK% (the network block's keys), %ENVS% (the environments) and
// %ROLES% (the roles block).
const envYAML = `version: 1
name: shop
suffix: dev
region: us-east-1
accounts:
  tooling: "210987654321"
  dev: "310987654321"
  prod: "410987654321"
source:
  connection: arn:aws:codestar-connections:us-east-1:210987654321:connection/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b
  repository: acme/shop
service:
  name: web
  port: 8080
  health_check: /health
%SERVICE%
network:
  cidr: 10.20.0.0/16
%NETWORK%
environments:
%ENVS%
%ROLES%
`

// envCase describes a test system by what differs from envYAML's defaults.
type envCase struct {
	service string // extra lines under service:, indented by two spaces
	network string // lines under network:, indented by two spaces
	envs    string // the environments' items; default one dev environment
	roles   string // a roles: block
}

// envSystem loads the system of c with schema.Load and fails the test on
// any error diagnostic.
func envSystem(t *testing.T, c envCase) *schema.System {
	t.Helper()
	envs := c.envs
	if envs == "" {
		envs = "  - name: dev\n    account: dev\n"
	}
	src := strings.NewReplacer(
		"%SERVICE%", strings.TrimRight(c.service, "\n"),
		"%NETWORK%", strings.TrimRight(c.network, "\n"),
		"%ENVS%", strings.TrimRight(envs, "\n"),
		"%ROLES%", strings.TrimRight(c.roles, "\n"),
	).Replace(envYAML)
	sys, ds := schema.Load("system.yaml", []byte(src))
	if ds.HasErrors() || sys == nil {
		t.Fatalf("load test system: %v\n%s", ds, src)
	}
	return sys
}

// envBuild runs build for environment env of sys and returns the rendered
// template document, checked against the resource provider schemas.
func envBuild(t *testing.T, sys *schema.System, env string,
	build func(*schema.System, *schema.Environment) (*cloudformation.Template, map[string]Parameter)) map[string]any {
	t.Helper()
	for i := range sys.Environments {
		if sys.Environments[i].Name == env {
			tmpl, _ := build(sys, &sys.Environments[i])
			doc, err := templateDocument(tmpl)
			if err != nil {
				t.Fatalf("render template: %v", err)
			}
			envCheckSchemas(t, doc)
			return envRoundTrip(t, doc)
		}
	}
	t.Fatalf("no environment %q", env)
	return nil
}

// envRoundTrip turns json.Number values into float64 and typed slices into
// []any, so that tests compare plain JSON values.
func envRoundTrip(t *testing.T, doc map[string]any) map[string]any {
	t.Helper()
	raw, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// envResource returns resource id of doc, failing when it is missing.
func envResource(t *testing.T, doc map[string]any, id string) map[string]any {
	t.Helper()
	r, ok := doc["Resources"].(map[string]any)[id].(map[string]any)
	if !ok {
		t.Fatalf("no resource %s; have %v", id, envResourceIDs(doc))
	}
	return r
}

// envProps returns the Properties of resource id.
func envProps(t *testing.T, doc map[string]any, id string) map[string]any {
	t.Helper()
	p, _ := envResource(t, doc, id)["Properties"].(map[string]any)
	return p
}

// envHas reports whether doc has resource id.
func envHas(doc map[string]any, id string) bool {
	_, ok := doc["Resources"].(map[string]any)[id]
	return ok
}

// envResourceIDs lists the logical ids of doc, sorted.
func envResourceIDs(doc map[string]any) []string {
	var ids []string
	for id := range doc["Resources"].(map[string]any) {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// envJSON is the compact JSON of v, for comparisons and messages.
func envJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("<%v>", err)
	}
	return string(b)
}

// envStatements returns the statements of the inline policies of role id.
func envStatements(t *testing.T, doc map[string]any, id string) []map[string]any {
	t.Helper()
	var out []map[string]any
	policies, _ := envProps(t, doc, id)["Policies"].([]any)
	for _, p := range policies {
		for _, s := range p.(map[string]any)["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			out = append(out, s.(map[string]any))
		}
	}
	return out
}

// envList returns v as a list of values: a lone value becomes a list of one.
func envList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	if v == nil {
		return nil
	}
	return []any{v}
}

// --- checking resources against the CloudFormation resource provider schemas ---

// envSchemas loads the complete resource provider schemas of ../shared (the
// project's shared/ folder, which CI lays beside the clone) once for all tests.
var envSchemas = sync.OnceValues(func() (map[string]map[string]any, error) {
	f, err := os.Open("../../shared/cfn-schemas/cfn-resource-schemas.json.gz")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	var all map[string]map[string]any
	if err := json.NewDecoder(z).Decode(&all); err != nil {
		return nil, err
	}
	return all, nil
})

// envSchemasMissing ends a test that needs ../shared/cfn-schemas when it is
// not there: a failure in CI (CI=true), where shared/ always lies beside the
// clone, a skip elsewhere (a clone of the repository alone).
func envSchemasMissing(t *testing.T, err error) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("resource provider schemas unavailable in CI: %v", err)
	}
	t.Skipf("resource provider schemas unavailable (../shared/cfn-schemas): %v", err)
}

// envCheckSchemas checks every resource of doc against its type's provider
// schema: known type, known properties, required properties present, no
// read-only property, and values of the declared JSON types and enums
// (intrinsic functions are accepted wherever a value is expected).
func envCheckSchemas(t *testing.T, doc map[string]any) {
	t.Helper()
	all, err := envSchemas()
	if err != nil {
		envSchemasMissing(t, err)
	}
	for _, e := range envSchemaErrors(all, envRoundTrip(t, doc)) {
		t.Error(e)
	}
}

// envSchemaErrors returns the problems envCheckSchemas reports, one a line.
func envSchemaErrors(all map[string]map[string]any, doc map[string]any) []string {
	var errs []string
	for _, id := range envResourceIDs(doc) {
		r := doc["Resources"].(map[string]any)[id].(map[string]any)
		typ, _ := r["Type"].(string)
		s, ok := all[typ]
		if !ok {
			errs = append(errs, fmt.Sprintf("%s: unknown resource type %s", id, typ))
			continue
		}
		props, _ := r["Properties"].(map[string]any)
		if props == nil {
			props = map[string]any{}
		}
		readOnly := map[string]bool{}
		for _, p := range envStrings(s["readOnlyProperties"]) {
			readOnly[strings.TrimPrefix(p, "/properties/")] = true
		}
		for _, name := range envKeys(props) {
			if readOnly[name] {
				errs = append(errs, fmt.Sprintf("%s (%s): read-only property %s is set", id, typ, name))
			}
		}
		var es []string
		envCheckValue(s, s, props, "Properties", &es)
		for _, e := range es {
			errs = append(errs, fmt.Sprintf("%s (%s): %s", id, typ, e))
		}
	}
	return errs
}

// envKeys returns the keys of m, sorted.
func envKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func envStrings(v any) []string {
	var out []string
	for _, x := range envList(v) {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// envIsIntrinsic reports whether v is an intrinsic function object.
func envIsIntrinsic(v any) bool {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return false
	}
	for k := range m {
		return k == "Ref" || strings.HasPrefix(k, "Fn::")
	}
	return false
}

// envCheckValue checks v against schema node s of the provider schema root.
func envCheckValue(root, s map[string]any, v any, path string, errs *[]string) {
	envCheckNode(root, s, v, path, path, errs)
}

// envCheckNode is envCheckValue below the top path top, where unknown
// properties are always errors.
func envCheckNode(root, s map[string]any, v any, path, top string, errs *[]string) {
	if ref, ok := s["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/definitions/")
		def, ok := root["definitions"].(map[string]any)[name].(map[string]any)
		if !ok {
			*errs = append(*errs, fmt.Sprintf("%s: unresolvable $ref %s", path, ref))
			return
		}
		s = def
	}
	if envIsIntrinsic(v) {
		return
	}
	types := envStrings(s["type"])
	if len(types) == 0 {
		if _, ok := s["properties"]; ok {
			types = []string{"object"}
		}
	}
	if len(types) > 0 && !envTypeMatches(types, v) {
		*errs = append(*errs, fmt.Sprintf("%s: %s is not of type %v", path, envJSON(v), types))
		return
	}
	if enum, ok := s["enum"].([]any); ok {
		found := false
		for _, e := range enum {
			if envJSON(e) == envJSON(v) {
				found = true
			}
		}
		if !found {
			*errs = append(*errs, fmt.Sprintf("%s: %s is not one of %s", path, envJSON(v), envJSON(enum)))
		}
	}
	switch v := v.(type) {
	case map[string]any:
		props, hasProps := s["properties"].(map[string]any)
		for _, req := range envStrings(s["required"]) {
			if _, ok := v[req]; !ok {
				*errs = append(*errs, fmt.Sprintf("%s: required property %s is missing", path, req))
			}
		}
		if !hasProps {
			return
		}
		for k, x := range v {
			ps, ok := props[k].(map[string]any)
			if !ok {
				if s["additionalProperties"] == false || path == top {
					*errs = append(*errs, fmt.Sprintf("%s: unknown property %s", path, k))
				}
				continue
			}
			envCheckNode(root, ps, x, path+"."+k, top, errs)
		}
	case []any:
		items, ok := s["items"].(map[string]any)
		if !ok {
			return
		}
		for i, x := range v {
			envCheckNode(root, items, x, fmt.Sprintf("%s[%d]", path, i), top, errs)
		}
	}
}

// envTypeMatches reports whether v has one of the JSON types. CloudFormation
// converts scalars to the declared type, so a string may stand for a number
// or boolean and a number for a string; objects and arrays must match.
func envTypeMatches(types []string, v any) bool {
	for _, typ := range types {
		switch typ {
		case "object":
			if _, ok := v.(map[string]any); ok {
				return true
			}
		case "array":
			if _, ok := v.([]any); ok {
				return true
			}
		case "string", "integer", "number", "boolean":
			switch v.(type) {
			case string, float64, bool:
				return true
			}
		}
	}
	return false
}

func TestEnvSchemaCheckFindsProblems(t *testing.T) {
	all, err := envSchemas()
	if err != nil {
		envSchemasMissing(t, err)
	}
	tests := map[string]struct {
		resource string
		want     string
	}{
		"an unknown property is reported": {
			resource: `{"Type":"AWS::Logs::LogGroup","Properties":{"RetentionDays":30}}`,
			want:     "unknown property RetentionDays",
		},
		"a read-only property is reported": {
			resource: `{"Type":"AWS::Logs::LogGroup","Properties":{"Arn":"x"}}`,
			want:     "read-only property Arn",
		},
		"a missing required property is reported": {
			resource: `{"Type":"AWS::EC2::FlowLog","Properties":{"ResourceType":"VPC"}}`,
			want:     "required property ResourceId is missing",
		},
		"a value outside the enum is reported": {
			resource: `{"Type":"AWS::ECS::Service","Properties":{"DeploymentConfiguration":{"Strategy":"SIDEWAYS"}}}`,
			want:     `"SIDEWAYS" is not one of`,
		},
		"an object where a list belongs is reported": {
			resource: `{"Type":"AWS::ECS::Service","Properties":{"LoadBalancers":{"ContainerName":"web"}}}`,
			want:     "is not of type [array]",
		},
		"an unknown property of a nested definition is reported": {
			resource: `{"Type":"AWS::ECS::Service","Properties":{"LoadBalancers":[{"AdvancedConfiguration":{"AlternateTargetGroupArn":"a","Alternate":"b"}}]}}`,
			want:     "unknown property Alternate",
		},
		"an unknown resource type is reported": {
			resource: `{"Type":"AWS::ECS::Servise","Properties":{}}`,
			want:     "unknown resource type",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var r map[string]any
			if err := json.Unmarshal([]byte(tc.resource), &r); err != nil {
				t.Fatal(err)
			}
			errs := envSchemaErrors(all, map[string]any{"Resources": map[string]any{"R": r}})
			if !strings.Contains(strings.Join(errs, "\n"), tc.want) {
				t.Errorf("errors %q do not mention %q", errs, tc.want)
			}
		})
	}
}

// envDependsOn reports whether resource from is created after resource to:
// through its DependsOn or a Ref or Fn::GetAtt in its properties.
func envDependsOn(t *testing.T, doc map[string]any, from, to string) bool {
	t.Helper()
	r := envResource(t, doc, from)
	if slices.Contains(envStrings(r["DependsOn"]), to) {
		return true
	}
	var refers func(v any) bool
	refers = func(v any) bool {
		switch v := v.(type) {
		case map[string]any:
			if v["Ref"] == to {
				return true
			}
			if ga, ok := v["Fn::GetAtt"].([]any); ok && len(ga) > 0 && ga[0] == to {
				return true
			}
			for _, x := range v {
				if refers(x) {
					return true
				}
			}
		case []any:
			for _, x := range v {
				if refers(x) {
					return true
				}
			}
		}
		return false
	}
	return refers(r["Properties"])
}
