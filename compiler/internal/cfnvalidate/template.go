package cfnvalidate

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// pseudoParameters are the names Ref and Fn::Sub accept without a declaration.
var pseudoParameters = map[string]bool{
	"AWS::AccountId": true, "AWS::NotificationARNs": true, "AWS::NoValue": true, "AWS::Partition": true,
	"AWS::Region": true, "AWS::StackId": true, "AWS::StackName": true, "AWS::URLSuffix": true,
}

// resourceKeys are the keys a resource may have.
var resourceKeys = map[string]bool{
	"Type": true, "Properties": true, "DependsOn": true, "DeletionPolicy": true, "UpdateReplacePolicy": true,
	"Condition": true, "Metadata": true, "CreationPolicy": true, "UpdatePolicy": true,
}

var deletionPolicies = map[string]bool{"Delete": true, "Retain": true, "Snapshot": true, "RetainExceptOnCreate": true}

// templateSections are the top-level keys of a template.
var templateSections = map[string]bool{
	"AWSTemplateFormatVersion": true, "Description": true, "Metadata": true, "Parameters": true, "Rules": true,
	"Mappings": true, "Conditions": true, "Transform": true, "Resources": true, "Outputs": true,
}

// parameterTypes are the parameter types: the basic ones, the
// AWS-specific ones (AWS::EC2::VPC::Id, List<AWS::EC2::Subnet::Id>, ...),
// and the SSM parameter types (AWS::SSM::Parameter::Name and
// AWS::SSM::Parameter::Value<T>, whose value CloudFormation resolves from
// Parameter Store).
var parameterTypes = regexp.MustCompile(`^(String|Number|List<Number>|CommaDelimitedList|AWS::[A-Za-z0-9:]+|List<AWS::[A-Za-z0-9:]+>|` +
	`AWS::SSM::Parameter::Value<(String|List<String>|CommaDelimitedList|AWS::[A-Za-z0-9:]+|List<AWS::[A-Za-z0-9:]+>)>)$`)

// ssmParameterName is a valid SSM parameter name: letters, digits and
// .-_/ (a hierarchy starts with /), at most 1011 characters.
var ssmParameterName = regexp.MustCompile(`^[A-Za-z0-9_.\-/]+$`)

// ruleFunctions are the intrinsic functions a rule's condition or assertion
// may use.
var ruleFunctions = map[string]bool{
	"Ref": true, "Fn::And": true, "Fn::Contains": true, "Fn::EachMemberEquals": true, "Fn::EachMemberIn": true,
	"Fn::Equals": true, "Fn::Not": true, "Fn::Or": true, "Fn::RefAll": true, "Fn::ValueOf": true, "Fn::ValueOfAll": true,
}

