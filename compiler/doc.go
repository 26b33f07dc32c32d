// Package compiler turns a loaded system (schema.System) into the
// CloudFormation stacks of SPEC.md and writes them out.
//
// Start with Compile: it runs one builder per stack kind (pipeline.go,
// monitoring.go, artifacts.go, roles.go, secrets.go, ecs.go — each file's
// doc comment lists the logical ids it creates, which overrides address),
// then, for every stack, sets its account, region, tags, dependencies and
// termination protection, adds DeletionPolicy Delete where a builder set
// none, applies system.yaml's overrides (RFC 6902 JSON Patch), renders the
// template as canonical JSON (Stack.Body) and checks CloudFormation's and
// IAM's quotas, reporting what fails as positioned diagnostics.
//
// Outputs renders an Assembly as files in memory — templates, the
// TemplateConfiguration files of the ecs stacks, and manifest.json; deploy
// uses it to apply without writing files. WriteOutput writes the same files
// into a directory atomically (what `cicdgen build` does). Graph draws the
// stacks and their dependencies for `cicdgen graph`.
//
// Tests: golden_test.go compares the output of every example and of the
// cases under testdata/build with their want directories (go test
// ./compiler -update rewrites them); cfnschema_test.go validates every
// generated template against the CloudFormation resource provider schemas
// kept in testdata/cfn-schemas, which the directive below regenerates from
// ../shared/cfn-schemas.
package compiler

//go:generate go run ./internal/cfnschemagen -src ../../shared/cfn-schemas -out testdata/cfn-schemas/schemas.json -handlers testdata/handler-permissions.json
