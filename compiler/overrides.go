package compiler

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	jsonpatch "github.com/evanphx/json-patch/v5"

	"github.com/cicdgen/cicdgen/diag"
	"github.com/cicdgen/cicdgen/schema"
)

// overridePath returns the YAML path of the overrides of kind.
func overridePath(kind string) string {
	return schema.PathKey(schema.PathKey("$", "overrides"), kind)
}

// applyOverrides applies system.yaml's overrides of the stack kind to doc,
// one RFC 6902 operation at a time and in order, so that a failing operation
// is reported at its own position. The operations after a failing one still
// apply. It returns the patched document.
func applyOverrides(sys *schema.System, kind string, doc map[string]any) (map[string]any, diag.Diagnostics) {
	ops := sys.Overrides[kind]
	if len(ops) == 0 {
		return doc, nil
	}
	var ds diag.Diagnostics
	kindPath := overridePath(kind)
	cur, err := json.Marshal(doc)
	if err != nil {
		return doc, diag.Diagnostics{diag.Errorf(diag.RuleOverrideFailed, sys.Doc.Range(kindPath), kindPath,
			"cannot apply the overrides of stack %s: %v", kind, err)}
	}
	opts := jsonpatch.NewApplyOptions()
	opts.SupportNegativeIndices = false // RFC 6902 has no negative indices
	for i, raw := range ops {
		path := failedOperationPath(schema.PathIndex(overridePath(kind), i), raw)
		next, err := applyOperation(cur, raw, opts)
		if err != nil {
			ds = append(ds, diag.Errorf(diag.RuleOverrideFailed, sys.Doc.Range(path), path,
				"override %s of stack %s failed: %v", operationSummary(raw), kind, err).
				WithHint("check the path against the stack's template: cicdgen build writes it"))
			continue
		}
		cur = next
	}
	v, err := decodeJSON(cur)
	out, ok := v.(map[string]any)
	if err != nil || !ok {
		return doc, append(ds, diag.Errorf(diag.RuleOverrideFailed, sys.Doc.Range(kindPath), kindPath,
			"the overrides of stack %s replace the template with something that is not a JSON object", kind))
	}
	return out, ds
}

