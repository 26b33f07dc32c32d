package awscmd

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/cicdgen/cicdgen/internal/command"
)

// runCLIWith runs cicdgen in process with env's terminal settings and
// stdin, and returns its exit code and output.
func runCLIWith(t *testing.T, env Env, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	env.Stdout, env.Stderr, env.Getenv = &stdout, &stderr, os.Getenv
	if env.Stdin == nil {
		env.Stdin = strings.NewReader("")
	}
	code := Main(append([]string{"cicdgen"}, args...), withVirtualPace(env))
	return code, stdout.String(), stderr.String()
}

func TestDiffOfANeverDeployedSystemShowsEveryStackToBeCreated(t *testing.T) {
	fake, file := deployFixture(t)
	code, stdout, stderr := runCLI(t, "diff", file, "--poll-interval", "5ms")
	if code != 0 {
		t.Fatalf("diff exited %d\n%s\n%s", code, stdout, stderr)
	}
	for _, stack := range []string{"shop-pipeline-x", "shop-monitoring-x", "shop-artifacts-us-west-2-x", "shop-roles-dev-x", "shop-secrets-prod-x", "shop-ecs-staging-x"} {
		if !strings.Contains(stdout, stack+" (") || !strings.Contains(stdout[strings.Index(stdout, stack+" ("):], "to be created") {
			t.Errorf("%s not shown as to be created:\n%s", stack, stdout)
		}
	}
	if n := strings.Count(stdout, ": to be created"); n != 12 {
		t.Errorf("%d stacks to be created, want 12:\n%s", n, stdout)
	}
	// Its resources, and the policies it creates.
	for _, want := range []string{"+ Add", "TargetGroupBlue", "AWS::ElasticLoadBalancingV2::TargetGroup", "Security: IAM statements", "statement added"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("no %q in\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "\x1b[") {
		t.Error("colour on a stream that is not a terminal")
	}
	if fake.CallCount("ExecuteChangeSet") != 0 {
		t.Error("diff executed a change set")
	}

	code, stdout, stderr = runCLI(t, "diff", file, "--poll-interval", "5ms", "--format", "json")
	if code != 0 {
		t.Fatalf("diff --format json exited %d\n%s", code, stderr)
	}
	var plan struct {
		Version int
		Stacks  []struct {
			Stack, Result, Note string
			Changes             []struct{ Action string }
		}
		Security []struct{ Widens bool }
	}
	if err := json.Unmarshal([]byte(stdout), &plan); err != nil {
		t.Fatalf("not one JSON document: %v\n%s", err, stdout)
	}
	if plan.Version != 1 || len(plan.Stacks) != 12 || len(plan.Security) == 0 {
		t.Errorf("plan: version %d, %d stacks, %d security changes", plan.Version, len(plan.Stacks), len(plan.Security))
	}
	for _, s := range plan.Stacks {
		if s.Result != "planned" || !strings.HasPrefix(s.Note, "to be created") || len(s.Changes) == 0 {
			t.Errorf("%s: %s %q with %d changes", s.Stack, s.Result, s.Note, len(s.Changes))
		}
	}
}

// withHealthCheck returns the fixture system with another health check
// path (a change of both target groups) and an override of the dev
// production listener rule's priority (a change of the rule).
func changedSystem(t *testing.T, file string) {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(src), "  port: 8080\n", "  port: 8080\n  health_check: /healthz\n", 1) +
		"overrides:\n  ecs-dev:\n    - {op: replace, path: /Resources/ProductionListenerRule/Properties/Priority, value: 7}\n"
	if err := os.WriteFile(file, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestBlueGreenGuard(t *testing.T) {
	fake, file := deployFixture(t)
	if code, stdout, stderr := runCLI(t, "apply", file, "--poll-interval", "5ms"); code != 0 {
		t.Fatalf("apply exited %d\n%s\n%s", code, stdout, stderr)
	}
	changedSystem(t, file)
	fake.ForceReplacement("shop-ecs-dev-x", "ProductionListenerRule")

	code, stdout, stderr := runCLI(t, "diff", file, "--poll-interval", "5ms")
	if code != 0 {
		t.Fatalf("diff exited %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{
		"Blue/green traffic resets",
		"shop-ecs-dev-x: replace ProductionListenerRule (AWS::ElasticLoadBalancingV2::ListenerRule)",
		"shop-ecs-prod-x: modify TargetGroupBlue",
		"HealthCheckPath: / → /healthz",
		"--allow-traffic-reset",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("diff: no %q in\n%s", want, stdout)
		}
	}

	executed := fake.CallCount("ExecuteChangeSet")
	code, stdout, stderr = runCLI(t, "apply", file, "--poll-interval", "5ms")
	if code != command.ExitInputErrors {
		t.Fatalf("apply exited %d, want 1\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "replace ProductionListenerRule") || !strings.Contains(stderr, "nothing was executed") || !strings.Contains(stderr, "Instead:") {
		t.Errorf("apply's refusal:\n%s", stderr)
	}
	if n := fake.CallCount("ExecuteChangeSet"); n != executed {
		t.Errorf("apply executed %d change sets before refusing", n-executed)
	}
	if created, deleted := fake.CallCount("CreateChangeSet"), fake.CallCount("DeleteChangeSet"); created == 0 || deleted < 3 {
		t.Errorf("change sets: %d created, %d deleted", created, deleted)
	}

	code, stdout, stderr = runCLI(t, "apply", file, "--poll-interval", "5ms", "--allow-traffic-reset")
	if code != 0 {
		t.Fatalf("apply --allow-traffic-reset exited %d\n%s\n%s", code, stdout, stderr)
	}
}

func TestApplyAsksBeforeWideningOrProtectedChanges(t *testing.T) {
	fake, file := deployFixture(t)
	t.Setenv("CICDGEN_REQUIRE_APPROVAL", command.ApprovalBroadening)

	// A new system creates roles: without a terminal it needs --yes.
	code, stdout, stderr := runCLI(t, "apply", file, "--poll-interval", "5ms")
	if code != command.ExitUsage || !strings.Contains(stderr, "--yes") || !strings.Contains(stdout, "statement added") {
		t.Fatalf("apply without --yes: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if fake.CallCount("CreateChangeSet") != 0 {
		t.Error("apply created change sets before the approval")
	}

	// On a terminal, the answer decides.
	code, stdout, stderr = runCLIWith(t, Env{StdinIsTerminal: true, Stdin: strings.NewReader("n\n")}, "apply", file, "--poll-interval", "5ms")
	if code != command.ExitUsage || !strings.Contains(stdout, "Deploy these changes? [y/N]") || !strings.Contains(stderr, "not approved") {
		t.Fatalf("declined: exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, stderr = runCLIWith(t, Env{StdinIsTerminal: true, Stdin: strings.NewReader("y\n")}, "apply", file, "--poll-interval", "5ms")
	if code != 0 {
		t.Fatalf("approved: exit %d\n%s\n%s", code, stdout, stderr)
	}

	// Nothing changes: nothing to approve.
	if code, stdout, stderr = runCLI(t, "apply", file, "--poll-interval", "5ms"); code != 0 {
		t.Fatalf("unchanged apply: exit %d\n%s\n%s", code, stdout, stderr)
	}

	// A change to the protected environment is asked about, even when it
	// widens nothing; --require-approval never does not ask.
	src, _ := os.ReadFile(file)
	os.WriteFile(file, []byte(strings.Replace(string(src), "tags: {team: platform}", "tags: {team: platform, owner: shop}", 1)), 0o644)
	code, stdout, stderr = runCLI(t, "apply", file, "--poll-interval", "5ms", "--env", "prod")
	if code != command.ExitUsage || !strings.Contains(stdout, "Stacks of protected environments that change: shop-") {
		t.Fatalf("protected change without --yes: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if code, stdout, stderr = runCLI(t, "apply", file, "--poll-interval", "5ms", "--require-approval", "never"); code != 0 {
		t.Fatalf("--require-approval never: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if code, _, stderr = runCLI(t, "apply", file, "--require-approval", "sometimes"); code != command.ExitUsage || !strings.Contains(stderr, "never, broadening or any") {
		t.Errorf("bad --require-approval: exit %d\n%s", code, stderr)
	}
}
