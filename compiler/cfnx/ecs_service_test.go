package cfnx

import (
	"compress/gzip"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/awslabs/goformation/v7/cloudformation"
	"github.com/awslabs/goformation/v7/cloudformation/ecs"
)

func TestECSServiceMarshalJSON(t *testing.T) {
	tests := map[string]struct {
		service ECSService
		want    string
	}{
		"an empty service has a type and empty properties": {
			service: ECSService{},
			want:    `{"Type":"AWS::ECS::Service","Properties":{}}`,
		},
		"resource attributes are written beside the properties": {
			service: ECSService{
				ServiceName: cloudformation.String("web"),
				ResourceAttributes: ResourceAttributes{
					AWSCloudFormationDependsOn:           []string{"Listener"},
					AWSCloudFormationDeletionPolicy:      "Retain",
					AWSCloudFormationUpdateReplacePolicy: "Retain",
					AWSCloudFormationCondition:           "Enabled",
					AWSCloudFormationMetadata:            map[string]any{"k": "v"},
				},
			},
			want: `{"Type":"AWS::ECS::Service","Properties":{"ServiceName":"web"},"DependsOn":["Listener"],"Metadata":{"k":"v"},"DeletionPolicy":"Retain","UpdateReplacePolicy":"Retain","Condition":"Enabled"}`,
		},
		"blue/green properties goformation lacks are written": {
			service: ECSService{
				DesiredCount: IntIf("HasImage", 2, 0),
				DeploymentConfiguration: &ECSServiceDeploymentConfiguration{
					Strategy:            cloudformation.String(StrategyCanary),
					BakeTimeInMinutes:   cloudformation.Int(0),
					CanaryConfiguration: &ECSServiceCanaryConfiguration{CanaryPercent: floatPtr(10), CanaryBakeTimeInMinutes: cloudformation.Int(5)},
				},
				LoadBalancers: []ECSServiceLoadBalancer{{
					ContainerName: cloudformation.String("web"),
					AdvancedConfiguration: &ECSServiceAdvancedConfiguration{
						AlternateTargetGroupArn: "green",
						RoleArn:                 cloudformation.String("role"),
					},
				}},
				DeploymentController: &ecs.Service_DeploymentController{Type: cloudformation.String("ECS")},
			},
			want: `{"Type":"AWS::ECS::Service","Properties":{"DeploymentConfiguration":{"BakeTimeInMinutes":0,"CanaryConfiguration":{"CanaryBakeTimeInMinutes":5,"CanaryPercent":10},"Strategy":"CANARY"},"DeploymentController":{"Type":"ECS"},"DesiredCount":{"Fn::If":["HasImage",2,0]},"LoadBalancers":[{"AdvancedConfiguration":{"AlternateTargetGroupArn":"green","RoleArn":"role"},"ContainerName":"web"}]}}`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := json.Marshal(tc.service)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("\n got %s\nwant %s", got, tc.want)
			}
			// The pointer, as a template's Resources hold it, marshals the same.
			p, err := json.Marshal(&tc.service)
			if err != nil {
				t.Fatal(err)
			}
			if string(p) != tc.want {
				t.Errorf("pointer marshals differently: %s", p)
			}
		})
	}
}

func TestECSServiceIsAGoformationResource(t *testing.T) {
	tmpl := cloudformation.NewTemplate()
	tmpl.Resources["Service"] = &ECSService{ServiceName: cloudformation.String("web")}
	out, err := tmpl.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Resources map[string]struct {
			Type       string
			Properties map[string]any
		}
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	r := doc.Resources["Service"]
	if r.Type != "AWS::ECS::Service" || r.Properties["ServiceName"] != "web" {
		t.Errorf("in a template the service is %+v", r)
	}
}

