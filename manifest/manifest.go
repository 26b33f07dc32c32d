package manifest

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// File is the name of the manifest that build writes beside the templates.
const File = "manifest.json"

// Version is the version of manifest.json this package writes and reads.
const Version = 1

// Manifest describes a built system: what apply needs to deploy a build
// output directory without the system.yaml it came from.
type Manifest struct {
	Version int    `json:"version"` // Version
	System  string `json:"system"`  // system.yaml's name
	Suffix  string `json:"suffix"`
	Region  string `json:"region"` // home region
	// CicdgenVersion is the cicdgen version that built the output (the
	// compiler's ToolVersion): the pipeline's UpdatePipeline stage installs
	// exactly this version to apply the tooling stacks.
	CicdgenVersion string  `json:"cicdgenVersion"`
	Stacks         []Stack `json:"stacks"` // in the build's order
	// Placeholders lists, as "PATH: message", the placeholder values of
	// system.yaml (schema.Placeholders) when it was built. apply refuses a
	// directory whose manifest lists any, as it refuses such a system.yaml.
	Placeholders []string `json:"placeholders,omitempty"`
}

// Stack is one stack of a Manifest.
type Stack struct {
	Name                  string               `json:"name"`
	Kind                  string               `json:"kind"`
	Environment           string               `json:"environment,omitempty"`
	Account               Account              `json:"account"`
	Region                string               `json:"region"`
	Template              string               `json:"template"` // file name, relative to the manifest
	Parameters            map[string]Parameter `json:"parameters"`
	DependsOn             []string             `json:"dependsOn"`
	Tags                  map[string]string    `json:"tags"`
	TerminationProtection bool                 `json:"terminationProtection"`
	// TrafficResources are the logical ids of the resources whose change
	// resets the live traffic of a blue/green service (its listener rules
	// and target groups): diff reports such a change and apply refuses it
	// without --allow-traffic-reset. Absent for other stacks.
	TrafficResources []string `json:"trafficResources,omitempty"`
	SHA256           string   `json:"sha256"` // of the template file's bytes, hex
}

// Account is the account a stack goes to, and how apply reaches it.
type Account struct {
	Key     string `json:"key"`
	ID      string `json:"id"`
	Role    string `json:"role,omitempty"`
	Profile string `json:"profile,omitempty"`
}

// Parameter is the value of one stack parameter: a literal, or an output of a
// stack this one depends on (resolved by apply when that stack is done; used
// where a value crosses regions and so cannot be an Fn::ImportValue).
type Parameter struct {
	Value      string     `json:"value,omitempty"`
	FromOutput *OutputRef `json:"fromOutput,omitempty"`
}

// OutputRef names an output of another stack of the same system.
type OutputRef struct {
	Stack  string `json:"stack"`
	Output string `json:"output"`
}

// Encode returns m as manifest.json: indented by two spaces, map keys
// sorted, no HTML escaping, a trailing newline. Same manifest, same bytes.
func (m Manifest) Encode() ([]byte, error) {
	b, err := indentedJSON(m)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", File, err)
	}
	return b, nil
}

// Read decodes a manifest.json. It refuses unknown fields and any version
// but Version.
func Read(data []byte) (Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return Manifest{}, fmt.Errorf("decode %s: %w", File, err)
	}
	if m.Version != Version {
		return Manifest{}, fmt.Errorf("%s has version %d; this cicdgen reads version %d", File, m.Version, Version)
	}
	return m, nil
}

// indentedJSON encodes v as encoding/json's Encoder does with two-space
// indentation and without HTML escaping, with its trailing newline.
func indentedJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
