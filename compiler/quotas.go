package compiler

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/cicdgen/cicdgen/diag"
	"github.com/cicdgen/cicdgen/manifest"
	"github.com/cicdgen/cicdgen/schema"
)

// CloudFormation and IAM quotas the compiler checks (SPEC.md, "Scale").
const (
	MaxResources        = 500
	MaxParameters       = 200
	MaxOutputs          = 200
	MaxTemplateBytes    = manifest.MaxTemplateBytes    // through an S3 template URL
	MaxTemplateBodySize = manifest.MaxTemplateBodySize // passed inline as TemplateBody
	MaxBucketPolicy     = 20_480
	MaxKeyPolicy        = 32_768
	MaxTrustPolicy      = 2_048
	MaxRoleInline       = 10_240 // all inline policies of one role together
	MaxManagedPolicy    = 6_144
	MaxTopicPolicy      = 30_720
)

// templateCounts are the counted parts of a template.
type templateCounts struct {
	resources, parameters, outputs int
	size                           int // bytes of the body; set only where overrides may change it
}

// measure counts the resources, parameters and outputs of a template document.
func measure(doc map[string]any) templateCounts {
	count := func(key string) int {
		m, _ := doc[key].(map[string]any)
		return len(m)
	}
	return templateCounts{resources: count("Resources"), parameters: count("Parameters"), outputs: count("Outputs")}
}

// checkQuotas reports the quotas that the final document of stack s (of env,
// nil for tooling stacks) exceeds. before are its counts (and, when the stack
// has overrides, its size) before overrides; size is the byte length of the
// body apply sends (WireBody: the JSON without indentation).
func checkQuotas(sys *schema.System, s *Stack, env *schema.Environment, doc map[string]any, before templateCounts, size int) diag.Diagnostics {
	var ds diag.Diagnostics
	after := measure(doc)
	hasOverrides := len(sys.Overrides[s.Kind]) > 0
	at := func(grew bool) string {
		switch {
		case grew && hasOverrides:
			return overridePath(s.Kind)
		case env != nil:
			return schema.PathIndex("$.environments", env.Index)
		case len(sys.Environments) > 0:
			return "$.environments"
		default:
			return "$.name"
		}
	}
	counted := []struct {
		rule, what    string
		before, after int
		limit         int
	}{
		{diag.RuleTemplateResources, "resources", before.resources, after.resources, MaxResources},
		{diag.RuleTemplateParameters, "parameters", before.parameters, after.parameters, MaxParameters},
		{diag.RuleTemplateOutputs, "outputs", before.outputs, after.outputs, MaxOutputs},
	}
	for _, c := range counted {
		if c.after <= c.limit {
			continue
		}
		path := at(c.after > c.before && c.before <= c.limit)
		d := diag.Errorf(c.rule, sys.Doc.Range(path), path,
			"stack %s has %d %s; CloudFormation allows %d per template", s.Name, c.after, c.what, c.limit)
		if s.Environment == "" {
			d = d.WithHint("group environments in waves or split the system in two")
		}
		ds = append(ds, d)
	}
	switch {
	case size > MaxTemplateBytes:
		path := at(before.size <= MaxTemplateBytes)
		ds = append(ds, diag.Errorf(diag.RuleTemplateSize, sys.Doc.Range(path), path,
			"the template of stack %s is %d bytes; CloudFormation accepts at most %d", s.Name, size, MaxTemplateBytes).
			WithHint("fewer environments per system, or smaller overrides"))
	case size > MaxTemplateBodySize:
		path := at(before.size <= MaxTemplateBodySize)
		ds = append(ds, diag.Warningf(diag.RuleTemplateSize, sys.Doc.Range(path), path,
			"the template of stack %s is %d bytes, over the %d that CloudFormation accepts inline", s.Name, size, MaxTemplateBodySize).
			WithHint("apply uploads it through S3: pass --template-bucket"))
	}
	ds = append(ds, checkPolicySizes(sys, s, doc, at)...)
	return ds
}

// policySize is the measured size of one policy or group of policies.
type policySize struct {
	what     string // "S3 bucket policy", ...
	resource string // logical id
	size     int
	limit    int
}

// checkPolicySizes reports the policies of doc over their IAM, S3, KMS or
// SNS size limits, measured as AWS does: the JSON without whitespace, with
// intrinsic functions counted as their JSON text.
func checkPolicySizes(sys *schema.System, s *Stack, doc map[string]any, at func(grew bool) string) diag.Diagnostics {
	var ds diag.Diagnostics
	for _, p := range policySizes(doc) {
		if p.size <= p.limit {
			continue
		}
		path := at(overridesTouch(sys, s.Kind, p.resource))
		d := diag.Errorf(diag.RulePolicySize, sys.Doc.Range(path), path,
			"the %s of %s in stack %s is %d characters; AWS allows %d", p.what, p.resource, s.Name, p.size, p.limit)
		if sys.Organization == "" {
			d = d.WithHint("set organization: policies then grant by aws:PrincipalOrgID and stay the same size at any number of accounts")
		} else {
			d = d.WithHint("fewer environments per system, or smaller overrides")
		}
		ds = append(ds, d)
	}
	return ds
}

