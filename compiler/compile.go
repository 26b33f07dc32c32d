package compiler

import (
	"bytes"
	"encoding/json"
	"runtime"
	"sort"
	"strconv"
	"sync"

	"github.com/cicdgen/cicdgen/compiler/cfn"
	"github.com/cicdgen/cicdgen/diag"
	"github.com/cicdgen/cicdgen/schema"
)

// Tag keys the compiler adds to every stack, beside system.yaml's tags. They
// are spelled in schema, whose checks keep room for them.
const (
	TagSystem      = schema.TagSystem
	TagSuffix      = schema.TagSuffix
	TagEnvironment = schema.TagEnvironment // environment stacks only
)

// Compile compiles a loaded, checked system (one schema.Load returned
// without errors: the semantic checks have vetted the override keys and the
// tag count, among others) into its stacks, in a stable order: the tooling
// account's (pipeline, monitoring, artifacts-<region> for each support
// region, sorted), then per environment in promotion order roles-<env>,
// secrets-<env> (only with managed secrets), ecs-<env>. Each kind of stack
// is a type of its own
// (kind_<kind>.go), registered in kind.go.
//
// For each stack it runs the stack kind's builder, sets the stack's name,
// kind, environment, account (tooling for the stacks of no environment),
// region, tags (system.yaml's tags plus cicdgen:system, cicdgen:suffix and,
// on environment stacks, cicdgen:environment), termination protection (the
// stacks of protect: true environments) and dependencies (the stacks of the
// kinds its stackKind depends on); it adds DeletionPolicy Delete to every
// resource without a DeletionPolicy and the roles' version assertion to the
// stacks the pipeline deploys into an environment (see addRolesVersionAssertion),
// applies system.yaml's overrides of the
// stack, stores the final template as canonical JSON in Stack.Body and
// checks the CloudFormation and IAM quotas.
//
// Diagnostics are positioned in system.yaml and normalized. When they hold
// errors the assembly must not be written or deployed; it is still returned,
// as far as it was built, for inspection.
func Compile(sys *schema.System) (*Assembly, diag.Diagnostics) {
	return compileWith(sys, stacksOf(sys))
}

// compileWith compiles the given stacks of sys, in their order. Compile
// passes every stack of sys; tests pass stacks with small templates to
// exercise the orchestration alone.
func compileWith(sys *schema.System, kinds []stackKind) (*Assembly, diag.Diagnostics) {
	a := &Assembly{System: sys}
	stacks := make([]*Stack, len(kinds))
	for i, k := range kinds {
		stacks[i] = newStack(sys, k)
	}

	// Stacks are independent until written: build them in parallel, keep
	// their order.
	results := make([]diag.Diagnostics, len(kinds))
	built := make([]bool, len(kinds))
	workers := min(runtime.GOMAXPROCS(0), len(kinds))
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			docs := newDocumentBuilder()
			for i := range next {
				results[i], built[i] = compileStack(sys, stacks[i], kinds[i], docs)
			}
		}()
	}
	for i := range kinds {
		next <- i
	}
	close(next)
	wg.Wait()
	var ds diag.Diagnostics
	for i, s := range stacks {
		ds = append(ds, results[i]...)
		if built[i] {
			a.Stacks = append(a.Stacks, s)
		}
	}
	return a, ds.Normalize()
}

// newStack returns the Stack of k, placed and named, before its template
// is built.
func newStack(sys *schema.System, k stackKind) *Stack {
	names := schema.NamesOf(sys)
	s := &Stack{Name: names.StackName(k.kind()), Kind: k.kind(), Account: sys.Tooling(), Region: k.region()}
	env := k.environment()
	if env != nil {
		s.Environment = env.Name
		s.Account = sys.AccountOf(env)
		s.TerminationProtection = env.Protect
	}
	if p, ok := k.(pipelineDeployed); ok {
		s.PipelineDeployed = p.pipelineDeployed()
	}
	if c, ok := k.(trafficCritical); ok {
		s.TrafficResources = c.trafficResources()
	}
	s.DependsOn = []string{}
	for _, kind := range k.dependsOn() {
		s.DependsOn = append(s.DependsOn, names.StackName(kind))
	}
	sort.Strings(s.DependsOn)
	s.Tags = stackTags(sys, env)
	return s
}

// compileStack builds the template of stack s of kind k and fills s in. It
// reports whether the stack has a body. docs turns the typed template into
// its document.
func compileStack(sys *schema.System, s *Stack, k stackKind, docs *documentBuilder) (diag.Diagnostics, bool) {
	var ds diag.Diagnostics
	env := k.environment()
	t, params, err := k.template()
	if err != nil {
		return append(ds, diag.Errorf(diag.RuleTemplateEncode, sys.Doc.Range("$.name"), "$.name",
			"stack %s: %v", s.Name, err)), false
	}
	if params == nil {
		params = map[string]Parameter{}
	}
	if s.PipelineDeployed && env != nil {
		addRolesVersionAssertion(sys, env, t)
	}
	s.Template = t
	s.Parameters = params

	doc, err := docs.template(t)
	if err != nil {
		return append(ds, diag.Errorf(diag.RuleTemplateEncode, sys.Doc.Range("$.name"), "$.name",
			"stack %s: %v", s.Name, err)), false
	}
	addDeletionPolicy(doc)
	before := measure(doc)
	if len(sys.Overrides[s.Kind]) > 0 {
		// Quotas that only the overrides break point at the overrides.
		if _, wire, err := canonicalJSONSize(doc); err == nil {
			before.size = wire
		}
	}
	doc, ods := applyOverrides(sys, s.Kind, doc)
	ds = append(ds, ods...)
	if len(sys.Overrides[s.Kind]) > 0 {
		ds = append(ds, checkOverriddenShape(sys, s.Kind, s.Name, doc)...)
	}
	body, wire, err := canonicalJSONSize(doc)
	if err != nil {
		return append(ds, diag.Errorf(diag.RuleTemplateEncode, sys.Doc.Range("$.name"), "$.name",
			"stack %s: %v", s.Name, err)), false
	}
	s.Body = body
	// The size CloudFormation counts is that of the body apply sends
	// (manifest.WireBody: the JSON without indentation).
	return append(ds, checkQuotas(sys, s, env, doc, before, wire)...), true
}

