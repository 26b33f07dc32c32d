package awscmd

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cicdgen/cicdgen/internal/fakeaws"
)

// deploySystem is shaped like the seed, with real-looking ids: four
// accounts, environment accounts reached by role, prod in a second region.
const deploySystem = `version: 1
name: shop
suffix: x
region: us-east-1
tags: {team: platform}
accounts:
  tooling: "210987654321"
  dev: {id: "310987654321", role: "arn:aws:iam::310987654321:role/OrganizationAccountAccessRole"}
  staging: {id: "410987654321", role: "arn:aws:iam::410987654321:role/OrganizationAccountAccessRole"}
  prod: {id: "510987654321", role: "arn:aws:iam::510987654321:role/OrganizationAccountAccessRole"}
source:
  connection: arn:aws:codestar-connections:us-east-1:210987654321:connection/4f7c1d2e-9a8b-4c3d-8e7f-6a5b4c3d2e1f
  repository: acme-labs/shop
service:
  name: web
  port: 8080
  secrets: {API_KEY: managed}
environments:
  - name: dev
    account: dev
  - name: staging
    account: staging
    approval: true
  - name: prod
    account: prod
    region: us-west-2
    approval: true
    protect: true
`

const (
	toolingAccount = "210987654321"
	stagingAccount = "410987654321"
	prodAccount    = "510987654321"
)

// runCLI runs cicdgen in process and returns its exit code and output.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Main(append([]string{"cicdgen"}, args...), withVirtualPace(Env{
		Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Getenv: os.Getenv,
	}))
	return code, stdout.String(), stderr.String()
}

func deployFixture(t *testing.T) (*fakeaws.Server, string) {
	t.Helper()
	fake := fakeaws.Start(t)
	fake.Setenv(t, toolingAccount, "us-east-1", nil)
	t.Setenv("CI", "true")
	// Approvals are tested in approval_test.go.
	t.Setenv("CICDGEN_REQUIRE_APPROVAL", "never")
	dir := t.TempDir()
	file := filepath.Join(dir, "system.yaml")
	if err := os.WriteFile(file, []byte(deploySystem), 0o644); err != nil {
		t.Fatal(err)
	}
	return fake, file
}

