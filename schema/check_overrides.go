package schema

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/cicdgen/cicdgen/diag"
)

// StackKinds returns the kind of every stack sys compiles to, in a stable
// order: pipeline, monitoring, secrets (with build.registry_credentials),
// artifacts-<region> for each support region, then roles-, secrets- (with
// managed secrets only) and ecs-<env> for each environment.
func StackKinds(sys *System) []string {
	out := []string{KindPipeline, KindMonitoring}
	if sys.Build.RegistryCredentials {
		out = append(out, KindToolingSecrets)
	}
	for _, r := range NamesOf(sys).SupportRegions() {
		out = append(out, KindArtifacts(r))
	}
	for i := range sys.Environments {
		e := &sys.Environments[i]
		out = append(out, KindRoles(e.Name))
		if e.HasManagedSecrets() {
			out = append(out, KindSecrets(e.Name))
		}
		out = append(out, KindECS(e.Name))
	}
	return out
}

// patchOps lists the RFC 6902 operations and whether each needs value and from.
var patchOps = map[string]struct{ value, from bool }{
	"add":     {value: true},
	"remove":  {},
	"replace": {value: true},
	"move":    {from: true},
	"copy":    {from: true},
	"test":    {value: true},
}

// checkOverrides checks that overrides name stacks of this system and hold
// valid JSON Patch operations.
func (c *semantic) checkOverrides() {
	kinds := StackKinds(c.sys)
	valid := map[string]bool{}
	for _, k := range kinds {
		valid[k] = true
	}
	for _, kind := range slices.Sorted(maps.Keys(c.sys.Overrides)) {
		kp := PathKey("$.overrides", kind)
		if !valid[kind] {
			c.reportUnknownStack(kp, kind, kinds)
		}
		for i, raw := range c.sys.Overrides[kind] {
			c.checkPatchOp(PathIndex(kp, i), raw)
		}
	}
}

func (c *semantic) reportUnknownStack(path, kind string, kinds []string) {
	if kind == KindArtifacts(c.sys.Region) {
		d := c.errorAtKey(diag.RuleOverrideStack, path, "there is no stack %q: the home region %s keeps its artifacts in the pipeline stack; override pipeline instead", kind, c.sys.Region)
		noteFix(d, "artifacts-<region> stacks exist only for regions other than the home region that an environment uses.")
		return
	}
	if env, ok := strings.CutPrefix(kind, KindSecrets("")); ok && c.sys.environment(env) != nil {
		d := c.errorAtKey(diag.RuleOverrideStack, path, "there is no stack %q: environment %q has no managed secret", kind, env)
		noteFix(d, "secrets-<env> stacks exist only for environments whose service.secrets has an entry with the value managed.")
		return
	}
	d := c.errorAtKey(diag.RuleOverrideStack, path, "overrides names stack %q, which this system does not have%s", kind, didYouMean(kind, kinds))
	noteFix(d, "Stacks of this system: %s.", strings.Join(kinds, ", "))
}

// checkPatchOp checks one RFC 6902 operation.
func (c *semantic) checkPatchOp(path string, raw json.RawMessage) {
	var op map[string]json.RawMessage
	if err := json.Unmarshal(raw, &op); err != nil || op == nil {
		c.errorAt(diag.RuleOverrideOp, path, "an override must be a JSON Patch operation such as {op: add, path: /Resources/X/Properties/Y, value: 1}")
		return
	}
	var name string
	if err := json.Unmarshal(op["op"], &name); err != nil || op["op"] == nil {
		at, msg := path, "the operation has no op; add op: add, remove, replace, move, copy or test"
		if op["op"] != nil {
			at, msg = PathKey(path, "op"), "op must be a string: add, remove, replace, move, copy or test"
		}
		c.errorAt(diag.RuleOverrideOp, at, "%s", msg)
		return
	}
	need, known := patchOps[name]
	if !known {
		c.errorAt(diag.RuleOverrideOp, PathKey(path, "op"), "op %q is not a JSON Patch operation; use add, remove, replace, move, copy or test%s", name, didYouMean(name, []string{"add", "remove", "replace", "move", "copy", "test"}))
		return
	}
	target, ok := c.pointerMember(path, op, "path", name)
	if !ok {
		return
	}
	if need.value {
		if _, has := op["value"]; !has {
			c.errorAt(diag.RuleOverrideOp, path, "op %s needs a value; add value: to the operation", name)
		}
	}
	if need.from {
		from, ok := c.pointerMember(path, op, "from", name)
		if ok && name == "move" && strings.HasPrefix(target, from+"/") {
			c.errorAt(diag.RuleOverrideOp, PathKey(path, "from"), "cannot move %s into its own child %s; move it elsewhere or copy it", from, target)
		}
	}
	if target == "" && (name == "remove" || name == "move") {
		c.errorAt(diag.RuleOverrideOp, PathKey(path, "path"), "op %s with path \"\" would remove the whole template; point path at the node to change, e.g. /Resources/Pipeline", name)
	}
}

// pointerMember checks that member (path or from) of op is a JSON Pointer
// and returns it.
func (c *semantic) pointerMember(opPath string, op map[string]json.RawMessage, member, name string) (string, bool) {
	raw, has := op[member]
	if !has {
		c.errorAt(diag.RuleOverrideOp, opPath, "op %s needs %s, a JSON Pointer such as /Resources/Pipeline/Properties/Name; add %s:", name, member, member)
		return "", false
	}
	var ptr string
	p := PathKey(opPath, member)
	if err := json.Unmarshal(raw, &ptr); err != nil {
		c.errorAt(diag.RuleOverrideOp, p, "%s must be a string, a JSON Pointer such as /Resources/Pipeline", member)
		return "", false
	}
	if err := checkJSONPointer(ptr); err != nil {
		c.errorAt(diag.RuleOverrideOp, p, "%s %q is not a JSON Pointer: %v", member, ptr, err)
		return "", false
	}
	return ptr, true
}

// checkJSONPointer checks the syntax of an RFC 6901 JSON Pointer.
func checkJSONPointer(p string) error {
	if p == "" {
		return nil
	}
	if p[0] != '/' {
		return fmt.Errorf("start it with /, e.g. /%s", p)
	}
	for i := 0; i < len(p); i++ {
		if p[i] != '~' {
			continue
		}
		if i+1 >= len(p) || (p[i+1] != '0' && p[i+1] != '1') {
			return fmt.Errorf("~ at offset %d must be followed by 0 (for ~) or 1 (for /)", i)
		}
	}
	return nil
}
