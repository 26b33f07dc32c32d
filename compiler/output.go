package compiler

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/cicdgen/cicdgen/manifest"
	"github.com/cicdgen/cicdgen/schema"
)

// Outputs renders the assembly in format (manifest.FormatJSON, the default
// when empty, or manifest.FormatYAML): each stack's template (Stack.Body,
// converted to YAML for "yaml"), the template configurations of the stacks
// the pipeline deploys (the ecs stacks), and manifest.json. The pipeline's
// deploy actions read <ecs stack>.json from the build output, so the build
// inside the pipeline must use the json format.
func Outputs(a *Assembly, format string) (*manifest.Output, error) {
	format, err := manifest.CheckFormat(format)
	if err != nil {
		return nil, err
	}
	sys := a.System
	out := &manifest.Output{Files: map[string][]byte{}}
	out.Manifest = manifest.Manifest{Version: manifest.Version, CicdgenVersion: ToolVersion(), Stacks: make([]manifest.Stack, 0, len(a.Stacks))}
	if sys != nil {
		out.Manifest.System, out.Manifest.Suffix, out.Manifest.Region = sys.Name, sys.Suffix, sys.Region
		for _, d := range schema.Placeholders(sys) {
			out.Manifest.Placeholders = append(out.Manifest.Placeholders, d.Path+": "+d.Message)
		}
	}
	for _, s := range a.Stacks {
		body := s.Body
		if format == manifest.FormatYAML {
			if body, err = JSONToYAML(s.Body); err != nil {
				return nil, fmt.Errorf("convert the template of %s to YAML: %w", s.Name, err)
			}
		}
		file := manifest.TemplateFile(s.Name, format)
		out.Files[file] = body
		out.Manifest.Stacks = append(out.Manifest.Stacks, manifestStack(s, file, body))
		if s.PipelineDeployed {
			cfg, err := templateConfiguration(s)
			if err != nil {
				return nil, fmt.Errorf("template configuration of %s: %w", s.Name, err)
			}
			out.Files[manifest.ConfigFile(s.Name)] = cfg
		}
	}
	data, err := out.Manifest.Encode()
	if err != nil {
		return nil, err
	}
	out.Files[manifest.File] = data
	return out, nil
}

// manifestStack returns the manifest entry of stack s, whose template is
// body in file: empty lists and maps rather than null ones.
func manifestStack(s *Stack, file string, body []byte) manifest.Stack {
	sum := sha256.Sum256(body)
	params := s.Parameters
	if params == nil {
		params = map[string]Parameter{}
	}
	deps := s.DependsOn
	if deps == nil {
		deps = []string{}
	}
	tags := s.Tags
	if tags == nil {
		tags = map[string]string{}
	}
	return manifest.Stack{
		Name:        s.Name,
		Kind:        s.Kind,
		Environment: s.Environment,
		Account: manifest.Account{
			Key: s.Account.Key, ID: s.Account.ID, Role: s.Account.Role, Profile: s.Account.Profile,
		},
		Region:                s.Region,
		Template:              file,
		Parameters:            params,
		DependsOn:             deps,
		Tags:                  tags,
		TerminationProtection: s.TerminationProtection,
		TrafficResources:      s.TrafficResources,
		SHA256:                hex.EncodeToString(sum[:]),
	}
}

// templateConfiguration returns the TemplateConfiguration file of a stack
// the pipeline deploys: its literal parameters except ImageUri (the deploy
// action passes that one) and its tags, so that a pipeline deploy leaves the
// stack as apply made it.
func templateConfiguration(s *Stack) ([]byte, error) {
	cfg := manifest.TemplateConfiguration{Parameters: map[string]string{}, Tags: map[string]string{}}
	for name, p := range s.Parameters {
		if name == manifest.ImageURIParameter || p.FromOutput != nil {
			continue
		}
		cfg.Parameters[name] = p.Value
	}
	for k, v := range s.Tags {
		cfg.Tags[k] = v
	}
	return cfg.Encode()
}

// WriteOutput writes the assembly into dir in format (see Outputs),
// atomically, as manifest.Output.Write does.
func WriteOutput(dir string, a *Assembly, format string) error {
	out, err := Outputs(a, format)
	if err != nil {
		return err
	}
	return out.Write(dir)
}

