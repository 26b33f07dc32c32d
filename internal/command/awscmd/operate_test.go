package awscmd

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/cicdgen/cicdgen/internal/command"
)

func TestStatusAndDestroyEndToEnd(t *testing.T) {
	fake, file := deployFixture(t)
	code, stdout, stderr := runCLI(t, "apply", file, "--poll-interval", "5ms")
	if code != 0 {
		t.Fatalf("apply exited %d\n%s\n%s", code, stdout, stderr)
	}
	// apply ends with the service URLs and the pipeline's console URL.
	for _, want := range []string{"\ndev: http", "\nprod: http", "\npipeline shop-pipeline-x: https://us-east-1.console.aws.amazon.com/codesuite/codepipeline/pipelines/shop-pipeline-x/view"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("apply's output has no %q:\n%s", want, stdout)
		}
	}

	// status --format json: one document, every stack with its state, each
	// environment's service URL.
	code, stdout, stderr = runCLI(t, "status", file, "--format", "json")
	if code != 0 {
		t.Fatalf("status exited %d\n%s\n%s", code, stdout, stderr)
	}
	var st struct {
		Version      int
		Stacks       []struct{ Stack, State, Template string }
		Environments []struct {
			Name       string
			ServiceURL string `json:"serviceUrl"`
		}
		Pipeline struct {
			ConsoleURL string `json:"consoleUrl"`
		}
	}
	if err := json.Unmarshal([]byte(stdout), &st); err != nil {
		t.Fatalf("status output is not one JSON document: %v\n%s", err, stdout)
	}
	if st.Version != 1 || len(st.Stacks) != 12 || len(st.Environments) != 3 {
		t.Errorf("status: %+v", st)
	}
	for _, s := range st.Stacks {
		if s.State != "CREATE_COMPLETE" || s.Template != "current" {
			t.Errorf("%s: %s, template %s", s.Stack, s.State, s.Template)
		}
	}
	for _, e := range st.Environments {
		if !strings.HasPrefix(e.ServiceURL, "http") {
			t.Errorf("environment %s: service URL %q", e.Name, e.ServiceURL)
		}
	}
	if !strings.Contains(st.Pipeline.ConsoleURL, "codepipeline/pipelines/shop-pipeline-x") {
		t.Errorf("console URL %q", st.Pipeline.ConsoleURL)
	}

	// Without a terminal, destroy needs --yes and deletes nothing.
	code, _, stderr = runCLI(t, "destroy", file)
	if code != command.ExitUsage || !strings.Contains(stderr, "--yes") {
		t.Errorf("destroy without --yes: exit %d\n%s", code, stderr)
	}
	if _, ok := fake.Stack(toolingAccount, "us-east-1", "shop-pipeline-x"); !ok {
		t.Fatal("destroy without --yes deleted the pipeline")
	}

	// The protected environment stays, and what it depends on.
	code, stdout, stderr = runCLI(t, "destroy", file, "--yes", "--poll-interval", "5ms")
	if code != 0 {
		t.Fatalf("destroy exited %d\n%s\n%s", code, stdout, stderr)
	}
	if _, ok := fake.Stack(prodAccount, "us-west-2", "shop-ecs-prod-x"); !ok {
		t.Error("destroy deleted protected prod")
	}
	if _, ok := fake.Stack(stagingAccount, "us-east-1", "shop-ecs-staging-x"); ok {
		t.Error("staging is still there")
	}
	if !strings.Contains(stdout, "Kept: shop-ecs-prod-x: environment prod is protected") {
		t.Errorf("no kept line:\n%s", stdout)
	}

	// --include-protected deletes the rest; a second run does nothing.
	live := map[string]bool{}
	for _, acct := range []string{toolingAccount, "310987654321", stagingAccount, prodAccount} {
		for _, region := range []string{"us-east-1", "us-west-2"} {
			for _, s := range fake.Stacks(acct, region) {
				live[s] = true
			}
		}
	}
	if !live["shop-ecs-prod-x"] || !live["shop-roles-prod-x"] {
		t.Fatalf("prod's stacks are gone: %v", live)
	}
	for run := 1; run <= 2; run++ {
		code, stdout, stderr = runCLI(t, "destroy", file, "--yes", "--include-protected", "--poll-interval", "5ms", "--format", "json")
		if code != 0 {
			t.Fatalf("destroy run %d exited %d\n%s\n%s", run, code, stdout, stderr)
		}
		var res struct {
			Version int
			Stacks  []struct{ Stack, Result string }
		}
		if err := json.Unmarshal([]byte(stdout), &res); err != nil {
			t.Fatalf("destroy output is not one JSON document: %v\n%s", err, stdout)
		}
		for _, s := range res.Stacks {
			want := "absent"
			if run == 1 && live[s.Stack] {
				want = "deleted"
			}
			if s.Result != want {
				t.Errorf("run %d: %s %s, want %s", run, s.Stack, s.Result, want)
			}
		}
	}
	for _, acct := range []string{toolingAccount, stagingAccount, prodAccount} {
		for _, region := range []string{"us-east-1", "us-west-2"} {
			if left := fake.Stacks(acct, region); len(left) != 0 {
				t.Errorf("%s/%s: stacks left %v", acct, region, left)
			}
		}
	}
}

func TestDestroyAsksForTheSystemsNameOnATerminal(t *testing.T) {
	fake, file := deployFixture(t)
	if code, stdout, stderr := runCLI(t, "apply", file, "--poll-interval", "5ms", "--env", "dev"); code != 0 {
		t.Fatalf("apply exited %d\n%s\n%s", code, stdout, stderr)
	}
	terminal := func(answer string) Env { return Env{StdinIsTerminal: true, Stdin: strings.NewReader(answer)} }
	code, stdout, stderr := runCLIWith(t, terminal("yes\n"), "destroy", file, "--env", "dev", "--poll-interval", "5ms")
	if code != command.ExitUsage || !strings.Contains(stdout, "Type the system's name (shop) to delete 3 stacks: ") || !strings.Contains(stderr, "not confirmed") {
		t.Fatalf("a wrong name: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if _, ok := fake.Stack("310987654321", "us-east-1", "shop-ecs-dev-x"); !ok {
		t.Fatal("a wrong name deleted ecs-dev")
	}
	code, stdout, stderr = runCLIWith(t, terminal("shop\n"), "destroy", file, "--env", "dev", "--poll-interval", "5ms")
	if code != 0 {
		t.Fatalf("the right name: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if left := fake.Stacks("310987654321", "us-east-1"); len(left) != 0 {
		t.Errorf("dev stacks left: %v", left)
	}
}
