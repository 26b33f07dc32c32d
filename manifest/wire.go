package manifest

import (
	"bytes"
	"encoding/json"
)

// WireBody returns the template body apply sends to CloudFormation for the
// template file body: a JSON template without its indentation (the same
// document, in CloudFormation's eyes), any other template (YAML) as it is.
// Build output stays indented for people and diffs; CloudFormation's
// 51,200-byte limit on an inline TemplateBody, which the compiler's
// template-size check and apply measure against, applies to what is sent.
func WireBody(body []byte) []byte {
	var compact bytes.Buffer
	if err := json.Compact(&compact, body); err != nil {
		return body
	}
	return compact.Bytes()
}
