package schema

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// schemaDoc parses the embedded schema.
func schemaDoc(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(JSONSchema(), &doc); err != nil {
		t.Fatalf("the schema is not JSON: %v", err)
	}
	return doc
}

func TestJSONSchemaCompilesWithItsID(t *testing.T) {
	if _, err := compiledSystemSchema(); err != nil {
		t.Fatal(err)
	}
	doc := schemaDoc(t)
	if doc["$id"] != SchemaID || doc["$schema"] != "https://json-schema.org/draft/2020-12/schema" || doc["title"] == nil {
		t.Errorf("$id, $schema or title is wrong: %v %v %v", doc["$id"], doc["$schema"], doc["title"])
	}
}

func TestJSONSchemaReturnsACopy(t *testing.T) {
	a := JSONSchema()
	a[0] = 'x'
	if JSONSchema()[0] == 'x' {
		t.Error("JSONSchema returns the embedded bytes, not a copy")
	}
}

// walkSchemas calls fn on every subschema with its JSON pointer.
func walkSchemas(ptr string, node any, fn func(ptr string, s map[string]any)) {
	s, ok := node.(map[string]any)
	if !ok {
		return
	}
	fn(ptr, s)
	for _, kw := range []string{"properties", "patternProperties", "$defs"} {
		if m, ok := s[kw].(map[string]any); ok {
			for k, v := range m {
				walkSchemas(ptr+"/"+kw+"/"+k, v, fn)
			}
		}
	}
	for _, kw := range []string{"items", "additionalProperties", "not", "if", "then"} {
		walkSchemas(ptr+"/"+kw, s[kw], fn)
	}
	for _, kw := range []string{"oneOf", "anyOf", "allOf"} {
		if list, ok := s[kw].([]any); ok {
			for i, v := range list {
				walkSchemas(fmt.Sprintf("%s/%s/%d", ptr, kw, i), v, fn)
			}
		}
	}
}

func TestJSONSchemaClosesEveryObject(t *testing.T) {
	walkSchemas("#", schemaDoc(t), func(ptr string, s map[string]any) {
		if s["type"] == "object" && s["additionalProperties"] != false {
			t.Errorf("%s: an object without additionalProperties: false", ptr)
		}
	})
}

func TestJSONSchemaDescribesEveryProperty(t *testing.T) {
	doc := schemaDoc(t)
	defs := doc["$defs"].(map[string]any)
	walkSchemas("#", doc, func(ptr string, s map[string]any) {
		props, _ := s["properties"].(map[string]any)
		for name, p := range props {
			if strings.Contains(ptr, "/if") {
				continue
			}
			ps := p.(map[string]any)
			if ps["description"] != nil {
				continue
			}
			ref, _ := ps["$ref"].(string)
			def, _ := defs[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
			if def == nil || def["description"] == nil {
				t.Errorf("%s/properties/%s has no description", ptr, name)
			}
		}
	})
}

// TestSchemaDefaultsMatchTheDecoder keeps the "default" keywords of the
// schema, which editors show, equal to the defaults decode applies.
func TestSchemaDefaultsMatchTheDecoder(t *testing.T) {
	sys := mustLoad(t, withBase("test: {}\n"))
	env := sys.Environments[0]
	decoded := map[string]any{
		"#/properties/source/properties/branch":              sys.Source.Branch,
		"#/properties/source/properties/detect_changes":      sys.Source.DetectChanges,
		"#/properties/build/properties/image":                sys.Build.Image,
		"#/properties/build/properties/dockerfile":           sys.Build.Dockerfile,
		"#/properties/build/properties/registry_credentials": sys.Build.RegistryCredentials,
		"#/properties/build/properties/compute":              sys.Build.Compute,
		"#/properties/build/properties/buildspec":            sys.Build.Buildspec,
		"#/properties/build/properties/privileged":           sys.Build.Privileged,
		"#/properties/build/properties/timeout_minutes":      sys.Build.TimeoutMinutes,
		"#/properties/build/properties/cache_days":           sys.Build.CacheDays,
		"#/properties/test/properties/buildspec":             sys.Test.Buildspec,
		"#/properties/test/properties/compute":               sys.Test.Compute,
		"#/properties/artifacts/properties/retention_days":   sys.Artifacts.RetentionDays,
		"#/properties/service/properties/cpu":                sys.Service.CPU,
		"#/properties/service/properties/memory":             sys.Service.Memory,
		"#/properties/service/properties/desired_count":      sys.Service.DesiredCount,
		"#/properties/service/properties/health_check":       sys.Service.HealthCheck,
		"#/properties/service/properties/deployment":         sys.Service.Deployment,
		"#/properties/service/properties/traffic":            sys.Service.Traffic,
		"#/properties/service/properties/bake_minutes":       sys.Service.BakeMinutes,
		"#/properties/network/properties/cidr":               sys.Network.CIDR,
		"#/properties/network/properties/azs":                sys.Network.AZs,
		"#/properties/network/properties/nat_gateways":       sys.Network.NATGateways,
		"#/properties/network/properties/flow_logs":          sys.Network.FlowLogs,
		"#/properties/monitoring/properties/dashboard":       sys.Monitoring.Dashboard,
		"#/properties/monitoring/properties/alert_on":        sys.Monitoring.AlertOn,
		"#/$defs/environment/properties/approval":            env.Approval,
		"#/$defs/environment/properties/protect":             env.Protect,
	}
	var seen []string
	walkSchemas("#", schemaDoc(t), func(ptr string, s map[string]any) {
		def, ok := s["default"]
		if !ok {
			return
		}
		seen = append(seen, ptr)
		got, ok := decoded[ptr]
		if !ok {
			t.Errorf("%s has default %v, which this test does not compare with the decoder", ptr, def)
			return
		}
		gotJSON, _ := json.Marshal(got)
		var gotValue any
		_ = json.Unmarshal(gotJSON, &gotValue)
		if !reflect.DeepEqual(gotValue, def) {
			t.Errorf("%s: schema default %v, decoder default %v", ptr, def, got)
		}
	})
	sort.Strings(seen)
	for ptr := range decoded {
		if sort.SearchStrings(seen, ptr) == len(seen) || seen[sort.SearchStrings(seen, ptr)] != ptr {
			t.Errorf("%s has no default in the schema", ptr)
		}
	}
}
