package cfn

// Resource is a CloudFormation resource: goformation's generated types and
// this package's own all satisfy it. It is the same method set as
// goformation's cloudformation.Resource.
type Resource interface {
	AWSCloudFormationType() string
}

// Template is a CloudFormation template whose resources are typed.
//
// It replaces goformation's cloudformation.Template, whose package registers
// every one of the 1,400-odd resource types goformation generates (for its
// template parser): importing it linked all of them, about 28 of the 31 MB
// of the cicdgen binary, and every process paid for that at start-up. The
// compiler uses goformation's service packages (ecs, iam, ...) only, and
// this type in place of the registry's; see compiler.templateDocument for
// how it becomes JSON.
type Template struct {
	AWSTemplateFormatVersion string               `json:"AWSTemplateFormatVersion,omitempty"`
	Description              string               `json:"Description,omitempty"`
	Metadata                 map[string]any       `json:"Metadata,omitempty"`
	Parameters               map[string]Parameter `json:"Parameters,omitempty"`
	Mappings                 map[string]any       `json:"Mappings,omitempty"`
	Conditions               map[string]any       `json:"Conditions,omitempty"`
	Resources                map[string]Resource  `json:"Resources,omitempty"`
	Outputs                  map[string]Output    `json:"Outputs,omitempty"`
	Rules                    Rules                `json:"Rules,omitempty"`
}

// NewTemplate returns an empty template of format version 2010-09-09, its
// maps ready to fill.
func NewTemplate() *Template {
	return &Template{
		AWSTemplateFormatVersion: "2010-09-09",
		Metadata:                 map[string]any{},
		Parameters:               map[string]Parameter{},
		Mappings:                 map[string]any{},
		Conditions:               map[string]any{},
		Resources:                map[string]Resource{},
		Outputs:                  map[string]Output{},
	}
}

// Parameter is a template parameter.
type Parameter struct {
	Type                  string   `json:"Type"`
	Description           *string  `json:"Description,omitempty"`
	Default               any      `json:"Default,omitempty"`
	AllowedPattern        *string  `json:"AllowedPattern,omitempty"`
	AllowedValues         []any    `json:"AllowedValues,omitempty"`
	ConstraintDescription *string  `json:"ConstraintDescription,omitempty"`
	MaxLength             *int     `json:"MaxLength,omitempty"`
	MinLength             *int     `json:"MinLength,omitempty"`
	MaxValue              *float64 `json:"MaxValue,omitempty"`
	MinValue              *float64 `json:"MinValue,omitempty"`
	NoEcho                *bool    `json:"NoEcho,omitempty"`
}

// Output is a template output; Export makes it importable by other stacks.
type Output struct {
	Value       any     `json:"Value"`
	Description *string `json:"Description,omitempty"`
	Export      *Export `json:"Export,omitempty"`
	Condition   *string `json:"Condition,omitempty"`
}

// Export is the export name of an Output.
type Export struct {
	Name string `json:"Name,omitempty"`
}

// String returns a pointer to s, for goformation's optional string properties.
func String(s string) *string { return &s }

// Int returns a pointer to n, for goformation's optional integer properties.
func Int(n int) *int { return &n }

// Bool returns a pointer to b, for goformation's optional boolean properties.
func Bool(b bool) *bool { return &b }