func TestInteger(t *testing.T) {
	tests := map[string]struct {
		value *Integer
		want  string
	}{
		"a literal is a number":                 {Int(3), `3`},
		"zero is written":                       {Int(0), `0`},
		"a conditional is an Fn::If of numbers": {IntIf("HasImage", 4, 0), `{"Fn::If":["HasImage",4,0]}`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := json.Marshal(tc.value)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
	if n, ok := Int(7).Literal(); !ok || n != 7 {
		t.Errorf("Int(7).Literal() = %d, %v", n, ok)
	}
	if c, a, b, ok := IntIf("C", 1, 2).Condition(); !ok || c != "C" || a != 1 || b != 2 {
		t.Errorf("IntIf condition = %s %d %d %v", c, a, b, ok)
	}
}

// TestTypesMatchProviderSchemas checks every JSON property name of the
// resource types of this package, and of the types they are made of,
// against the resource provider schemas: a Go type named <Prefix><X> (this
// package) or <Resource>_<X> (goformation) is the schema's definition X.
func TestTypesMatchProviderSchemas(t *testing.T) {
	f, err := os.Open("../../../shared/cfn-schemas/cfn-resource-schemas.json.gz")
	if err != nil {
		// shared/ lies beside the clone in CI: its absence there is a failure.
		if os.Getenv("CI") != "" {
			t.Fatalf("resource provider schemas unavailable in CI: %v", err)
		}
		t.Skipf("resource provider schemas unavailable (../shared/cfn-schemas): %v", err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var all map[string]providerSchema
	if err := json.NewDecoder(z).Decode(&all); err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		resource    any
		typ         string
		prefixes    []string // Go type name prefixes stripped to get a definition name
		wantChecked []string
	}{
		"ECSService matches AWS::ECS::Service": {
			resource: ECSService{}, typ: "AWS::ECS::Service", prefixes: []string{"ECSService", "Service_"},
			wantChecked: []string{"ECSServiceAdvancedConfiguration", "ECSServiceCanaryConfiguration", "ECSServiceDeploymentConfiguration", "ECSServiceLinearConfiguration", "ECSServiceLoadBalancer"},
		},
		"ECSTaskDefinition matches AWS::ECS::TaskDefinition": {
			resource: ECSTaskDefinition{}, typ: "AWS::ECS::TaskDefinition", prefixes: []string{"ECS", "TaskDefinition_"},
			wantChecked: []string{"ECSContainerDefinition", "TaskDefinition_RepositoryCredentials", "TaskDefinition_ContainerDefinition"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s, ok := all[tc.typ]
			if !ok {
				t.Fatalf("no schema of %s", tc.typ)
			}
			checked := checkSchema(t, s, reflect.TypeOf(tc.resource), tc.prefixes)
			for _, want := range tc.wantChecked {
				if !checked[want] {
					t.Errorf("%s was not checked; checked %v", want, checked)
				}
			}
		})
	}
}

// providerSchema is the part of a resource provider schema the test reads.
type providerSchema struct {
	Properties  map[string]json.RawMessage
	Definitions map[string]struct {
		Properties map[string]json.RawMessage
	}
	ReadOnlyProperties []string
}

// checkSchema checks root (a resource type) against s and returns the names
// of the Go types it checked.
func checkSchema(t *testing.T, s providerSchema, root reflect.Type, prefixes []string) map[string]bool {
	readOnly := map[string]bool{}
	for _, p := range s.ReadOnlyProperties {
		readOnly[strings.TrimPrefix(p, "/properties/")] = true
	}
	seen := map[string]bool{}
	var check func(typ reflect.Type, props map[string]json.RawMessage, where string)
	check = func(typ reflect.Type, props map[string]json.RawMessage, where string) {
		seen[typ.Name()] = true
		for i := 0; i < typ.NumField(); i++ {
			field := typ.Field(i)
			if field.Anonymous {
				check(field.Type, props, where)
				continue
			}
			name, _, _ := strings.Cut(field.Tag.Get("json"), ",")
			if name == "" || name == "-" {
				continue
			}
			if _, ok := props[name]; !ok {
				t.Errorf("%s.%s (%s) is not a property of the schema's %s", typ.Name(), field.Name, name, where)
			}
			if where == "resource" && readOnly[name] {
				t.Errorf("%s.%s (%s) is read-only", typ.Name(), field.Name, name)
			}
			ft := field.Type
			for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
				ft = ft.Elem()
			}
			if ft.Kind() != reflect.Struct || ft == reflect.TypeOf(Integer{}) {
				continue
			}
			if strings.HasPrefix(ft.Name(), "Conditional[") {
				v, _ := ft.FieldByName("Value")
				ft = v.Type
			}
			def := ft.Name()
			matched := false
			for _, p := range prefixes {
				if strings.HasPrefix(def, p) {
					def, matched = strings.TrimPrefix(def, p), true
					break
				}
			}
			if !matched {
				continue // tags.Tag and the like
			}
			if seen[ft.Name()] {
				continue
			}
			d, ok := s.Definitions[def]
			if !ok {
				t.Errorf("%s.%s: the schema has no definition %s", typ.Name(), field.Name, def)
				continue
			}
			check(ft, d.Properties, def)
		}
	}
	check(root, s.Properties, "resource")
	return seen
}

func floatPtr(f float64) *float64 { return &f }

func TestECSTaskDefinitionMarshalJSON(t *testing.T) {
	creds := ecs.TaskDefinition_RepositoryCredentials{CredentialsParameter: cloudformation.String("arn")}
	tests := map[string]struct {
		container ECSContainerDefinition
		want      string
	}{
		"conditional repository credentials become an Fn::If with AWS::NoValue": {
			container: ECSContainerDefinition{
				TaskDefinition_ContainerDefinition: ecs.TaskDefinition_ContainerDefinition{Name: "web", Image: "img"},
				RepositoryCredentials:              &Conditional[ecs.TaskDefinition_RepositoryCredentials]{Condition: "UsesCredentials", Value: creds},
			},
			want: `{"Image":"img","Name":"web","RepositoryCredentials":{"Fn::If":["UsesCredentials",{"CredentialsParameter":"arn"},{"Ref":"AWS::NoValue"}]}}`,
		},
		"unconditional repository credentials are written as they are": {
			container: ECSContainerDefinition{
				TaskDefinition_ContainerDefinition: ecs.TaskDefinition_ContainerDefinition{Name: "web", Image: "img"},
				RepositoryCredentials:              &Conditional[ecs.TaskDefinition_RepositoryCredentials]{Value: creds},
			},
			want: `{"Image":"img","Name":"web","RepositoryCredentials":{"CredentialsParameter":"arn"}}`,
		},
		"the embedded field of the same name never shows": {
			container: ECSContainerDefinition{
				TaskDefinition_ContainerDefinition: ecs.TaskDefinition_ContainerDefinition{Name: "web", Image: "img", RepositoryCredentials: &creds},
			},
			want: `{"Image":"img","Name":"web"}`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			td := ECSTaskDefinition{Family: cloudformation.String("f"), ContainerDefinitions: []ECSContainerDefinition{tc.container}}
			got, err := json.Marshal(&td)
			if err != nil {
				t.Fatal(err)
			}
			want := `{"Type":"AWS::ECS::TaskDefinition","Properties":{"ContainerDefinitions":[` + tc.want + `],"Family":"f"}}`
			if string(got) != want {
				t.Errorf("\n got %s\nwant %s", got, want)
			}
		})
	}
}