// Template checks one template document (as decoded from JSON): its shape,
// every resource against its type's schema, and every reference inside it.
func (r *Registry) Template(doc map[string]any) []Problem {
	var ps problems
	for _, k := range slices.Sorted(maps.Keys(doc)) {
		if !templateSections[k] {
			ps.add(k, "unknown template section")
		}
	}
	if v, ok := doc["AWSTemplateFormatVersion"]; ok && v != "2010-09-09" {
		ps.add("AWSTemplateFormatVersion", "must be 2010-09-09")
	}
	params, _ := doc["Parameters"].(map[string]any)
	resources, _ := doc["Resources"].(map[string]any)
	conditions, _ := doc["Conditions"].(map[string]any)
	outputs, _ := doc["Outputs"].(map[string]any)
	if len(resources) == 0 {
		ps.add("Resources", "a template needs at least one resource")
	}
	for _, name := range slices.Sorted(maps.Keys(params)) {
		p, _ := params[name].(map[string]any)
		t, _ := p["Type"].(string)
		if !parameterTypes.MatchString(t) {
			ps.add("Parameters/"+name, "parameter type %q is not a CloudFormation parameter type", t)
		}
		if strings.HasPrefix(t, "AWS::SSM::Parameter::") {
			if d, ok := p["Default"]; ok {
				if n, _ := d.(string); !ssmParameterName.MatchString(n) || len(n) > 1011 {
					ps.add("Parameters/"+name+"/Default", "the default of an SSM parameter type must be a parameter name, not %v", d)
				}
			}
		}
	}
	checkRules(doc["Rules"], params, &ps)
	refs := &refChecker{params: params, resources: resources, conditions: conditions, r: r, ps: &ps}
	for _, name := range slices.Sorted(maps.Keys(conditions)) {
		refs.walk(conditions[name], "Conditions/"+name)
	}
	for _, id := range slices.Sorted(maps.Keys(resources)) {
		path := "Resources/" + id
		res, ok := resources[id].(map[string]any)
		if !ok {
			ps.add(path, "a resource must be an object")
			continue
		}
		reportUnknownKeys(res, resourceKeys, path, "unknown resource attribute", &ps)
		for _, k := range []string{"DeletionPolicy", "UpdateReplacePolicy"} {
			if v, ok := res[k]; ok {
				if s, _ := v.(string); !deletionPolicies[s] {
					ps.add(path+"/"+k, "%v is not a deletion policy", v)
				}
			}
		}
		typ, _ := res["Type"].(string)
		t := r.types[typ]
		if t == nil {
			ps.add(path+"/Type", "unknown resource type %q", typ)
		} else {
			props, ok := res["Properties"].(map[string]any)
			if _, present := res["Properties"]; present && !ok {
				ps.add(path+"/Properties", "Properties must be an object")
			}
			if props == nil {
				props = map[string]any{}
			}
			r.validateProperties(t, props, path+"/Properties", &ps)
		}
		if c, ok := res["Condition"]; ok {
			refs.condition(c, path+"/Condition")
		}
		switch d := res["DependsOn"].(type) {
		case nil:
		case string:
			refs.dependsOn(d, id, path+"/DependsOn")
		case []any:
			for i, x := range d {
				s, _ := x.(string)
				refs.dependsOn(s, id, fmt.Sprintf("%s/DependsOn[%d]", path, i))
			}
		default:
			ps.add(path+"/DependsOn", "DependsOn must be a string or a list of strings")
		}
		refs.walk(res["Properties"], path+"/Properties")
	}
	exports := map[string]string{}
	for _, name := range slices.Sorted(maps.Keys(outputs)) {
		path := "Outputs/" + name
		o, _ := outputs[name].(map[string]any)
		if _, ok := o["Value"]; !ok {
			ps.add(path, "an output needs a Value")
		}
		refs.walk(o["Value"], path+"/Value")
		if c, ok := o["Condition"]; ok {
			refs.condition(c, path+"/Condition")
		}
		if e, ok := o["Export"].(map[string]any); ok {
			refs.walk(e["Name"], path+"/Export/Name")
			if n, ok := e["Name"].(string); ok {
				if prev, dup := exports[n]; dup {
					ps.add(path+"/Export/Name", "export name %q is also the export of output %s", n, prev)
				}
				exports[n] = name
			}
		}
	}
	return ps
}

// ruleKeys and assertionKeys are the keys of a rule and of an assertion.
var (
	ruleKeys      = map[string]bool{"RuleCondition": true, "Assertions": true}
	assertionKeys = map[string]bool{"Assert": true, "AssertDescription": true}
)

// reportUnknownKeys reports, in sorted order, each key of m that allowed
// lacks.
func reportUnknownKeys(m map[string]any, allowed map[string]bool, path, msg string, ps *problems) {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if !allowed[k] {
			ps.add(path+"/"+k, "%s", msg)
		}
	}
}

// checkRules checks the Rules section: each rule is an object with an
// optional RuleCondition and a non-empty list of Assertions, each an object
// with an Assert and an optional string AssertDescription; conditions and
// assertions use rule functions only, and their Refs name parameters.
func checkRules(v any, params map[string]any, ps *problems) {
	if v == nil {
		return
	}
	rules, ok := v.(map[string]any)
	if !ok {
		ps.add("Rules", "Rules must be an object")
		return
	}
	for _, name := range slices.Sorted(maps.Keys(rules)) {
		path := "Rules/" + name
		rule, ok := rules[name].(map[string]any)
		if !ok {
			ps.add(path, "a rule must be an object")
			continue
		}
		reportUnknownKeys(rule, ruleKeys, path, "unknown rule key", ps)
		if c, ok := rule["RuleCondition"]; ok {
			checkRuleFunction(c, path+"/RuleCondition", params, ps)
		}
		assertions, _ := rule["Assertions"].([]any)
		if len(assertions) == 0 {
			ps.add(path+"/Assertions", "a rule needs a list of at least one assertion")
		}
		for i, a := range assertions {
			apath := fmt.Sprintf("%s/Assertions[%d]", path, i)
			am, ok := a.(map[string]any)
			if !ok {
				ps.add(apath, "an assertion must be an object")
				continue
			}
			reportUnknownKeys(am, assertionKeys, apath, "unknown assertion key", ps)
			assert, ok := am["Assert"]
			if !ok {
				ps.add(apath, "an assertion needs an Assert")
			} else if _, _, fn := isIntrinsic(assert); !fn {
				ps.add(apath+"/Assert", "Assert must be a rule function")
			} else {
				checkRuleFunction(assert, apath+"/Assert", params, ps)
			}
			if d, ok := am["AssertDescription"]; ok {
				if _, isString := d.(string); !isString {
					ps.add(apath+"/AssertDescription", "AssertDescription must be a string")
				}
			}
		}
	}
}

