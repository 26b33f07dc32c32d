package schema

import "github.com/cicdgen/cicdgen/diag"

// Check runs the semantic checks the JSON Schema cannot express on a loaded,
// defaulted system and returns their diagnostics.
func Check(sys *System) diag.Diagnostics {
	return nil
}
