package deploy

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"
)

// cutWriter accepts n bytes, then fails every write.
type cutWriter struct{ n int }

var errCut = errors.New("disk full")

func (c *cutWriter) Write(p []byte) (int, error) {
	if len(p) <= c.n {
		c.n -= len(p)
		return len(p), nil
	}
	n := c.n
	c.n = 0
	return n, errCut
}

// Whatever part of the output a writer fails on, the writing function
// returns its error: no line is dropped silently.
func TestWritersReturnTheFirstWriteError(t *testing.T) {
	res := &Result{
		Stacks: []StackResult{
			{Stack: "a", Account: "tooling", AccountID: toolingID, Region: "us-east-1", Outcome: Updated, Duration: time.Second,
				Changes: []Change{{Action: "Modify", LogicalID: "Topic", Type: "AWS::SNS::Topic", Replacement: "True"}}, Note: "n"},
			{Stack: "b", Account: "dev", AccountID: devID, Region: "us-east-1", Outcome: Failed, Error: "boom"},
			{Stack: "c", Account: "dev", AccountID: devID, Region: "us-east-1", Outcome: Skipped},
		},
		InProgress: []string{"d"},
	}
	checks := []Check{{Name: "connection", Status: Pass, Detail: "available"}, {Name: "image", Status: Fail, Detail: "missing", Fix: "push it"}}
	writers := map[string]func(io.Writer) error{
		"WriteSummary":           func(w io.Writer) error { return WriteSummary(w, res) },
		"WriteChanges":           func(w io.Writer) error { return WriteChanges(w, res) },
		"WriteGitHubAnnotations": func(w io.Writer) error { return WriteGitHubAnnotations(w, res) },
		"WriteChecks":            func(w io.Writer) error { return WriteChecks(w, checks) },
		"WriteCheckAnnotations":  func(w io.Writer) error { return WriteCheckAnnotations(w, checks) },
	}
	for name, write := range writers {
		t.Run(name, func(t *testing.T) {
			var full bytes.Buffer
			if err := write(&full); err != nil || full.Len() == 0 {
				t.Fatalf("err %v, %d bytes", err, full.Len())
			}
			for n := 0; n < full.Len(); n++ {
				if err := write(&cutWriter{n: n}); !errors.Is(err, errCut) {
					t.Fatalf("a writer failing after %d of %d bytes: err = %v", n, full.Len(), err)
				}
			}
		})
	}
}