// checkRuleFunction checks the functions inside a rule's condition or
// assertion.
func checkRuleFunction(v any, path string, params map[string]any, ps *problems) {
	switch x := v.(type) {
	case []any:
		for i, item := range x {
			checkRuleFunction(item, fmt.Sprintf("%s[%d]", path, i), params, ps)
		}
	case map[string]any:
		name, arg, ok := isIntrinsic(x)
		if !ok {
			for _, k := range slices.Sorted(maps.Keys(x)) {
				checkRuleFunction(x[k], path+"/"+k, params, ps)
			}
			return
		}
		fpath := path + "/" + name
		if !ruleFunctions[name] {
			ps.add(fpath, "%s cannot be used in a rule", name)
			return
		}
		if name == "Ref" {
			s, _ := arg.(string)
			if _, ok := params[s]; !ok && !pseudoParameters[s] {
				ps.add(fpath, "Ref %q in a rule names no parameter", arg)
			}
			return
		}
		checkRuleFunction(arg, fpath, params, ps)
	}
}

// refChecker checks the references of one template.
type refChecker struct {
	params, resources, conditions map[string]any
	r                             *Registry
	ps                            *problems
}

func (c *refChecker) dependsOn(target, self, path string) {
	if target == self {
		c.ps.add(path, "a resource cannot depend on itself")
	} else if _, ok := c.resources[target]; !ok {
		c.ps.add(path, "DependsOn names %q, which is not a resource of the template", target)
	}
}

func (c *refChecker) condition(v any, path string) {
	name, ok := v.(string)
	if !ok {
		c.ps.add(path, "a condition reference must be a string")
		return
	}
	if _, ok := c.conditions[name]; !ok {
		c.ps.add(path, "condition %q is not declared", name)
	}
}

// ref checks that name is a parameter, a resource, a pseudo parameter or one
// of the extra names (Fn::Sub variables).
func (c *refChecker) ref(name, path string, extra map[string]any) {
	if pseudoParameters[name] {
		return
	}
	if _, ok := extra[name]; ok {
		return
	}
	if _, ok := c.params[name]; ok {
		return
	}
	if _, ok := c.resources[name]; ok {
		return
	}
	c.ps.add(path, "Ref %q names no parameter, resource or pseudo parameter", name)
}

// getAtt checks that id is a resource whose type has the attribute attr.
func (c *refChecker) getAtt(id, attr, path string) {
	res, ok := c.resources[id].(map[string]any)
	if !ok {
		c.ps.add(path, "Fn::GetAtt names %q, which is not a resource of the template", id)
		return
	}
	typ, _ := res["Type"].(string)
	t := c.r.types[typ]
	if t == nil {
		return // reported with the resource
	}
	if !t.attributes[attr] {
		c.ps.add(path, "%s has no attribute %s for Fn::GetAtt", typ, attr)
	}
}

var subVariable = regexp.MustCompile(`\$\{([^}]*)\}`)

// sub checks the ${...} variables of an Fn::Sub string.
func (c *refChecker) sub(s, path string, vars map[string]any) {
	for _, m := range subVariable.FindAllStringSubmatch(s, -1) {
		name := strings.TrimSpace(m[1])
		if strings.HasPrefix(name, "!") {
			continue // ${!Literal}
		}
		if _, ok := vars[name]; ok {
			continue
		}
		if id, attr, ok := strings.Cut(name, "."); ok && !pseudoParameters[name] {
			c.getAtt(id, attr, path)
			continue
		}
		c.ref(name, path, vars)
	}
}

