package deploy

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sort"
	"strings"
)

// SecurityChange is a change of an IAM statement, a trust policy or a
// resource policy (key, bucket, repository, topic, secret) between the
// deployed template and the built one, as `cdk diff` shows them.
type SecurityChange struct {
	Stack     string `json:"stack"`
	LogicalID string `json:"logicalId"`
	Type      string `json:"type"`
	// Policy says which policy of the resource: AssumeRolePolicyDocument,
	// Policies/NAME, KeyPolicy, PolicyDocument, ManagedPolicyArns …
	Policy string `json:"policy"`
	// Widens is set for a change that grants more: a statement added, a
	// principal, action or resource added to one, a condition removed, a
	// Deny removed, a managed policy attached.
	Widens bool `json:"widens"`
	// Change says what changed: "statement added", "statement widened",
	// "statement removed", "deny removed", "managed policy added" …
	Change     string   `json:"change"`
	Effect     string   `json:"effect,omitempty"`
	Principals []string `json:"principals,omitempty"` // added (or, for a removal, removed)
	Actions    []string `json:"actions,omitempty"`
	Resources  []string `json:"resources,omitempty"`
	// Conditions are the conditions of an added statement, or the ones
	// removed from a widened statement.
	Conditions []string `json:"conditions,omitempty"`
}

// policyTargets are the policy documents of each resource type: the
// property that holds one, or "Policies" (a list of {PolicyName,
// PolicyDocument}).
var policyTargets = map[string][]string{
	"AWS::IAM::Role":                      {"AssumeRolePolicyDocument", "Policies", "ManagedPolicyArns"},
	"AWS::IAM::Policy":                    {"PolicyDocument"},
	"AWS::IAM::ManagedPolicy":             {"PolicyDocument"},
	"AWS::IAM::User":                      {"Policies", "ManagedPolicyArns"},
	"AWS::IAM::Group":                     {"Policies", "ManagedPolicyArns"},
	"AWS::IAM::RolePolicy":                {"PolicyDocument"},
	"AWS::KMS::Key":                       {"KeyPolicy"},
	"AWS::S3::BucketPolicy":               {"PolicyDocument"},
	"AWS::SNS::TopicPolicy":               {"PolicyDocument"},
	"AWS::SQS::QueuePolicy":               {"PolicyDocument"},
	"AWS::ECR::Repository":                {"RepositoryPolicyText"},
	"AWS::SecretsManager::ResourcePolicy": {"ResourcePolicy"},
}

// policyDoc is one policy document of a resource.
type policyDoc struct {
	logicalID, typ, policy string
	doc                    any // the document; for ManagedPolicyArns the list
}

// templatePolicies returns the policy documents of a decoded template, by
// "logicalID/policy".
func templatePolicies(tmpl any) map[string]policyDoc {
	out := map[string]policyDoc{}
	t, _ := tmpl.(map[string]any)
	resources, _ := t["Resources"].(map[string]any)
	for id, r := range resources {
		rm, _ := r.(map[string]any)
		typ, _ := rm["Type"].(string)
		props, _ := rm["Properties"].(map[string]any)
		for _, p := range policyTargets[typ] {
			v, ok := props[p]
			if !ok {
				continue
			}
			if p != "Policies" {
				out[id+"/"+p] = policyDoc{logicalID: id, typ: typ, policy: p, doc: v}
				continue
			}
			list, _ := v.([]any)
			for i, e := range list {
				em, _ := e.(map[string]any)
				name, ok := em["PolicyName"].(string)
				if !ok {
					name = fmt.Sprint(i)
				}
				key := "Policies/" + name
				out[id+"/"+key] = policyDoc{logicalID: id, typ: typ, policy: key, doc: em["PolicyDocument"]}
			}
		}
	}
	return out
}

// statement is a policy statement reduced to sets of canonical strings.
type statement struct {
	raw                                   any
	sid, effect                           string
	principals, actions, resources, conds []string
	notPrincipal, notAction, notResource  bool
}