// overridesTouch reports whether an override of kind addresses the resource
// with logical id (its path or from is /Resources/<id> or below).
func overridesTouch(sys *schema.System, kind, logicalID string) bool {
	prefix := "/Resources/" + logicalID
	under := func(p string) bool { return p == prefix || strings.HasPrefix(p, prefix+"/") }
	for _, raw := range sys.Overrides[kind] {
		var op struct {
			Path string `json:"path"`
			From string `json:"from"`
		}
		if json.Unmarshal(raw, &op) == nil && (under(op.Path) || under(op.From)) {
			return true
		}
	}
	return false
}

// policySizes returns every size-limited policy of doc, sorted by resource.
func policySizes(doc map[string]any) []policySize {
	resources, _ := doc["Resources"].(map[string]any)
	ids := make([]string, 0, len(resources))
	for id := range resources {
		ids = append(ids, id)
	}
	sort.Strings(ids)

	var out []policySize
	inline := map[string]int{} // role logical id -> inline policy characters
	for _, id := range ids {
		r, _ := resources[id].(map[string]any)
		typ, _ := r["Type"].(string)
		props, _ := r["Properties"].(map[string]any)
		if props == nil {
			continue
		}
		switch typ {
		case "AWS::S3::BucketPolicy":
			out = append(out, policySize{"S3 bucket policy", id, jsonSize(props["PolicyDocument"]), MaxBucketPolicy})
		case "AWS::KMS::Key":
			out = append(out, policySize{"KMS key policy", id, jsonSize(props["KeyPolicy"]), MaxKeyPolicy})
		case "AWS::SNS::TopicPolicy":
			out = append(out, policySize{"SNS topic policy", id, jsonSize(props["PolicyDocument"]), MaxTopicPolicy})
		case "AWS::IAM::ManagedPolicy":
			out = append(out, policySize{"managed policy", id, jsonSize(props["PolicyDocument"]), MaxManagedPolicy})
		case "AWS::IAM::Role":
			out = append(out, policySize{"trust policy", id, jsonSize(props["AssumeRolePolicyDocument"]), MaxTrustPolicy})
			policies, _ := props["Policies"].([]any)
			for _, p := range policies {
				pm, _ := p.(map[string]any)
				inline[id] += jsonSize(pm["PolicyDocument"])
			}
		case "AWS::IAM::Policy", "AWS::IAM::RolePolicy":
			size := jsonSize(props["PolicyDocument"])
			for _, role := range policyRoles(props) {
				inline[role] += size
			}
		}
	}
	roles := make([]string, 0, len(inline))
	for id := range inline {
		roles = append(roles, id)
	}
	sort.Strings(roles)
	for _, id := range roles {
		out = append(out, policySize{"inline policies", id, inline[id], MaxRoleInline})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].resource < out[j].resource })
	return out
}

// policyRoles returns the logical ids of the roles (of this template, named
// by Ref) that an AWS::IAM::Policy or AWS::IAM::RolePolicy attaches to.
func policyRoles(props map[string]any) []string {
	var refs []any
	if roles, ok := props["Roles"].([]any); ok {
		refs = roles
	}
	if role, ok := props["RoleName"]; ok {
		refs = append(refs, role)
	}
	var out []string
	for _, r := range refs {
		if m, ok := r.(map[string]any); ok {
			if id, ok := m["Ref"].(string); ok {
				out = append(out, id)
			}
		}
	}
	return out
}

// jsonSize returns the length of v's JSON without whitespace, 0 for nil.
func jsonSize(v any) int {
	if v == nil {
		return 0
	}
	if s, ok := v.(string); ok {
		// A policy given as a JSON string counts as that string, compacted.
		if d, err := decodeJSON([]byte(s)); err == nil {
			v = d
		} else {
			return len(s)
		}
	}
	b, err := compactJSON(v)
	if err != nil {
		return len(fmt.Sprint(v))
	}
	return len([]rune(string(b)))
}

// wireSize returns the length of the JSON document body without the
// white space between its tokens: the size of the body apply sends
// (manifest.WireBody). canonicalJSONSize counts it as it writes; this is
// for bodies written otherwise.
func wireSize(body []byte) int {
	return len(manifest.WireBody(body))
}