// walk checks every intrinsic function inside v.
func (c *refChecker) walk(v any, path string) {
	switch x := v.(type) {
	case []any:
		for i, item := range x {
			c.walk(item, fmt.Sprintf("%s[%d]", path, i))
		}
	case map[string]any:
		name, arg, ok := isIntrinsic(x)
		if !ok {
			if cond, isCond := x["Condition"]; isCond && len(x) == 1 {
				c.condition(cond, path+"/Condition")
				return
			}
			for _, k := range slices.Sorted(maps.Keys(x)) {
				c.walk(x[k], path+"/"+k)
			}
			return
		}
		fpath := path + "/" + name
		switch name {
		case "Ref":
			s, ok := arg.(string)
			if !ok {
				c.ps.add(fpath, "Ref takes a name")
				return
			}
			c.ref(s, fpath, nil)
		case "Fn::GetAtt":
			switch a := arg.(type) {
			case string:
				id, attr, ok := strings.Cut(a, ".")
				if !ok {
					c.ps.add(fpath, "Fn::GetAtt %q has no attribute", a)
					return
				}
				c.getAtt(id, attr, fpath)
			case []any:
				if len(a) != 2 {
					c.ps.add(fpath, "Fn::GetAtt takes [resource, attribute]")
					return
				}
				id, _ := a[0].(string)
				if attr, ok := a[1].(string); ok {
					c.getAtt(id, attr, fpath)
				} else if _, ok := c.resources[id]; !ok {
					c.ps.add(fpath, "Fn::GetAtt names %q, which is not a resource of the template", id)
				}
				c.walk(a[1], fpath+"[1]")
			default:
				c.ps.add(fpath, "Fn::GetAtt takes [resource, attribute]")
			}
		case "Fn::Sub":
			switch a := arg.(type) {
			case string:
				c.sub(a, fpath, nil)
			case []any:
				if len(a) != 2 {
					c.ps.add(fpath, "Fn::Sub takes a string or [string, variables]")
					return
				}
				vars, _ := a[1].(map[string]any)
				for _, k := range slices.Sorted(maps.Keys(vars)) {
					c.walk(vars[k], fpath+"[1]/"+k)
				}
				if s, ok := a[0].(string); ok {
					c.sub(s, fpath, vars)
				} else {
					c.ps.add(fpath, "Fn::Sub needs a literal string")
				}
			default:
				c.ps.add(fpath, "Fn::Sub takes a string or [string, variables]")
			}
		case "Fn::If":
			a, ok := arg.([]any)
			if !ok || len(a) != 3 {
				c.ps.add(fpath, "Fn::If takes [condition, then, else]")
				return
			}
			c.condition(a[0], fpath+"[0]")
			c.walk(a[1], fpath+"[1]")
			c.walk(a[2], fpath+"[2]")
		case "Fn::ImportValue":
			// Checked across stacks by Imports; only nested functions here.
			c.walk(arg, fpath)
		default:
			c.walk(arg, fpath)
		}
	}
}

// Stack is one stack of an assembly, for CheckAssembly.
type Stack struct {
	Name      string
	Account   string // account id
	Region    string
	DependsOn []string
	Template  map[string]any
	// Parameters are the values apply passes; FromOutput names "stack/output".
	Parameters map[string]ParameterValue
}

// ParameterValue is a stack parameter's value as apply passes it.
type ParameterValue struct {
	Literal    bool
	FromStack  string // when not Literal
	FromOutput string
}

