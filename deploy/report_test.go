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

// The document of apply --format json: a version, every stack, a summary,
// and lists that are empty rather than null.
func TestApplyDocumentHasNoNullLists(t *testing.T) {
	res := &Result{Stacks: []StackResult{{Stack: "a", Outcome: Unchanged}, {Stack: "b", Outcome: Skipped}}}
	var b strings.Builder
	if err := WriteDocument(&b, res.Document()); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "null") {
		t.Errorf("a null in\n%s", b.String())
	}
	var got struct {
		Version int
		Stacks  []struct{ Changes []Change }
		Summary struct {
			Stacks   int
			Outcomes map[string]int
			OK       bool
		}
		InProgress []string
	}
	if err := json.Unmarshal([]byte(b.String()), &got); err != nil {
		t.Fatal(err)
	}
	if got.Version != DocumentVersion || got.Summary.Stacks != 2 || got.Summary.Outcomes["skipped"] != 1 || got.Summary.OK || got.InProgress == nil {
		t.Errorf("%+v", got)
	}
	empty, err := json.Marshal((&Result{}).Document())
	if err != nil || !strings.Contains(string(empty), `"stacks":[]`) {
		t.Errorf("%s %v", empty, err)
	}
}

// Plain lines carry a timestamp when asked, and --events filters the
// events, never the steps or results.
func TestPlainReporterTimestampsAndEvents(t *testing.T) {
	at := time.Date(2026, 12, 3, 9, 41, 7, 0, time.FixedZone("CET", 3600))
	failed := Event{LogicalID: "Topic", ResourceType: "AWS::SNS::Topic", Status: "CREATE_FAILED", Reason: "denied"}
	ok := Event{LogicalID: "Queue", ResourceType: "AWS::SQS::Queue", Status: "CREATE_COMPLETE"}
	cases := map[Events]string{
		EventsAll:    "08:41:07Z s: started\n08:41:07Z s: Queue AWS::SQS::Queue CREATE_COMPLETE\n08:41:07Z s: Topic AWS::SNS::Topic CREATE_FAILED: denied\n08:41:07Z s: failed: x\n",
		EventsFailed: "08:41:07Z s: started\n08:41:07Z s: Topic AWS::SNS::Topic CREATE_FAILED: denied\n08:41:07Z s: failed: x\n",
		EventsNone:   "08:41:07Z s: started\n08:41:07Z s: failed: x\n",
	}
	for events, want := range cases {
		t.Run(string(events), func(t *testing.T) {
			var b strings.Builder
			r := NewReporterWith(&b, ReporterOptions{Now: func() time.Time { return at }, Events: events, Timestamps: true})
			r.Start("s")
			r.Event("s", ok)
			r.Event("s", failed)
			r.Done(StackResult{Stack: "s", Outcome: Failed, Error: "x"})
			r.Close()
			if b.String() != want {
				t.Errorf("got\n%s\nwant\n%s", b.String(), want)
			}
		})
	}
	if _, err := ParseEvents("some"); err == nil {
		t.Error("--events some accepted")
	}
}

// Stacks that failed for one cause are listed together, the cause once.
func TestWriteSummaryGroupsOneCause(t *testing.T) {
	cause := "the CloudFormation endpoint http://127.0.0.1:1 (region us-east-1) cannot be reached"
	res := &Result{Stacks: []StackResult{
		{Stack: "a", AccountID: devID, Region: "us-east-1", Outcome: Failed, Error: cause},
		{Stack: "b", AccountID: devID, Region: "us-east-1", Outcome: Failed, Error: cause},
		{Stack: "c", AccountID: devID, Region: "us-east-1", Outcome: Unknown, Error: "outcome unknown — still in progress in AWS"},
	}, InProgress: []string{"c"}}
	var b strings.Builder
	if err := WriteSummary(&b, res); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(b.String(), cause); n != 1 {
		t.Errorf("the cause is written %d times:\n%s", n, b.String())
	}
	for _, want := range []string{"Failed: a (310987654321, us-east-1), b (310987654321, us-east-1)", "Outcome unknown: c", "still in progress in AWS"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("lacks %q:\n%s", want, b.String())
		}
	}
}