// applyOperation applies the single RFC 6902 operation raw to the JSON doc.
func applyOperation(doc []byte, raw json.RawMessage, opts *jsonpatch.ApplyOptions) ([]byte, error) {
	patch, err := jsonpatch.DecodePatch(append(append([]byte("["), raw...), ']'))
	if err != nil {
		return nil, fmt.Errorf("not a JSON Patch operation: %w", err)
	}
	out, err := patch.ApplyWithOptions(doc, opts)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// operationSummary returns "<op> <path>" of a JSON Patch operation, for messages.
func operationSummary(raw json.RawMessage) string {
	var op struct {
		Op   string `json:"op"`
		Path string `json:"path"`
		From string `json:"from"`
	}
	if err := json.Unmarshal(raw, &op); err != nil || op.Op == "" {
		return "operation"
	}
	s := op.Op + " " + op.Path
	if op.From != "" {
		s += " from " + op.From
	}
	return strings.TrimSpace(s)
}

// failedOperationPath returns the YAML path of the member of a failed
// operation a user has to correct: its "from" for move and copy (the source
// is what is usually missing), else its "path".
func failedOperationPath(opPath string, raw json.RawMessage) string {
	var op struct {
		Op   string  `json:"op"`
		From *string `json:"from"`
	}
	if json.Unmarshal(raw, &op) == nil && (op.Op == "move" || op.Op == "copy") && op.From != nil {
		return schema.PathKey(opPath, "from")
	}
	return schema.PathKey(opPath, "path")
}

// templateSections are the top-level keys of a CloudFormation template.
var templateSections = []string{"AWSTemplateFormatVersion", "Conditions", "Description", "Mappings", "Metadata", "Outputs", "Parameters", "Resources", "Rules", "Transform"}

// resourceAttributes are the keys of a resource in a template.
var resourceAttributes = []string{"Condition", "CreationPolicy", "DeletionPolicy", "DependsOn", "Metadata", "Properties", "Type", "UpdatePolicy", "UpdateReplacePolicy"}

// checkOverriddenShape reports, at the stack's overrides, what the overrides
// of kind left in doc that CloudFormation would refuse before looking at any
// property: an unknown top-level section, an unknown resource attribute, a
// resource that is not an object with a Type.
func checkOverriddenShape(sys *schema.System, kind, stack string, doc map[string]any) diag.Diagnostics {
	var ds diag.Diagnostics
	// report places the problem at pointer (a JSON Pointer into the
	// template) on the last operation whose path touches it, else on the
	// stack's overrides key.
	report := func(pointer, format string, args ...any) {
		path := overridePath(kind)
		at := sys.Doc.KeyRange(path)
		if i := lastOperationTouching(sys.Overrides[kind], pointer); i >= 0 {
			path = schema.PathKey(schema.PathIndex(overridePath(kind), i), "path")
			at = sys.Doc.Range(path)
		}
		ds = append(ds, diag.Errorf(diag.RuleOverrideInvalid, at, path, format, args...).
			WithHint("check the override against the stack's template (cicdgen build writes it)"))
	}
	for _, key := range slices.Sorted(maps.Keys(doc)) {
		if !slices.Contains(templateSections, key) {
			report("/"+escapePointer(key), "after the overrides, stack %s has a top-level section %q, which CloudFormation does not know%s", stack, key, didYouMean(key, templateSections))
		}
	}
	if m, ok := doc["Metadata"]; ok {
		if _, isObject := m.(map[string]any); !isObject {
			report("/Metadata", "after the overrides, the Metadata of stack %s is not an object", stack)
		}
	}
	resources, ok := doc["Resources"].(map[string]any)
	if !ok {
		report("/Resources", "after the overrides, stack %s has no Resources object", stack)
		return ds
	}
	for _, id := range slices.Sorted(maps.Keys(resources)) {
		ptr := "/Resources/" + escapePointer(id)
		r, ok := resources[id].(map[string]any)
		if !ok {
			report(ptr, "after the overrides, resource %s of stack %s is not an object", id, stack)
			continue
		}
		if _, ok := r["Type"].(string); !ok {
			report(ptr+"/Type", "after the overrides, resource %s of stack %s has no Type", id, stack)
		}
		for _, key := range []string{"Properties", "Metadata"} {
			if v, ok := r[key]; ok {
				if _, isObject := v.(map[string]any); !isObject {
					report(ptr+"/"+key, "after the overrides, the %s of resource %s of stack %s is not an object", key, id, stack)
				}
			}
		}
		for _, key := range slices.Sorted(maps.Keys(r)) {
			if !slices.Contains(resourceAttributes, key) {
				report(ptr+"/"+escapePointer(key), "after the overrides, resource %s of stack %s has an attribute %q, which CloudFormation does not know%s", id, stack, key, didYouMean(key, resourceAttributes))
			}
		}
	}
	return ds
}

// lastOperationTouching returns the index of the last operation whose path
// is pointer, lies under it or above it, or -1.
func lastOperationTouching(ops []json.RawMessage, pointer string) int {
	for i := len(ops) - 1; i >= 0; i-- {
		var op struct {
			Path string `json:"path"`
		}
		if json.Unmarshal(ops[i], &op) != nil {
			continue
		}
		if op.Path == pointer || strings.HasPrefix(op.Path, pointer+"/") || strings.HasPrefix(pointer, op.Path+"/") {
			return i
		}
	}
	return -1
}

// escapePointer escapes a key for a JSON Pointer (RFC 6901).
func escapePointer(key string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(key)
}

// didYouMean returns `; did you mean "x"?` when a candidate is close to got.
func didYouMean(got string, candidates []string) string {
	if s := diag.DidYouMean(got, candidates); s != "" {
		return "; " + s
	}
	return ""
}