// CheckAssembly checks what crosses stacks: every Fn::ImportValue names, as
// a literal string, an Export of a stack in the same account and region that
// the importer depends on (directly or not); export names are unique per
// account and region; every parameter without a Default gets a value, every
// value names a declared parameter, and a value taken from another stack's
// output names a stack the importer depends on and an output it has.
func CheckAssembly(stacks []Stack) []Problem {
	var ps problems
	byName := map[string]*Stack{}
	for i := range stacks {
		byName[stacks[i].Name] = &stacks[i]
	}
	type export struct{ stack, output string }
	exports := map[string]export{} // account/region/name -> exporter
	for _, s := range stacks {
		outputs, _ := s.Template["Outputs"].(map[string]any)
		for _, name := range slices.Sorted(maps.Keys(outputs)) {
			o, _ := outputs[name].(map[string]any)
			e, _ := o["Export"].(map[string]any)
			n, ok := e["Name"].(string)
			if !ok {
				if e != nil {
					ps.add(s.Name+"/Outputs/"+name, "export names must be literal strings to be checked")
				}
				continue
			}
			key := s.Account + "/" + s.Region + "/" + n
			if prev, dup := exports[key]; dup {
				ps.add(s.Name+"/Outputs/"+name, "export %q is also exported by %s", n, prev.stack)
				continue
			}
			exports[key] = export{s.Name, name}
		}
	}
	for _, s := range stacks {
		deps := closure(byName, s.Name)
		for _, imp := range imports(s.Template, s.Name) {
			n, ok := imp.arg.(string)
			if !ok {
				ps.add(imp.path, "Fn::ImportValue must name its export as a literal string")
				continue
			}
			e, ok := exports[s.Account+"/"+s.Region+"/"+n]
			if !ok {
				ps.add(imp.path, "no stack in account %s region %s exports %q", s.Account, s.Region, n)
				continue
			}
			if e.stack == s.Name {
				ps.add(imp.path, "a stack cannot import its own export %q", n)
			} else if !deps[e.stack] {
				ps.add(imp.path, "imports %q from %s, which it does not depend on", n, e.stack)
			}
		}
		params, _ := s.Template["Parameters"].(map[string]any)
		for _, name := range slices.Sorted(maps.Keys(params)) {
			p, _ := params[name].(map[string]any)
			if _, hasDefault := p["Default"]; !hasDefault {
				if _, given := s.Parameters[name]; !given {
					ps.add(s.Name+"/Parameters/"+name, "parameter has no Default and apply passes no value")
				}
			}
		}
		for _, name := range slices.Sorted(maps.Keys(s.Parameters)) {
			path := s.Name + "/parameters/" + name
			if _, ok := params[name]; !ok {
				ps.add(path, "apply passes parameter %s, which the template does not declare", name)
			}
			v := s.Parameters[name]
			if v.Literal {
				continue
			}
			from := byName[v.FromStack]
			if from == nil {
				ps.add(path, "takes output %s of stack %s, which is not in the assembly", v.FromOutput, v.FromStack)
				continue
			}
			if !deps[v.FromStack] {
				ps.add(path, "takes output %s of stack %s, which it does not depend on", v.FromOutput, v.FromStack)
			}
			outputs, _ := from.Template["Outputs"].(map[string]any)
			if _, ok := outputs[v.FromOutput]; !ok {
				ps.add(path, "stack %s has no output %s", v.FromStack, v.FromOutput)
			}
		}
		for _, d := range s.DependsOn {
			if byName[d] == nil {
				ps.add(s.Name+"/dependsOn", "depends on %s, which is not in the assembly", d)
			}
		}
	}
	if cycle := findCycle(stacks, byName); cycle != "" {
		ps.add("dependsOn", "the stack dependencies have a cycle: %s", cycle)
	}
	return ps
}

type importUse struct {
	path string
	arg  any
}

// imports returns every Fn::ImportValue of a template.
func imports(doc map[string]any, stack string) []importUse {
	var out []importUse
	var walk func(v any, path string)
	walk = func(v any, path string) {
		switch x := v.(type) {
		case []any:
			for i, item := range x {
				walk(item, fmt.Sprintf("%s[%d]", path, i))
			}
		case map[string]any:
			for _, k := range slices.Sorted(maps.Keys(x)) {
				if k == "Fn::ImportValue" && len(x) == 1 {
					out = append(out, importUse{path + "/" + k, x[k]})
					continue
				}
				walk(x[k], path+"/"+k)
			}
		}
	}
	walk(doc, stack)
	return out
}

// closure returns the stacks name depends on, directly or not.
func closure(byName map[string]*Stack, name string) map[string]bool {
	seen := map[string]bool{}
	var visit func(n string)
	visit = func(n string) {
		s := byName[n]
		if s == nil {
			return
		}
		for _, d := range s.DependsOn {
			if !seen[d] {
				seen[d] = true
				visit(d)
			}
		}
	}
	visit(name)
	return seen
}

// findCycle returns a dependency cycle as "a -> b -> a", or "".
func findCycle(stacks []Stack, byName map[string]*Stack) string {
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	var stack []string
	var found string
	var visit func(n string) bool
	visit = func(n string) bool {
		color[n] = grey
		stack = append(stack, n)
		s := byName[n]
		if s != nil {
			deps := append([]string(nil), s.DependsOn...)
			sort.Strings(deps)
			for _, d := range deps {
				switch color[d] {
				case grey:
					found = strings.Join(append(stack, d), " -> ")
					return true
				case white:
					if visit(d) {
						return true
					}
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[n] = black
		return false
	}
	for _, s := range stacks {
		if color[s.Name] == white && visit(s.Name) {
			return found
		}
	}
	return ""
}
