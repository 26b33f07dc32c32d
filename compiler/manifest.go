package compiler

// ManifestFile is the name of the manifest that build writes beside the templates.
const ManifestFile = "manifest.json"

// Manifest describes a built system: what apply needs to deploy a build
// output directory without the system.yaml it came from.
type Manifest struct {
	Version int    `json:"version"` // 1
	System  string `json:"system"`  // system.yaml's name
	Suffix  string `json:"suffix"`
	Region  string `json:"region"` // home region
	// CicdgenVersion is the cicdgen version that built the output
	// (ToolVersion): the pipeline's UpdatePipeline stage installs exactly
	// this version to apply the tooling stacks.
	CicdgenVersion string          `json:"cicdgenVersion"`
	Stacks         []ManifestStack `json:"stacks"` // in the assembly's order
	// Placeholders lists, as "PATH: message", the placeholder values of
	// system.yaml (schema.Placeholders) when it was built. apply refuses a
	// directory whose manifest lists any, as it refuses such a system.yaml.
	Placeholders []string `json:"placeholders,omitempty"`
}

// ManifestStack is one stack of a Manifest.
type ManifestStack struct {
	Name                  string               `json:"name"`
	Kind                  string               `json:"kind"`
	Environment           string               `json:"environment,omitempty"`
	Account               ManifestAccount      `json:"account"`
	Region                string               `json:"region"`
	Template              string               `json:"template"` // file name, relative to the manifest
	Parameters            map[string]Parameter `json:"parameters"`
	DependsOn             []string             `json:"dependsOn"`
	Tags                  map[string]string    `json:"tags"`
	TerminationProtection bool                 `json:"terminationProtection"`
	SHA256                string               `json:"sha256"` // of the template file's bytes, hex
}

// ManifestAccount is the account a stack goes to, and how apply reaches it.
type ManifestAccount struct {
	Key     string `json:"key"`
	ID      string `json:"id"`
	Role    string `json:"role,omitempty"`
	Profile string `json:"profile,omitempty"`
}