// statements returns the statements of a policy document.
func statements(doc any) []statement {
	d, _ := doc.(map[string]any)
	var list []any
	switch s := d["Statement"].(type) {
	case []any:
		list = s
	case map[string]any:
		list = []any{s}
	}
	var out []statement
	for _, e := range list {
		m, _ := e.(map[string]any)
		st := statement{raw: e}
		st.sid, _ = m["Sid"].(string)
		st.effect, _ = m["Effect"].(string)
		st.principals = principalSet(m["Principal"])
		if np, ok := m["NotPrincipal"]; ok {
			st.principals, st.notPrincipal = principalSet(np), true
		}
		st.actions = valueSet(m["Action"])
		if na, ok := m["NotAction"]; ok {
			st.actions, st.notAction = valueSet(na), true
		}
		st.resources = valueSet(m["Resource"])
		if nr, ok := m["NotResource"]; ok {
			st.resources, st.notResource = valueSet(nr), true
		}
		cond, _ := m["Condition"].(map[string]any)
		for op, kv := range cond {
			km, _ := kv.(map[string]any)
			for k, v := range km {
				st.conds = append(st.conds, fmt.Sprintf("%s %s %s", op, k, strings.Join(valueSet(v), ",")))
			}
		}
		sort.Strings(st.conds)
		out = append(out, st)
	}
	return out
}

// canonical writes a value (a string, or an intrinsic function) as text.
func canonical(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	data, _ := json.Marshal(v)
	return string(data)
}

