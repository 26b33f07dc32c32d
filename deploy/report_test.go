package deploy

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func sampleResult() *Result {
	return &Result{Stacks: []StackResult{
		{Stack: "shop-pipeline-x", Account: "tooling", AccountID: toolingID, Region: "us-east-1", Outcome: Created, Changes: make([]Change, 17), Duration: 95 * time.Second},
		{Stack: "shop-roles-dev-x", Account: "dev", AccountID: devID, Region: "us-east-1", Outcome: Failed, Duration: 12 * time.Second,
			FailedEvent: &Event{LogicalID: "DeployRole", ResourceType: "AWS::IAM::Role", Status: "CREATE_FAILED", Reason: "Access Denied"},
			Error:       "DeployRole (AWS::IAM::Role) CREATE_FAILED: Access Denied, really; the stack ended in ROLLBACK_COMPLETE"},
		{Stack: "shop-ecs-dev-x", Account: "dev", AccountID: devID, Region: "us-east-1", Outcome: Skipped, Error: "not started: it depends on shop-roles-dev-x, which did not complete"},
		{Stack: "shop-monitoring-x", Account: "tooling", AccountID: toolingID, Region: "us-east-1", Outcome: Unchanged, Duration: 1260 * time.Millisecond},
	}}
}

func TestWriteSummary(t *testing.T) {
	var b strings.Builder
	if err := WriteSummary(&b, sampleResult()); err != nil {
		t.Fatal(err)
	}
	want := `STACK              ACCOUNT/REGION     RESULT     CHANGES  DURATION
shop-pipeline-x    tooling/us-east-1  created    17       1m35s
shop-roles-dev-x   dev/us-east-1      failed     0        12s
shop-ecs-dev-x     dev/us-east-1      skipped    -        -
shop-monitoring-x  tooling/us-east-1  unchanged  0        1.3s
4 stacks: 1 created, 1 unchanged, 1 failed, 1 skipped

Failed: shop-roles-dev-x (310987654321, us-east-1)
  DeployRole (AWS::IAM::Role) CREATE_FAILED: Access Denied, really; the stack ended in ROLLBACK_COMPLETE

Skipped (not started): shop-ecs-dev-x
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestWriteGitHubAnnotations(t *testing.T) {
	var b strings.Builder
	if err := WriteGitHubAnnotations(&b, sampleResult()); err != nil {
		t.Fatal(err)
	}
	want := "::error title=Stack shop-roles-dev-x failed::DeployRole (AWS::IAM::Role) CREATE_FAILED: Access Denied, really; the stack ended in ROLLBACK_COMPLETE\n"
	if b.String() != want {
		t.Errorf("got  %q\nwant %q", b.String(), want)
	}
}

func TestWriteSummaryJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "summary.json")
	if err := WriteSummaryJSON(path, sampleResult()); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Stacks []struct {
			Stack, Result string
			Seconds       float64
			Failed        *Event `json:"failedResource"`
		}
	}
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Stacks) != 4 || got.Stacks[0].Seconds != 95 || got.Stacks[1].Result != "failed" || got.Stacks[1].Failed.LogicalID != "DeployRole" {
		t.Errorf("%s", data)
	}
}

func TestPlainReporterWritesOneLinePerEvent(t *testing.T) {
	var b strings.Builder
	r := NewReporter(&b, false, nil)
	r.Start("s")
	r.Event("s", Event{LogicalID: "Topic", ResourceType: "AWS::SNS::Topic", Status: "CREATE_FAILED", Reason: "denied"})
	r.Done(StackResult{Stack: "s", Outcome: Failed, Error: "Topic failed"})
	r.Close()
	want := "s: started\ns: Topic AWS::SNS::Topic CREATE_FAILED: denied\ns: failed: Topic failed\n"
	if b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}

func TestLiveReporterRedrawsInPlace(t *testing.T) {
	var b strings.Builder
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := func() time.Time { return now }
	r := NewReporter(&b, true, clock)
	r.Start("stack-a")
	r.Start("stack-b")
	now = now.Add(7 * time.Second)
	r.Event("stack-a", Event{LogicalID: "Topic", ResourceType: "AWS::SNS::Topic", Status: "CREATE_IN_PROGRESS"})
	r.Done(StackResult{Stack: "stack-a", Outcome: Created})
	resume := r.Pause()
	resume()
	r.Close()
	out := b.String()
	for _, want := range []string{
		"\x1b[1A\x1b[2K", // cursor up, clear line: the block is redrawn
		"stack-a                                      7s  Topic AWS::SNS::Topic CREATE_IN_PROGRESS\n",
		"✓ stack-a: created\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%q", want, out)
		}
	}
	// After Close only the permanent lines remain: the last thing written
	// clears the live block.
	if !strings.HasSuffix(out, "\x1b[1A\x1b[2K") {
		t.Errorf("live block not cleared at the end: %q", out[max(0, len(out)-40):])
	}
}

func TestTruncateFitsTheTerminal(t *testing.T) {
	cases := map[string]struct {
		line  string
		width int
		want  string
	}{
		"a short line is kept":                        {"abc", 80, "abc"},
		"a long line is cut short of the last column": {"abcdefghij", 8, "abcd..."},
		"characters are cut whole, not bytes":         {"ééééééééé", 6, "éé..."},
		"an unknown width cuts at 160 columns":        {strings.Repeat("x", 200), 0, strings.Repeat("x", 157) + "..."},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := truncate(tc.line, tc.width); got != tc.want {
				t.Errorf("truncate(%q, %d) = %q, want %q", tc.line, tc.width, got, tc.want)
			}
		})
	}
}
