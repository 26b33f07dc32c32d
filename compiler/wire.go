package compiler

import "bytes"

// WireBody returns the template body apply sends to CloudFormation for the
// template file body: a JSON template without its indentation (the same
// document, in CloudFormation's eyes), a YAML template as it is. Build
// output stays indented for people and diffs; CloudFormation's 51,200-byte
// limit on an inline TemplateBody, which the compiler's template-size check
// and apply measure against, applies to what is sent.
func WireBody(body []byte) []byte {
	if !bytes.HasPrefix(bytes.TrimSpace(body), []byte("{")) {
		return body
	}
	v, err := decodeJSON(body)
	if err != nil {
		return body
	}
	compact, err := compactJSON(v)
	if err != nil {
		return body
	}
	return compact
}
