package command

import (
	"time"

	"github.com/urfave/cli/v2"
)

// The commands that call AWS: apply, diff, preflight, status and destroy.
// Their names, usage, help and flags are defined here, so that the lean
// cicdgen binary lists them in its help and its completion scripts without
// linking the AWS SDK; their actions are in package awscmd, which the
// cicdgen-aws binary links (see handover.go).

// Values of --events, and the default of --poll-interval. They equal
// deploy's EventsAll, EventsFailed, EventsNone and DefaultPollMin, which
// awscmd's tests check; this package must not import deploy.
const (
	eventsAll      = "all"
	eventsFailed   = "failed"
	eventsNone     = "none"
	defaultPollMin = 250 * time.Millisecond
)

// AWSCommands names the commands whose actions call AWS.
func AWSCommands() []string {
	return []string{"apply", "diff", "preflight", "status", "destroy"}
}

// Values of apply's --require-approval, as CDK's.
const (
	ApprovalNever      = "never"
	ApprovalBroadening = "broadening"
	ApprovalAny        = "any"
)

// applyCommand is `cicdgen apply [FILE|DIR]`: deploy every stack through a
// change set, in dependency order, independent stacks in parallel.
func applyCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "apply",
		Usage:     "deploy the system through CloudFormation change sets, in dependency order",
		ArgsUsage: "[FILE|DIR]",
		Description: "Deploys FILE (a system.yaml, compiled in memory; default system.yaml) or DIR\n" +
			"(the output of cicdgen build: its manifest.json and templates). Each stack\n" +
			"goes through a change set; a stack starts when the stacks it depends on are\n" +
			"done, up to --concurrency at once across accounts and regions. An empty\n" +
			"change set means no changes. Credentials come from the AWS SDK's default\n" +
			"chain (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL_<SERVICE>, OIDC web\n" +
			"identity); other accounts are reached through their role or profile.\n\n" +
			"Exit status: 0 deployed, 1 input errors (placeholders included), 2 usage,\n" +
			"3 a stack failed, 130 interrupted. Once stacks were deployed, the status is\n" +
			"the deployment's: 3 when a stack failed and 130 when interrupted, even if\n" +
			"the summary (or --summary-json) could not be written; when every stack\n" +
			"succeeded, a summary that could not be written exits 1, with a message.",
		Flags: append(append(deployFlags(),
			&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "consent to deleting a stack left in ROLLBACK_COMPLETE to create it again, and approve the changes --require-approval asks about, without asking"},
			&cli.BoolFlag{Name: "dry-run", Usage: "show what would change (as cicdgen diff) and execute nothing"},
		), approvalFlags()...),
	}
}

// deployFlags are the flags apply and diff share.
func deployFlags() []cli.Flag {
	format := diagFormatFlag()
	format.Usage += "; github also turns failed stacks into workflow annotations"
	return []cli.Flag{
		envFlag(),
		&cli.StringSliceFlag{Name: "stack", Usage: "only stack `S`, by name or kind such as ecs-dev (repeatable), with the stacks it depends on"},
		&cli.BoolFlag{Name: "no-deps", Usage: "with --env or --stack: leave out the stacks the selected ones depend on"},
		&cli.IntFlag{Name: "concurrency", Value: 4, Usage: "deploy up to `N` stacks at once"},
		&cli.StringFlag{Name: "template-bucket", Usage: "upload templates over 51,200 bytes to S3 `BUCKET`"},
		&cli.StringFlag{Name: "summary-json", Usage: "also write the JSON document of --format json (docs/json.md) to `FILE`"},
		&cli.StringFlag{Name: "events", Value: eventsAll, Usage: "stack events shown in the progress: all, failed or none"},
		&cli.DurationFlag{Name: "poll-interval", Value: defaultPollMin, Usage: "shortest wait between two polls of CloudFormation, a `DURATION` such as 1s; on long operations the waits grow to 3s, or to this when longer"},
		format,
		strictFlag(), maxSizeFlag(),
		colorFlag(),
	}
}

// envFlag is the --env of apply, diff and status: a selection that takes the
// stacks the selected ones depend on along.
func envFlag() *cli.StringSliceFlag {
	return &cli.StringSliceFlag{Name: "env", Usage: "only the stacks of environment `E` (repeatable), with the stacks they depend on"}
}

// diffCommand is `cicdgen diff [FILE|DIR]`: what apply would change, stack by
// stack and property by property, through change sets that are created,
// read and deleted.
func diffCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "diff",
		Usage:     "show what apply would change, stack by stack and property by property, without changing anything",
		ArgsUsage: "[FILE|DIR]",
		Description: "Creates a change set per stack (of type CREATE for a stack that does not\n" +
			"exist yet), prints its changes — Add, Modify, Replace or Remove per resource\n" +
			"with its logical id and type, and under a Modify each property with its\n" +
			"value before and after; a stack's tag-only changes in one line — and\n" +
			"deletes it. Nothing is executed. A stack that does not exist is shown as\n" +
			"\"to be created\" with its resources, also when it depends on a stack not\n" +
			"deployed yet (its imports would fail a change set).\n\n" +
			"Then: the IAM statements, trust and resource policies that change (+ widens,\n" +
			"as apply's --require-approval broadening asks about), the stacks of protected\n" +
			"environments that change, and any change to the listener rules or target\n" +
			"groups of a deployed blue/green service (apply refuses those without\n" +
			"--allow-traffic-reset). Colour only on a terminal, never under NO_COLOR.\n" +
			"With --format json, stdout holds one JSON document (version, stacks,\n" +
			"security, protected, traffic); progress and diagnostics go to stderr.\n\n" +
			"Exit status: 0 shown, 1 input errors or output that could not be\n" +
			"written, 2 usage, 3 a change set failed, 130 interrupted.",
		Flags: deployFlags(),
	}
}