// stackTags returns the tags of a stack: system.yaml's tags plus the
// cicdgen:* tags (cicdgen:environment only on an environment's stacks).
func stackTags(sys *schema.System, env *schema.Environment) map[string]string {
	tags := make(map[string]string, len(sys.Tags)+3)
	for k, v := range sys.Tags {
		tags[k] = v
	}
	tags[TagSystem] = sys.Name
	tags[TagSuffix] = sys.Suffix
	if env != nil {
		tags[TagEnvironment] = env.Name
	}
	return tags
}

// addDeletionPolicy sets DeletionPolicy Delete on every resource that has
// none, so that every resource is deletable unless a builder said otherwise.
func addDeletionPolicy(doc map[string]any) {
	resources, _ := doc["Resources"].(map[string]any)
	for _, r := range resources {
		if m, ok := r.(map[string]any); ok {
			if _, set := m["DeletionPolicy"]; !set {
				m["DeletionPolicy"] = "Delete"
			}
		}
	}
}

// canonicalJSON encodes v with sorted keys, two-space indentation, no HTML
// escaping and a trailing newline. Documents decoded by decodeJSON take a
// fast path that writes the same bytes as encoding/json without reflection.
func canonicalJSON(v any) ([]byte, error) {
	b, _, err := canonicalJSONSize(v)
	return b, err
}

// canonicalJSONSize is canonicalJSON that also returns the wire size of
// the body (see wireSize), counted as it writes.
func canonicalJSONSize(v any) ([]byte, int, error) {
	var w canonicalWriter
	if b, ok := w.append(make([]byte, 0, 16<<10), v, 0); ok {
		b = append(b, '\n')
		return b, len(b) - w.whitespace - 1, nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, 0, err
	}
	return buf.Bytes(), wireSize(buf.Bytes()), nil
}

// appendCanonical appends v, indented at depth, as encoding/json's Encoder
// with SetIndent("", "  ") and SetEscapeHTML(false) would; with a negative
// depth, compact as json.Marshal would (without HTML escaping). It reports
// false for a value that is not a generic JSON value.
func appendCanonical(b []byte, v any, depth int) ([]byte, bool) {
	var w canonicalWriter
	return w.append(b, v, depth)
}

// canonicalWriter writes generic JSON values (appendCanonical) and counts
// the white space it puts between tokens.
type canonicalWriter struct {
	whitespace int
}

func (w *canonicalWriter) append(b []byte, v any, depth int) ([]byte, bool) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), true
	case bool:
		return strconv.AppendBool(b, x), true
	case string:
		return cfn.AppendJSONString(b, x), true
	case json.Number:
		if !json.Valid([]byte(x)) || x == "" {
			return b, false
		}
		return append(b, x...), true
	case []any:
		if len(x) == 0 {
			return append(b, "[]"...), true
		}
		b = append(b, '[')
		for i, item := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = w.newline(b, deeper(depth))
			var ok bool
			if b, ok = w.append(b, item, deeper(depth)); !ok {
				return b, false
			}
		}
		b = w.newline(b, depth)
		return append(b, ']'), true
	case map[string]any:
		if len(x) == 0 {
			return append(b, "{}"...), true
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = w.newline(b, deeper(depth))
			b = cfn.AppendJSONString(b, k)
			if depth < 0 {
				b = append(b, ':')
			} else {
				b = append(b, ": "...)
				w.whitespace++
			}
			var ok bool
			if b, ok = w.append(b, x[k], deeper(depth)); !ok {
				return b, false
			}
		}
		b = w.newline(b, depth)
		return append(b, '}'), true
	}
	return b, false
}

// deeper returns the depth of a container's items (compact stays compact).
func deeper(depth int) int {
	if depth < 0 {
		return depth
	}
	return depth + 1
}

// newline appends a newline and the indentation of depth, unless depth is
// negative (compact).
func (w *canonicalWriter) newline(b []byte, depth int) []byte {
	if depth < 0 {
		return b
	}
	b = append(b, '\n')
	for i := 0; i < depth; i++ {
		b = append(b, "  "...)
	}
	w.whitespace += 1 + 2*depth
	return b
}

// compactJSON encodes v with sorted keys and no whitespace, as AWS counts
// policy sizes.
func compactJSON(v any) ([]byte, error) {
	if b, ok := appendCanonical(nil, v, -1); ok {
		return b, nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
