// Package compiler turns a loaded system (schema.System) into the
// CloudFormation stacks of SPEC.md and writes them out.
//
// Start with Compile. Every stack is a value of a type per stack kind, one
// file each (kind_pipeline.go, kind_ecs.go, ...), which implements stackKind
// (kind.go): its kind, environment and region, the kinds it depends on, and
// its template and parameters from the kind's builder (pipeline.go,
// ecs.go, ... — each builder file's doc comment lists the logical ids it
// creates, which overrides address). A new kind is
// one file plus one line in toolingKinds or environmentKinds. For every
// stack Compile sets its account, region, tags, dependencies and
// termination protection, adds DeletionPolicy Delete where a builder set
// none, applies system.yaml's overrides (RFC 6902 JSON Patch), renders the
// template as canonical JSON (Stack.Body) and checks CloudFormation's and
// IAM's quotas, reporting what fails as positioned diagnostics.
//
// Outputs renders an Assembly as a manifest.Output, files in memory —
// templates, the TemplateConfiguration files of the stacks the pipeline
// deploys, and manifest.json; cmd/cicdgen hands it to deploy to apply
// without writing files. WriteOutput writes the same files into a directory
// atomically (what `cicdgen build` does). Graph draws the stacks and their
// dependencies for `cicdgen graph`.
//
// Tests: golden_test.go compares the output of every example and of the
// cases under testdata/build with their want directories (go test
// ./compiler -update rewrites them); cfnschema_test.go validates every
// generated template against the CloudFormation resource provider schemas
// kept in testdata/cfn-schemas, which the directive below regenerates from
// AWS's schemas in the project's shared/cfn-schemas, beside the clone, with
// testdata/handler-permissions.json. No test reads outside the repository.
package compiler

//go:generate go run ./internal/cfnschemagen -src ../../shared/cfn-schemas -out testdata/cfn-schemas/schemas.json -handlers testdata/handler-permissions.json
