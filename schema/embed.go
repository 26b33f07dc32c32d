package schema

import (
	"bytes"
	_ "embed"
)

// schemaJSON is the JSON Schema of system.yaml v1. It is never modified.
//
//go:embed system.schema.json
var schemaJSON []byte

// SchemaID is the $id of the JSON Schema of system.yaml v1, usable in an
// editor modeline: # yaml-language-server: $schema=<SchemaID or a file path>.
const SchemaID = "https://cicdgen.dev/schema/system.v1.json"

// JSONSchema returns the JSON Schema (2020-12) of system.yaml v1, as embedded
// in the binary. The caller owns the returned slice.
func JSONSchema() []byte { return bytes.Clone(schemaJSON) }
