// Package deploy applies a compiled system to AWS: it plans the stacks of a
// manifest in dependency order, deploys each through a CloudFormation change
// set (Apply), shows what would change (Apply with Options.DryRun), and checks
// what must exist outside the templates (Preflight).
//
// Start with Bundle (what to deploy: LoadDir reads a build directory,
// FromOutput takes a system built in memory), then Apply. Every AWS call goes
// through the small interfaces of clients.go, built per account and region by
// a ClientFactory; NewAWS is the factory over the AWS SDK for Go v2 and its
// default configuration. Its clients pace every call (pace.go: one token
// bucket per account and region, throttling retried patiently with full
// jitter) and explain every error (errors.go: EndpointError for an endpoint
// out of reach, CallError with the fix of a refusal or expired credentials).
// Progress goes to a Reporter (NewReporter picks a live view on a terminal
// and plain lines otherwise); the result reads as JSON through
// Result.Output (ApplyResult).
//
// Waiting is polling (watch.go): a change set is looked at once created, a
// stack soon after its execution, then less and less often, so that fast
// and slow implementations are both followed closely. apply relies only on
// what every implementation of the CloudFormation API gives: events in
// either order and without ids, change sets without ids or listed changes,
// a status that lags behind an execution.
//
// Package fakeaws is a local fake of the AWS APIs used here, speaking their
// wire protocols, for tests; its Quirks make it answer like other
// implementations.
package deploy