func TestApplyCommandEndToEnd(t *testing.T) {
	fake, file := deployFixture(t)
	summary := filepath.Join(t.TempDir(), "summary.json")

	code, stdout, stderr := runCLI(t, "apply", file, "--poll-interval", "5ms", "--summary-json", summary)
	if code != 0 {
		t.Fatalf("apply exited %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	want := map[string][2]string{
		"shop-pipeline-x":            {toolingAccount, "us-east-1"},
		"shop-monitoring-x":          {toolingAccount, "us-east-1"},
		"shop-artifacts-us-west-2-x": {toolingAccount, "us-west-2"},
		"shop-ecs-staging-x":         {stagingAccount, "us-east-1"},
		"shop-roles-prod-x":          {prodAccount, "us-west-2"},
		"shop-ecs-prod-x":            {prodAccount, "us-west-2"},
	}
	for name, where := range want {
		info, ok := fake.Stack(where[0], where[1], name)
		if !ok || info.Status != "CREATE_COMPLETE" {
			t.Errorf("%s in %s/%s: %+v", name, where[0], where[1], info)
		}
		if info.Tags["team"] != "platform" {
			t.Errorf("%s tags %v", name, info.Tags)
		}
	}
	if info, _ := fake.Stack(prodAccount, "us-west-2", "shop-ecs-prod-x"); !info.TerminationProtection {
		t.Error("prod stack without termination protection")
	}
	if !strings.Contains(stdout, "STACK") || !strings.Contains(stdout, "created") {
		t.Errorf("no summary table:\n%s", stdout)
	}
	var res struct {
		Stacks []struct {
			Stack, Result string
		}
	}
	data, err := os.ReadFile(summary)
	if err != nil || json.Unmarshal(data, &res) != nil || len(res.Stacks) == 0 {
		t.Fatalf("summary json: %v %s", err, data)
	}
	for _, s := range res.Stacks {
		if s.Result != "created" {
			t.Errorf("summary: %s %s", s.Stack, s.Result)
		}
	}

	executed := fake.CallCount("ExecuteChangeSet")
	code, stdout, _ = runCLI(t, "apply", file, "--poll-interval", "5ms")
	if code != 0 || fake.CallCount("ExecuteChangeSet") != executed || strings.Contains(stdout, "created") {
		t.Errorf("second apply: exit %d, executed %d more\n%s", code, fake.CallCount("ExecuteChangeSet")-executed, stdout)
	}

	code, stdout, _ = runCLI(t, "diff", file, "--poll-interval", "5ms")
	if code != 0 || !strings.Contains(stdout, "no changes") {
		t.Errorf("diff: exit %d\n%s", code, stdout)
	}
}

func TestApplyCommandFailure(t *testing.T) {
	fake, file := deployFixture(t)
	fake.FailResource("shop-roles-staging-x", "DeployRole", "Resource handler returned message: \"Access Denied\"")
	code, stdout, stderr := runCLI(t, "apply", file, "--poll-interval", "5ms", "--format", "github")
	if code != 3 {
		t.Fatalf("exit %d, want 3\n%s\n%s", code, stdout, stderr)
	}
	for _, w := range []string{"DeployRole (AWS::IAM::Role) CREATE_FAILED", "Access Denied", "::error title=Stack shop-roles-staging-x failed::", "Skipped (not started)"} {
		if !strings.Contains(stdout, w) {
			t.Errorf("output does not contain %q:\n%s", w, stdout)
		}
	}
	if w := "cicdgen apply: stack shop-roles-staging-x (410987654321, us-east-1) failed: DeployRole (AWS::IAM::Role) CREATE_FAILED"; !strings.Contains(stderr, w) {
		t.Errorf("stderr does not contain %q:\n%s", w, stderr)
	}

	// ROLLBACK_COMPLETE: not a terminal, so no prompt: --yes is named.
	fake.ClearFailures()
	code, stdout, _ = runCLI(t, "apply", file, "--poll-interval", "5ms", "--stack", "roles-staging")
	if code != 3 || !strings.Contains(stdout, "--yes") {
		t.Errorf("without --yes: exit %d\n%s", code, stdout)
	}
	code, stdout, _ = runCLI(t, "apply", file, "--poll-interval", "5ms", "--yes")
	if code != 0 {
		t.Errorf("with --yes: exit %d\n%s", code, stdout)
	}
}

// Without AWS_REGION (system.yaml gives every region), STS is asked in the
// region of the stack at hand.
func TestApplyCommandWithoutAWSRegion(t *testing.T) {
	fake, file := deployFixture(t)
	t.Setenv("AWS_REGION", "")
	code, stdout, stderr := runCLI(t, "apply", file, "--poll-interval", "5ms", "--env", "staging")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if _, ok := fake.Stack(stagingAccount, "us-east-1", "shop-ecs-staging-x"); !ok {
		t.Error("staging not deployed")
	}
}

func TestApplyCommandRefusesBeforeAnyCall(t *testing.T) {
	cases := map[string]struct {
		args []string
		code int
		want string
	}{
		"placeholders in the seed example": {
			args: []string{"apply", filepath.Join("..", "..", "..", "examples", "seed", "system.yaml")},
			code: 1, want: "apply refuses placeholders",
		},
		"an unknown environment": {
			args: []string{"apply", "SYSTEM", "--env", "qa"},
			code: 2, want: `no stack belongs to environment "qa"`,
		},
		"a concurrency below one": {
			args: []string{"apply", "SYSTEM", "--concurrency", "0"},
			code: 2, want: "invalid --concurrency",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			fake, file := deployFixture(t)
			args := append([]string(nil), tc.args...)
			for i, a := range args {
				if a == "SYSTEM" {
					args[i] = file
				}
			}
			code, stdout, stderr := runCLI(t, args...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d (want %d)\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout, stderr)
			}
			if n := len(fake.Calls()); n != 0 {
				t.Errorf("%d AWS calls", n)
			}
		})
	}
}

