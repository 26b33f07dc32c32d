// Templates: parsing, capabilities, parameters, and evaluating the
// intrinsic functions of outputs.

package fakeaws

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"
)

type parsedTemplate struct {
	Parameters map[string]struct {
		Type    string
		Default any
	}
	Resources map[string]struct {
		Type           string
		Properties     any
		DeletionPolicy string
	}
	Outputs map[string]struct {
		Value  any
		Export *struct{ Name any }
	}
}

// templateObject returns the S3 object a TemplateURL names (virtual-hosted
// or path-style).
func (s *Server) templateObject(raw string) ([]byte, bool) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, false
	}
	path := strings.TrimPrefix(u.Path, "/")
	host := u.Hostname()
	if i := strings.Index(host, ".s3."); i > 0 {
		path = host[:i] + "/" + path
	}
	b, ok := s.objects[path]
	return b, ok
}

// parseTemplate parses a JSON or YAML template. YAML is converted to JSON
// first, so that both decode alike (by field name, as JSON does).
func parseTemplate(body []byte) (*parsedTemplate, *apiError) {
	if trimmed := strings.TrimSpace(string(body)); !strings.HasPrefix(trimmed, "{") {
		converted, err := yaml.YAMLToJSON(body)
		if err != nil {
			return nil, validation("Template format error: %v", err)
		}
		body = converted
	}
	var t parsedTemplate
	if err := json.Unmarshal(body, &t); err != nil {
		return nil, validation("Template format error: %v", err)
	}
	if len(t.Resources) == 0 {
		return nil, validation("Template format error: At least one Resources member must be defined.")
	}
	for id, r := range t.Resources {
		if r.Type == "" {
			return nil, validation("Template format error: [/Resources/%s] Every Resources object must contain a Type member.", id)
		}
	}
	return &t, nil
}

// checkCapabilities asks for CAPABILITY_IAM / CAPABILITY_NAMED_IAM as AWS does.
func checkCapabilities(t *parsedTemplate, caps []string) *apiError {
	has := map[string]bool{}
	for _, c := range caps {
		has[c] = true
	}
	needIAM, needNamed := false, false
	for _, r := range t.Resources {
		if !strings.HasPrefix(r.Type, "AWS::IAM::") {
			continue
		}
		needIAM = true
		props, _ := r.Properties.(map[string]any)
		for _, k := range []string{"RoleName", "UserName", "GroupName", "ManagedPolicyName"} {
			if _, ok := props[k]; ok {
				needNamed = true
			}
		}
	}
	switch {
	case needNamed && !has["CAPABILITY_NAMED_IAM"]:
		return &apiError{http.StatusBadRequest, "InsufficientCapabilitiesException", "Requires capabilities : [CAPABILITY_NAMED_IAM]"}
	case needIAM && !has["CAPABILITY_IAM"] && !has["CAPABILITY_NAMED_IAM"]:
		return &apiError{http.StatusBadRequest, "InsufficientCapabilitiesException", "Requires capabilities : [CAPABILITY_IAM]"}
	}
	return nil
}

// resolveParams replaces {"Ref": P} of a parameter P by its value.
func resolveParams(v any, params map[string]string) any {
	switch x := v.(type) {
	case map[string]any:
		if ref, ok := x["Ref"].(string); ok && len(x) == 1 {
			if p, ok := params[ref]; ok {
				return p
			}
		}
		out := map[string]any{}
		for k, e := range x {
			out[k] = resolveParams(e, params)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = resolveParams(e, params)
		}
		return out
	}
	return v
}

// setOutputs evaluates the template's outputs with fake values for
// resources and registers exports.
func (s *Server) setOutputs(st *stack) {
	st.outputs = nil
	if s.exports[st.scope] == nil {
		s.exports[st.scope] = map[string]string{}
	}
	for _, k := range slices.Sorted(maps.Keys(st.tmpl.Outputs)) {
		o := st.tmpl.Outputs[k]
		out := output{Key: k, Value: s.evaluate(st, o.Value)}
		if o.Export != nil {
			out.Export = s.evaluate(st, o.Export.Name)
			s.exports[st.scope][out.Export] = out.Value
		}
		st.outputs = append(st.outputs, out)
	}
}

// evaluate gives an intrinsic function a fake but stable value.
func (s *Server) evaluate(st *stack, v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = s.evaluate(st, e)
		}
		return strings.Join(parts, ",")
	case map[string]any:
		if ref, ok := x["Ref"].(string); ok {
			switch ref {
			case "AWS::Region":
				return st.scope.region
			case "AWS::AccountId":
				return st.scope.account
			case "AWS::StackName":
				return st.name
			case "AWS::StackId":
				return st.id
			case "AWS::Partition":
				return "aws"
			case "AWS::URLSuffix":
				return "amazonaws.com"
			}
			if p, ok := st.params[ref]; ok {
				return p
			}
			if r, ok := st.resources[ref]; ok {
				return r.Physical
			}
			return ref
		}
		if ga, ok := x["Fn::GetAtt"]; ok {
			var parts []string
			switch g := ga.(type) {
			case string:
				parts = strings.SplitN(g, ".", 2)
			case []any:
				for _, e := range g {
					parts = append(parts, s.evaluate(st, e))
				}
			}
			if len(parts) == 2 {
				return fmt.Sprintf("arn:aws:fake:%s:%s:%s/%s", st.scope.region, st.scope.account, parts[0], parts[1])
			}
		}
		if sub, ok := x["Fn::Sub"]; ok {
			text := ""
			vars := map[string]string{}
			switch y := sub.(type) {
			case string:
				text = y
			case []any:
				if len(y) > 0 {
					text, _ = y[0].(string)
				}
				if len(y) > 1 {
					if m, ok := y[1].(map[string]any); ok {
						for k, e := range m {
							vars[k] = s.evaluate(st, e)
						}
					}
				}
			}
			return regexp.MustCompile(`\$\{([^}]+)\}`).ReplaceAllStringFunc(text, func(m string) string {
				name := m[2 : len(m)-1]
				if v, ok := vars[name]; ok {
					return v
				}
				if i := strings.Index(name, "."); i > 0 {
					return s.evaluate(st, map[string]any{"Fn::GetAtt": name})
				}
				return s.evaluate(st, map[string]any{"Ref": name})
			})
		}
		if j, ok := x["Fn::Join"].([]any); ok && len(j) == 2 {
			sep, _ := j[0].(string)
			items, _ := j[1].([]any)
			parts := make([]string, len(items))
			for i, e := range items {
				parts[i] = s.evaluate(st, e)
			}
			return strings.Join(parts, sep)
		}
		if iv, ok := x["Fn::ImportValue"]; ok {
			return s.exports[st.scope][s.evaluate(st, iv)]
		}
	}
	return "fake-value"
}
