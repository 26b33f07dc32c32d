package manifest

import "fmt"

// Formats of the templates of a build output.
const (
	FormatJSON = "json" // the default
	FormatYAML = "yaml"
)

// CheckFormat returns the canonical name of a template format ("" means
// FormatJSON), or an error for an unknown one.
func CheckFormat(format string) (string, error) {
	switch format {
	case "", FormatJSON:
		return FormatJSON, nil
	case FormatYAML:
		return FormatYAML, nil
	}
	return "", fmt.Errorf("unknown template format %q: use json or yaml", format)
}

// TemplateFile returns the file name of a stack's template in format.
func TemplateFile(stackName, format string) string {
	if format == FormatYAML {
		return stackName + ".yaml"
	}
	return stackName + ".json"
}

// ConfigFile returns the file name of a stack's template configuration:
// the file the pipeline's CloudFormation deploy action reads (as
// TemplateConfiguration) for the stack's parameters and tags.
func ConfigFile(stackName string) string { return stackName + ".config.json" }

// ImageURIParameter is the parameter of the stacks the pipeline deploys
// that its deploy action sets to the built image; their template
// configuration leaves it out.
const ImageURIParameter = "ImageUri"

// TemplateConfiguration is the JSON of a CodePipeline CloudFormation
// action's TemplateConfiguration file.
type TemplateConfiguration struct {
	Parameters map[string]string `json:"Parameters"`
	Tags       map[string]string `json:"Tags"`
}

// Encode returns c as its file holds it: indented by two spaces, keys
// sorted, no HTML escaping, a trailing newline.
func (c TemplateConfiguration) Encode() ([]byte, error) {
	b, err := indentedJSON(c)
	if err != nil {
		return nil, fmt.Errorf("encode template configuration: %w", err)
	}
	return b, nil
}

// Template sizes CloudFormation accepts.
const (
	// MaxTemplateBodySize is the largest template passed inline as
	// TemplateBody; a larger one must go through an S3 template URL.
	MaxTemplateBodySize = 51_200
	// MaxTemplateBytes is the largest template CloudFormation accepts at
	// all, through an S3 template URL.
	MaxTemplateBytes = 1_000_000
)