// valueSet is a string or a list of values, as sorted canonical strings.
func valueSet(v any) []string {
	var out []string
	switch x := v.(type) {
	case nil:
	case []any:
		for _, e := range x {
			out = append(out, canonical(e))
		}
	default:
		out = append(out, canonical(x))
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// principalSet is a Principal as "KIND:value" strings ("*" for everyone).
func principalSet(v any) []string {
	m, ok := v.(map[string]any)
	if !ok {
		return valueSet(v)
	}
	var out []string
	for kind, vals := range m {
		for _, p := range valueSet(vals) {
			out = append(out, kind+":"+p)
		}
	}
	sort.Strings(out)
	return out
}

// missing returns the elements of want not in have (both sorted sets).
func missing(want, have []string) []string {
	var out []string
	for _, w := range want {
		if _, found := slices.BinarySearch(have, w); !found {
			out = append(out, w)
		}
	}
	return out
}

// notCovered returns the elements of want that no element of have
// matches, as IAM matches: * and ? are wildcards, actions compare without
// case. An action kms:Decrypt where kms:* was is no widening.
func notCovered(want, have []string) []string {
	var out []string
	for _, w := range want {
		if !slices.ContainsFunc(have, func(h string) bool { return wildcardMatch(strings.ToLower(h), strings.ToLower(w)) }) {
			out = append(out, w)
		}
	}
	return out
}

// wildcardMatch reports whether s matches pattern, in which * matches any
// run of characters and ? any one.
func wildcardMatch(pattern, s string) bool {
	if !strings.ContainsAny(pattern, "*?") {
		return pattern == s
	}
	p, t := []rune(pattern), []rune(s)
	// Classic two-pointer glob matching with backtracking on *.
	pi, ti, star, mark := 0, 0, -1, 0
	for ti < len(t) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == t[ti]):
			pi++
			ti++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, ti
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			ti = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// SecurityChanges compares the policies of a stack's deployed template
// (nil for a stack not deployed) with those of its built template.
func SecurityChanges(stack string, deployed, built any) []SecurityChange {
	before, after := templatePolicies(deployed), templatePolicies(built)
	var out []SecurityChange
	for _, key := range slices.Sorted(maps.Keys(after)) {
		p := after[key]
		old, existed := before[key]
		base := SecurityChange{Stack: stack, LogicalID: p.logicalID, Type: p.typ, Policy: p.policy}
		if p.policy == "ManagedPolicyArns" {
			var had []string
			if existed {
				had = valueSet(old.doc)
			}
			if added := missing(valueSet(p.doc), had); len(added) > 0 {
				c := base
				c.Widens, c.Change, c.Resources = true, "managed policy added", added
				out = append(out, c)
			}
			continue
		}
		var olds []statement
		if existed {
			olds = statements(old.doc)
		}
		out = append(out, compareStatements(base, olds, statements(p.doc))...)
	}
	// Policies that went away: a removed Deny widens.
	for _, key := range slices.Sorted(maps.Keys(before)) {
		if _, ok := after[key]; ok {
			continue
		}
		p := before[key]
		base := SecurityChange{Stack: stack, LogicalID: p.logicalID, Type: p.typ, Policy: p.policy}
		if p.policy == "ManagedPolicyArns" {
			continue
		}
		out = append(out, compareStatements(base, statements(p.doc), nil)...)
	}
	return out
}

// compareStatements lists what changes from the statements olds to news.
func compareStatements(base SecurityChange, olds, news []statement) []SecurityChange {
	var out []SecurityChange
	used := make([]bool, len(olds))
	for _, n := range news {
		if i := indexEqual(olds, n, used); i >= 0 {
			used[i] = true
			continue
		}
		i := bestMatch(olds, n, used)
		c := base
		c.Effect = n.effect
		if i < 0 {
			if n.effect == "Deny" {
				c.Change = "deny added"
			} else {
				c.Widens, c.Change = true, "statement added"
			}
			c.Principals, c.Actions, c.Resources, c.Conditions = n.principals, n.actions, n.resources, n.conds
			out = append(out, c)
			continue
		}
		used[i] = true
		o := olds[i]
		if n.effect == "Deny" {
			// A Deny that covers less widens what is allowed.
			c.Actions, c.Resources, c.Principals = missing(o.actions, n.actions), missing(o.resources, n.resources), missing(o.principals, n.principals)
			c.Conditions = missing(n.conds, o.conds) // conditions added to a Deny narrow it
			c.Widens = len(c.Actions)+len(c.Resources)+len(c.Principals)+len(c.Conditions) > 0
			c.Change = "deny changed"
			if c.Widens {
				c.Change = "deny narrowed"
			}
			out = append(out, c)
			continue
		}
		c.Principals, c.Actions, c.Resources = notCovered(n.principals, o.principals), notCovered(n.actions, o.actions), notCovered(n.resources, o.resources)
		c.Conditions = missing(o.conds, n.conds)
		if o.notAction != n.notAction || o.notResource != n.notResource || o.notPrincipal != n.notPrincipal {
			c.Principals, c.Actions, c.Resources = n.principals, n.actions, n.resources
		}
		c.Widens = len(c.Principals)+len(c.Actions)+len(c.Resources)+len(c.Conditions) > 0
		c.Change = "statement narrowed"
		if c.Widens {
			c.Change = "statement widened"
		}
		out = append(out, c)
	}
	for i, o := range olds {
		if used[i] {
			continue
		}
		c := base
		c.Effect, c.Principals, c.Actions, c.Resources, c.Conditions = o.effect, o.principals, o.actions, o.resources, o.conds
		c.Change = "statement removed"
		if o.effect == "Deny" {
			c.Widens, c.Change = true, "deny removed"
		}
		out = append(out, c)
	}
	return out
}

// indexEqual returns the index of an unused statement of olds equal to n, or -1.
func indexEqual(olds []statement, n statement, used []bool) int {
	for i, o := range olds {
		if !used[i] && reflect.DeepEqual(o.raw, n.raw) {
			return i
		}
	}
	return -1
}

// bestMatch returns the unused statement of olds that n most likely
// changes: the same Sid, else the same effect sharing the most actions
// (or, for trust policies, principals), or -1.
func bestMatch(olds []statement, n statement, used []bool) int {
	best, score := -1, 0
	for i, o := range olds {
		if used[i] || o.effect != n.effect {
			continue
		}
		if n.sid != "" && o.sid == n.sid {
			return i
		}
		if n.sid != "" && o.sid != "" {
			continue
		}
		s := len(o.actions) - len(missing(o.actions, n.actions)) + len(o.principals) - len(missing(o.principals, n.principals))
		if s > score {
			best, score = i, s
		}
	}
	return best
}

// Widening returns the changes that grant more.
func Widening(cs []SecurityChange) []SecurityChange {
	var out []SecurityChange
	for _, c := range cs {
		if c.Widens {
			out = append(out, c)
		}
	}
	return out
}

// String writes the change on one line: + for what it grants, - for what
// it takes away.
func (c SecurityChange) String() string {
	sign := "-"
	if c.Widens {
		sign = "+"
	}
	var parts []string
	if c.Effect != "" {
		parts = append(parts, c.Effect)
	}
	if len(c.Actions) > 0 {
		parts = append(parts, strings.Join(c.Actions, ", "))
	}
	if len(c.Resources) > 0 {
		parts = append(parts, "on "+strings.Join(c.Resources, ", "))
	}
	if len(c.Principals) > 0 {
		parts = append(parts, "to "+strings.Join(c.Principals, ", "))
	}
	if len(c.Conditions) > 0 {
		word := "when"
		if c.Change == "statement widened" {
			word = "no longer when"
		}
		parts = append(parts, word+" "+strings.Join(c.Conditions, "; "))
	}
	return fmt.Sprintf("%s %s %s %s (%s): %s", sign, c.Stack, c.LogicalID, c.Policy, c.Change, strings.Join(parts, " "))
}
