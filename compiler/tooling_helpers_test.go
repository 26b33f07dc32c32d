package compiler

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/cicdgen/cicdgen/compiler/cfn"

	"github.com/cicdgen/cicdgen/schema"
)

// Helpers of the tooling-stack tests (pipeline, artifacts, monitoring).

// toolingSpec describes a test system; toolingYAML writes it as system.yaml.
type toolingSpec struct {
	Organization string
	Test         bool
	BuildImage   string // "" keeps the default (ecr)
	Compute      string // "" keeps the default (small)
	Dockerfile   string // "" keeps the default (build.Dockerfile)
	// RegistryCredentials sets build.registry_credentials: true.
	RegistryCredentials bool
	// Accounts maps account keys to ids (tooling is added).
	Accounts map[string]string
	// Envs are the environments' YAML mappings, e.g. "{name: dev, account: dev}".
	Envs []string
	// Extra is appended to the document as is (top-level keys).
	Extra string
}

const toolingToolingID = "123456789012"

// toolingYAML returns spec as a system.yaml.
func toolingYAML(spec toolingSpec) string {
	var b strings.Builder
	b.WriteString("version: 1\nname: shop\nsuffix: dev\nregion: us-east-1\naccounts:\n")
	fmt.Fprintf(&b, "  tooling: %q\n", toolingToolingID)
	for _, k := range toolingKeys(spec.Accounts) {
		fmt.Fprintf(&b, "  %s: %q\n", k, spec.Accounts[k])
	}
	if spec.Organization != "" {
		fmt.Fprintf(&b, "organization: %s\n", spec.Organization)
	}
	b.WriteString("source:\n  connection: arn:aws:codestar-connections:us-east-1:123456789012:connection/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b\n  repository: acme/shop\n")
	if spec.BuildImage != "" || spec.Compute != "" || spec.Dockerfile != "" || spec.RegistryCredentials {
		b.WriteString("build:\n")
		if spec.BuildImage != "" {
			fmt.Fprintf(&b, "  image: %s\n", spec.BuildImage)
		}
		if spec.Compute != "" {
			fmt.Fprintf(&b, "  compute: %s\n", spec.Compute)
		}
		if spec.Dockerfile != "" {
			fmt.Fprintf(&b, "  dockerfile: %s\n", spec.Dockerfile)
		}
		if spec.RegistryCredentials {
			b.WriteString("  registry_credentials: true\n")
		}
	}
	if spec.Test {
		b.WriteString("test:\n  buildspec: buildspec-test.yml\n")
	}
	b.WriteString("notifications:\n  approvals: [release@example.com]\n  failures: [oncall@example.com, lead@example.com]\n")
	b.WriteString("service:\n  name: web\n  port: 8080\n  cpu: 256\n  memory: 512\n")
	b.WriteString("environments:\n")
	for _, e := range spec.Envs {
		fmt.Fprintf(&b, "  - %s\n", e)
	}
	b.WriteString(spec.Extra)
	return b.String()
}

// toolingKeys returns the keys of m, sorted.
func toolingKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return toolingSortedUnique(out)
}

// toolingLoad loads spec through schema.Load and fails the test on errors.
func toolingLoad(t testing.TB, spec toolingSpec) *schema.System {
	t.Helper()
	src := toolingYAML(spec)
	sys, ds := schema.Load("system.yaml", []byte(src))
	if sys == nil || ds.HasErrors() {
		t.Fatalf("load system.yaml: %v\n%s", ds, src)
	}
	return sys
}

// toolingThreeEnvs is dev, staging (approval) and prod (approval) in three accounts.
func toolingThreeEnvs() toolingSpec {
	return toolingSpec{
		Accounts: map[string]string{"dev": "210987654321", "staging": "220987654321", "prod": "230987654321"},
		Envs: []string{
			"{name: dev, account: dev}",
			"{name: staging, account: staging, approval: true}",
			"{name: prod, account: prod, approval: true}",
		},
	}
}

// toolingScale returns a system of envs environments spread over accounts
// accounts, ten environments to a wave.
func toolingScale(accounts, envs int, org string) toolingSpec {
	spec := toolingSpec{Organization: org, Accounts: map[string]string{}}
	for i := 0; i < accounts; i++ {
		spec.Accounts[fmt.Sprintf("a%03d", i)] = fmt.Sprintf("%012d", 200000000000+i*1001)
	}
	for i := 0; i < envs; i++ {
		spec.Envs = append(spec.Envs, fmt.Sprintf("{name: e%03d, account: a%03d, wave: w%02d}", i, i%accounts, i/10))
	}
	return spec
}

// toolingDoc renders tmpl the way the compiler writes it (intrinsics as objects).
func toolingDoc(t testing.TB, tmpl *cfn.Template) map[string]any {
	t.Helper()
	doc, err := templateDocument(tmpl)
	if err != nil {
		t.Fatalf("render template: %v", err)
	}
	return doc
}

// toolingAt walks v along path (map keys and slice indexes) and fails the
// test when a step is missing.
func toolingAt(t testing.TB, v any, path ...any) any {
	t.Helper()
	for i, step := range path {
		switch s := step.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("%v: not an object at step %d", path, i)
			}
			if v, ok = m[s]; !ok {
				t.Fatalf("%v: no key %q", path, s)
			}
		case int:
			l, ok := v.([]any)
			if !ok || s >= len(l) {
				t.Fatalf("%v: no index %d", path, s)
			}
			v = l[s]
		}
	}
	return v
}

// toolingProps returns the Properties of resource id of doc.
func toolingProps(t testing.TB, doc map[string]any, id string) map[string]any {
	t.Helper()
	p, ok := toolingAt(t, doc, "Resources", id, "Properties").(map[string]any)
	if !ok {
		t.Fatalf("resource %s has no properties", id)
	}
	return p
}

// toolingStatement returns the statement sid of a policy document.
func toolingStatement(t testing.TB, policy any, sid string) map[string]any {
	t.Helper()
	for _, st := range toolingAt(t, policy, "Statement").([]any) {
		if m := st.(map[string]any); m["Sid"] == sid {
			return m
		}
	}
	t.Fatalf("no statement %q in %s", sid, toolingJSON(t, policy))
	return nil
}

// toolingHasStatement reports whether the policy document has statement sid.
func toolingHasStatement(t testing.TB, policy any, sid string) bool {
	t.Helper()
	for _, st := range toolingAt(t, policy, "Statement").([]any) {
		if st.(map[string]any)["Sid"] == sid {
			return true
		}
	}
	return false
}

// toolingStrings returns v as a list of strings: a string alone is a list of one.
func toolingStrings(t testing.TB, v any) []string {
	t.Helper()
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			s, ok := x.(string)
			if !ok {
				t.Fatalf("not a string: %s", toolingJSON(t, x))
			}
			out = append(out, s)
		}
		return out
	}
	t.Fatalf("not a string or list: %s", toolingJSON(t, v))
	return nil
}

// toolingJSON returns v as compact JSON, as AWS measures policy sizes.
func toolingJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := compactJSON(v)
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	return string(b)
}

// toolingEqual reports whether got and want have the same JSON.
func toolingEqual(t testing.TB, got, want any) bool {
	t.Helper()
	g, err := json.Marshal(got)
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	w, err := json.Marshal(want)
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	return string(g) == string(w)
}