// preflightCommand is `cicdgen preflight [FILE]`: check what must exist
// outside the templates before apply.
func preflightCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "preflight",
		Usage:     "check what must exist outside the templates before apply",
		ArgsUsage: "[FILE]",
		Description: "Checks, each with pass/fail and the fix: no placeholder is left; every\n" +
			"account is reachable; the source connection is AVAILABLE; the build image\n" +
			"exists in ECR when build.image is ecr (a warning before the first apply);\n" +
			"each secret cicdgen creates (build.registry_credentials, managed service\n" +
			"secrets) has a value (never printed); each environment's roles stack is\n" +
			"recent enough for the stacks the pipeline deploys there.\n\n" +
			"Exit status: 0 all passed (warnings allowed), 1 a check failed, the input\n" +
			"has errors or the checks could not be written, 2 usage.",
		Flags: []cli.Flag{diagFormatFlag(), strictFlag(), maxSizeFlag(), colorFlag()},
	}
}

// statusCommand is `cicdgen status [FILE|DIR]`: every stack's state, the
// service URLs and the pipeline's last execution.
func statusCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "status",
		Usage:     "show every stack's state, each environment's service URL and the pipeline's last execution",
		ArgsUsage: "[FILE|DIR]",
		Description: "Reads, for FILE (a system.yaml, compiled in memory; default system.yaml) or\n" +
			"DIR (the output of cicdgen build), each stack in its account and region: its\n" +
			"state, its last update and whether its deployed template is the built one\n" +
			"(current), differs from it (stale: apply would change it) or is missing (not\n" +
			"deployed); each environment's service URL (its load balancer's); the\n" +
			"pipeline's console URL and its last execution per stage.\n\n" +
			"Exit status: 0 shown, 1 input errors or output that could not be written,\n" +
			"2 usage, 3 a stack could not be read or is in a failed state.",
		Flags: []cli.Flag{
			envFlag(),
			diagFormatFlag(),
			strictFlag(),
			colorFlag(),
		},
	}
}

// destroyCommand is `cicdgen destroy [FILE|DIR]`: delete the system's
// stacks in reverse dependency order.
func destroyCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "destroy",
		Usage:     "delete the system's stacks in reverse dependency order, emptying its buckets and repositories first",
		ArgsUsage: "[FILE|DIR]",
		Description: "Deletes the stacks of FILE (a system.yaml; default system.yaml) or DIR (the\n" +
			"output of cicdgen build): a stack once the stacks that depend on it are\n" +
			"gone, independent stacks in parallel. Before deleting a stack it empties\n" +
			"the buckets it deletes (every object version and delete marker) and the\n" +
			"repositories CloudFormation does not empty itself, and turns its\n" +
			"termination protection off. Protected environments (protect: true), and\n" +
			"the stacks they depend on, are kept unless --include-protected is given.\n" +
			"Resources whose DeletionPolicy is Retain or RetainExceptOnCreate outlive\n" +
			"their stack: destroy lists them. On a terminal it shows what will go and\n" +
			"asks for the system's name; otherwise it needs --yes.\n\n" +
			"Running it again finishes an interrupted destroy: stacks being deleted are\n" +
			"waited for, a stack left DELETE_FAILED is deleted again (what AWS still\n" +
			"cannot delete is retained and named), stacks already gone are skipped.\n\n" +
			"Exit status: 0 deleted (protected stacks kept), 1 input errors, 2 usage or\n" +
			"not confirmed, 3 a stack could not be deleted, 130 interrupted.",
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "env", Usage: "only the stacks of environment `E` (repeatable)"},
			&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "delete without asking"},
			&cli.BoolFlag{Name: "include-protected", Usage: "delete protected environments too, turning their termination protection off"},
			&cli.IntFlag{Name: "concurrency", Value: 4, Usage: "delete up to `N` stacks at once"},
			&cli.DurationFlag{Name: "poll-interval", Value: defaultPollMin, Usage: "shortest wait between two polls of CloudFormation, a `DURATION`"},
			diagFormatFlag(),
			strictFlag(),
			colorFlag(),
		},
	}
}

// approvalFlags are the flags of apply's review before anything executes.
func approvalFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "require-approval", Value: ApprovalBroadening, EnvVars: []string{"CICDGEN_REQUIRE_APPROVAL"},
			Usage: "which changes are shown and confirmed first: never, broadening (IAM or resource policies that widen, protected environments) or any (any policy change, protected environments); without a terminal they need --yes"},
		&cli.BoolFlag{Name: "allow-traffic-reset", Usage: "let apply modify or replace the listener rules and target groups of a deployed blue/green service (it resets production traffic)"},
	}
}