func TestApplyCommandDirectory(t *testing.T) {
	fake, file := deployFixture(t)
	out := filepath.Join(t.TempDir(), "out")
	if code, _, stderr := runCLI(t, "build", file, "-o", out); code != 0 {
		t.Fatalf("build: %s", stderr)
	}
	code, stdout, stderr := runCLI(t, "apply", out, "--poll-interval", "5ms", "--env", "dev", "--dry-run")
	if code != 0 || !strings.Contains(stdout, "Add") || fake.CallCount("ExecuteChangeSet") != 0 {
		t.Fatalf("dry run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, stderr = runCLI(t, "apply", out, "--poll-interval", "5ms", "--env", "dev")
	if code != 0 {
		t.Fatalf("apply DIR: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if _, ok := fake.Stack(stagingAccount, "us-east-1", "shop-ecs-staging-x"); ok {
		t.Error("--env dev deployed staging")
	}
	if _, ok := fake.Stack("310987654321", "us-east-1", "shop-ecs-dev-x"); !ok {
		t.Error("--env dev did not deploy dev")
	}
}

func TestPreflightCommand(t *testing.T) {
	const conn = "arn:aws:codestar-connections:us-east-1:210987654321:connection/4f7c1d2e-9a8b-4c3d-8e7f-6a5b4c3d2e1f"
	cases := map[string]struct {
		status string
		code   int
		want   string
	}{
		"an available connection passes before the first apply": {status: "AVAILABLE", code: 0, want: "PASS  source connection is AVAILABLE"},
		"a pending connection fails with its fix":               {status: "PENDING", code: 1, want: "Update pending connection"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			fake, file := deployFixture(t)
			fake.PutConnection(conn, tc.status)
			code, stdout, stderr := runCLI(t, "preflight", file)
			if code != tc.code || !strings.Contains(stdout, tc.want) {
				t.Errorf("exit %d (want %d)\n%s\n%s", code, tc.code, stdout, stderr)
			}
		})
	}
}

func TestApplyCommandInterruptedDuringExecution(t *testing.T) {
	fake, file := deployFixture(t)
	// The fake's clock stands still: the stacks executed stay in progress
	// until the interrupt, however late it comes on a loaded machine.
	frozen := time.Date(2100, 1, 1, 9, 0, 0, 0, time.UTC)
	fake.SetClock(func() time.Time { return frozen })
	fake.SetDelay("", time.Hour)
	type result struct {
		code           int
		stdout, stderr string
	}
	done := make(chan result, 1)
	go func() {
		code, stdout, stderr := runCLI(t, "apply", file, "--poll-interval", "5ms")
		done <- result{code, stdout, stderr}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for fake.CallCount("ExecuteChangeSet") == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no change set executed")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Main is running (and so catching SIGINT) until the stacks in
	// progress are done: never, on the clock that stands still.
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.code != 130 {
		t.Fatalf("exit %d, want 130\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "still in progress in AWS") || !strings.Contains(r.stderr, "interrupted") {
		t.Errorf("stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	}
}

// brokenWriter fails every write, as stdout does once its reader is gone.
type brokenWriter struct{}

func (brokenWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

// Once stacks were deployed, the exit status is the deployment's outcome:
// a report that cannot be written never turns it into 2 (usage), and turns
// a success into 1, with a message, rather than 3 (a stack failed).
func TestApplyExitStatusIsTheDeploymentsWhenTheReportCannotBeWritten(t *testing.T) {
	cases := map[string]struct {
		failStack   bool
		stdout      io.Writer
		summaryJSON func(dir string) string
		code        int
		stderr      string
	}{
		"every stack deployed and --summary-json cannot be written exits 1": {
			summaryJSON: func(dir string) string { return filepath.Join(dir, "missing", "summary.json") },
			code:        1, stderr: "write summary",
		},
		"every stack deployed and stdout broken exits 1": {
			stdout: brokenWriter{}, code: 1, stderr: "broken pipe",
		},
		"a stack failed and stdout broken exits 3": {
			failStack: true, stdout: brokenWriter{}, code: 3, stderr: "failed: DeployRole",
		},
		"a stack failed and --summary-json cannot be written exits 3": {
			failStack:   true,
			summaryJSON: func(dir string) string { return filepath.Join(dir, "missing", "summary.json") },
			code:        3, stderr: "write summary",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			fake, file := deployFixture(t)
			if tc.failStack {
				fake.FailResource("shop-roles-dev-x", "DeployRole", "Access Denied")
			}
			args := []string{"cicdgen", "apply", file, "--poll-interval", "5ms"}
			if tc.summaryJSON != nil {
				args = append(args, "--summary-json", tc.summaryJSON(t.TempDir()))
			}
			var stdout, stderr bytes.Buffer
			env := withVirtualPace(Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Getenv: os.Getenv})
			if tc.stdout != nil {
				env.Stdout = tc.stdout
			}
			if code := Main(args, env); code != tc.code || !strings.Contains(stderr.String(), tc.stderr) {
				t.Errorf("exit %d, want %d; stderr should hold %q:\n%s", code, tc.code, tc.stderr, stderr.String())
			}
		})
	}
}