// JSONToYAML converts a JSON document into block-style YAML,
// deterministically: mapping keys in the JSON's sorted order, two-space
// indentation, a trailing newline. Intrinsic functions stay in their long
// form (Fn::Sub: ...), which CloudFormation reads in YAML as in JSON.
//
// Strings are written plain only when no YAML 1.1 or 1.2 reader can take them
// for anything but that string; otherwise double-quoted with JSON's escapes
// (a JSON string is a valid YAML double-quoted scalar), or, for multi-line
// strings that allow it, as a literal block. The emitter is our own rather
// than goccy/go-yaml's, which leaves strings such as 1e3 and .inf plain.
func JSONToYAML(data []byte) ([]byte, error) {
	v, err := decodeJSON(data)
	if err != nil {
		return nil, fmt.Errorf("decode JSON: %w", err)
	}
	var b bytes.Buffer
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 0 {
			b.WriteString("{}\n")
		} else {
			yamlMap(&b, v, 0)
		}
	case []any:
		if len(v) == 0 {
			b.WriteString("[]\n")
		} else {
			yamlList(&b, v, 0)
		}
	default:
		if s, ok := v.(string); ok && literalOK(s) {
			b.WriteString("|" + chomping(s) + "\n")
			yamlLiteral(&b, s, 2)
		} else {
			b.WriteString(yamlScalar(v) + "\n")
		}
	}
	return b.Bytes(), nil
}

func yamlMap(b *bytes.Buffer, m map[string]any, indent int) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	pad := strings.Repeat(" ", indent)
	for _, k := range keys {
		b.WriteString(pad + yamlString(k) + ":")
		yamlValue(b, m[k], indent)
	}
}

func yamlList(b *bytes.Buffer, l []any, indent int) {
	pad := strings.Repeat(" ", indent)
	for _, item := range l {
		if m, ok := item.(map[string]any); ok && len(m) > 0 {
			// "- " then the mapping's first key on the same line.
			var sub bytes.Buffer
			yamlMap(&sub, m, indent+2)
			b.WriteString(pad + "- ")
			b.Write(sub.Bytes()[indent+2:])
			continue
		}
		b.WriteString(pad + "-")
		yamlValue(b, item, indent)
	}
}

// yamlValue writes v after a "key:" or "-" already written at indent.
func yamlValue(b *bytes.Buffer, v any, indent int) {
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 0 {
			b.WriteString(" {}\n")
			return
		}
		b.WriteString("\n")
		yamlMap(b, v, indent+2)
	case []any:
		if len(v) == 0 {
			b.WriteString(" []\n")
			return
		}
		b.WriteString("\n")
		yamlList(b, v, indent+2)
	case string:
		if literalOK(v) {
			b.WriteString(" |" + chomping(v) + "\n")
			yamlLiteral(b, v, indent+2)
			return
		}
		b.WriteString(" " + yamlString(v) + "\n")
	default:
		b.WriteString(" " + yamlScalar(v) + "\n")
	}
}

func yamlScalar(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		if v {
			return "true"
		}
		return "false"
	case json.Number:
		return v.String()
	case string:
		return yamlString(v)
	}
	return yamlString(fmt.Sprint(v))
}

// yamlString returns s as a plain scalar when that is unambiguous, else
// double-quoted.
func yamlString(s string) string {
	if plainOK(s) {
		return s
	}
	q, _ := compactJSON(s) // a string always encodes
	return string(q)
}

// plainWords are the plain scalars that YAML 1.1 or 1.2 reads as booleans or null.
var plainWords = map[string]bool{
	"y": true, "n": true, "yes": true, "no": true, "on": true, "off": true,
	"true": true, "false": true, "null": true, "~": true,
}

// plainOK reports whether s can be written as a plain scalar and still read
// back as the string s.
func plainOK(s string) bool {
	if s == "" || s == "<<" || s == "=" || plainWords[strings.ToLower(s)] {
		return false
	}
	// A leading digit, sign or dot could start a number, a date or a
	// sexagesimal; the others are YAML indicators.
	if strings.ContainsRune("0123456789+-.?:,[]{}#&*!|>'\"%@`~ ", rune(s[0])) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	if strings.HasSuffix(s, " ") || strings.HasSuffix(s, ":") ||
		strings.Contains(s, ": ") || strings.Contains(s, " #") {
		return false
	}
	return true
}

// literalOK reports whether the multi-line string s can be written as a
// literal block scalar and read back unchanged.
func literalOK(s string) bool {
	if !strings.Contains(s, "\n") || s[0] == ' ' || s[0] == '\n' {
		return false
	}
	for _, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		if line != "" && strings.TrimLeft(line, " ") == "" {
			return false // a line of spaces would read back as an empty line
		}
		for _, r := range line {
			if r < 0x20 || r == 0x7f || r > 0x7e {
				return false
			}
		}
	}
	return true
}

// chomping returns the block chomping indicator that keeps s's trailing newlines.
func chomping(s string) string {
	switch n := len(s) - len(strings.TrimRight(s, "\n")); {
	case n == 0:
		return "-"
	case n == 1:
		return ""
	default:
		return "+"
	}
}

func yamlLiteral(b *bytes.Buffer, s string, indent int) {
	pad := strings.Repeat(" ", indent)
	content := strings.TrimSuffix(s, "\n")
	for _, line := range strings.Split(content, "\n") {
		if line == "" {
			b.WriteString("\n")
			continue
		}
		b.WriteString(pad + line + "\n")
	}
}
