package awscmd

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/cicdgen/cicdgen/internal/command"
)

// documentVersion is the version every document must have: docs/json.md's,
// written out rather than taken from the code under test.
const documentVersion = 1

// parseDocument requires stdout to be exactly one JSON object with the
// header every document has, for command, and no null anywhere (lists are
// never null). It returns the object.
func parseDocument(t *testing.T, command, stdout string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(stdout))
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("stdout is not a JSON object: %v\n%s", err, stdout)
	}
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		t.Fatalf("stdout holds more than one JSON document (next: %v, %v):\n%s", extra, err, stdout)
	}
	if doc["version"] != float64(documentVersion) || doc["command"] != command || doc["cicdgen"] == "" {
		t.Errorf("header: version %v, command %v (want %s), cicdgen %v", doc["version"], doc["command"], command, doc["cicdgen"])
	}
	for _, key := range []string{"diagnostics", "errors", "warnings"} {
		if _, ok := doc[key]; !ok {
			t.Errorf("no %q in the document", key)
		}
	}
	if path := findNull(doc, "$"); path != "" {
		t.Errorf("null at %s:\n%s", path, stdout)
	}
	return doc
}

// findNull returns the path of the first null in v, or "".
func findNull(v any, path string) string {
	switch v := v.(type) {
	case nil:
		return path
	case map[string]any:
		for k, e := range v {
			if p := findNull(e, path+"."+k); p != "" {
				return p
			}
		}
	case []any:
		for i, e := range v {
			if p := findNull(e, fmt.Sprintf("%s[%d]", path, i)); p != "" {
				return p
			}
		}
	}
	return ""
}

// list returns doc[key] as a list of objects.
func list(t *testing.T, doc map[string]any, key string) []map[string]any {
	t.Helper()
	raw, ok := doc[key].([]any)
	if !ok {
		t.Fatalf("%q is not a list: %v", key, doc[key])
	}
	out := make([]map[string]any, 0, len(raw))
	for _, e := range raw {
		m, ok := e.(map[string]any)
		if !ok {
			t.Fatalf("an element of %q is not an object: %v", key, e)
		}
		out = append(out, m)
	}
	return out
}

// everyStack requires field of every stack to be want.
func everyStack(t *testing.T, stacks []map[string]any, field, want string) {
	t.Helper()
	for _, s := range stacks {
		if s[field] != want {
			t.Errorf("%v: %s %v, want %s", s["stack"], field, s[field], want)
		}
	}
}

// TestEveryCommandPrintsOneJSONDocument runs each command with --format
// json against the fake AWS and parses its stdout.
func TestEveryCommandPrintsOneJSONDocument(t *testing.T) {
	const conn = "arn:aws:codestar-connections:us-east-1:210987654321:connection/4f7c1d2e-9a8b-4c3d-8e7f-6a5b4c3d2e1f"
	fake, file := deployFixture(t)
	fake.PutConnection(conn, "AVAILABLE")
	dir := t.TempDir()
	stackCount := func(t *testing.T, doc map[string]any) []map[string]any {
		stacks := list(t, doc, "stacks")
		if len(stacks) != 12 {
			t.Errorf("%d stacks, want 12 (the deploy fixture's)", len(stacks))
		}
		return stacks
	}
	cases := []struct {
		name    string
		command string
		args    []string
		code    int
		check   func(t *testing.T, doc map[string]any, stderr string)
	}{
		{
			name: "validate", command: "validate", args: []string{"validate", file},
			check: func(t *testing.T, doc map[string]any, _ string) {
				if files := list(t, doc, "files"); len(files) != 1 || files[0]["valid"] != true {
					t.Errorf("files: %v", files)
				}
			},
		},
		{
			name: "build", command: "build", args: []string{"build", file, "-o", filepath.Join(dir, "out")},
			check: func(t *testing.T, doc map[string]any, stderr string) {
				if doc["output"] != filepath.Join(dir, "out") {
					t.Errorf("output %v", doc["output"])
				}
				for _, s := range stackCount(t, doc) {
					if _, err := os.Stat(filepath.Join(dir, "out", s["template"].(string))); err != nil {
						t.Errorf("template of %v: %v", s["name"], err)
					}
				}
				if !strings.Contains(stderr, "wrote 12 stacks") {
					t.Errorf("no progress line on stderr:\n%s", stderr)
				}
			},
		},
		{
			name: "graph", command: "graph", args: []string{"graph", file, "--graph-format", "mermaid"},
			check: func(t *testing.T, doc map[string]any, _ string) {
				if g, _ := doc["graph"].(string); !strings.HasPrefix(g, "flowchart") {
					t.Errorf("graph %q", g)
				}
				stackCount(t, doc)
			},
		},
		{
			name: "preflight", command: "preflight", args: []string{"preflight", file},
			check: func(t *testing.T, doc map[string]any, stderr string) {
				checks := list(t, doc, "checks")
				if len(checks) == 0 || checks[0]["status"] == "" {
					t.Errorf("checks: %v", checks)
				}
				totals, _ := doc["totals"].(map[string]any)
				if totals["failed"] != float64(0) || totals["passed"].(float64) < 1 {
					t.Errorf("totals: %v", totals)
				}
				if !strings.Contains(stderr, "PASS") {
					t.Errorf("the checks are not on stderr:\n%s", stderr)
				}
			},
		},
		{
			name: "diff of a system never deployed", command: "diff", args: []string{"diff", file, "--poll-interval", "5ms"},
			check: func(t *testing.T, doc map[string]any, _ string) {
				if doc["dryRun"] != true {
					t.Errorf("dryRun %v", doc["dryRun"])
				}
				for _, s := range stackCount(t, doc) {
					if _, ok := s["changes"].([]any); !ok {
						t.Errorf("%v: changes %v", s["stack"], s["changes"])
					}
				}
			},
		},
		{
			name: "apply", command: "apply", args: []string{"apply", file, "--poll-interval", "5ms", "--summary-json", filepath.Join(dir, "summary.json")},
			check: func(t *testing.T, doc map[string]any, stderr string) {
				everyStack(t, stackCount(t, doc), "result", "created")
				if summary, _ := doc["summary"].(map[string]any); summary["ok"] != true || summary["stacks"] != float64(12) {
					t.Errorf("summary: %v", doc["summary"])
				}
				if !strings.Contains(stderr, "STACK") {
					t.Errorf("no summary on stderr:\n%s", stderr)
				}
				summary, err := os.ReadFile(filepath.Join(dir, "summary.json"))
				if err != nil {
					t.Fatal(err)
				}
				if got := parseDocument(t, "apply", string(summary)); len(list(t, got, "stacks")) != 12 {
					t.Errorf("--summary-json: %s", summary)
				}
			},
		},
		{
			name: "apply again: nothing changes", command: "apply", args: []string{"apply", file, "--poll-interval", "5ms"},
			check: func(t *testing.T, doc map[string]any, _ string) {
				everyStack(t, stackCount(t, doc), "result", "unchanged")
			},
		},
		{
			name: "status", command: "status", args: []string{"status", file},
			check: func(t *testing.T, doc map[string]any, _ string) {
				everyStack(t, stackCount(t, doc), "state", "CREATE_COMPLETE")
				if envs := list(t, doc, "environments"); len(envs) != 3 {
					t.Errorf("environments: %v", envs)
				}
			},
		},
		{
			name: "destroy", command: "destroy", args: []string{"destroy", file, "--yes", "--include-protected", "--poll-interval", "5ms"},
			check: func(t *testing.T, doc map[string]any, stderr string) {
				everyStack(t, stackCount(t, doc), "result", "deleted")
				if !strings.Contains(stderr, "STACK") {
					t.Errorf("no result table on stderr:\n%s", stderr)
				}
			},
		},
		{
			name: "validate of a missing file", command: "validate", args: []string{"validate", filepath.Join(dir, "missing.yaml")}, code: command.ExitInputErrors,
			check: func(t *testing.T, doc map[string]any, _ string) {
				if doc["errors"] != float64(1) || list(t, doc, "diagnostics")[0]["rule"] != "io" {
					t.Errorf("diagnostics: %v", doc["diagnostics"])
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, append(tc.args, "--format", "json")...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout, stderr)
			}
			tc.check(t, parseDocument(t, tc.command, stdout), stderr)
		})
	}
}

// TestDocumentsAreDeterministic: the same input gives the same bytes.
func TestDocumentsAreDeterministic(t *testing.T) {
	file := filepath.Join(t.TempDir(), "system.yaml")
	if err := os.WriteFile(file, []byte(deploySystem), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"validate", file, "--format", "json"},
		{"graph", file, "--format", "json"},
	} {
		_, first, _ := runCLI(t, args...)
		_, second, _ := runCLI(t, args...)
		if !bytes.Equal([]byte(first), []byte(second)) {
			t.Errorf("%v: two runs differ", args)
		}
	}
}

// TestJSONDocsHaveAnExamplePerCommand keeps docs/json.md honest: each of its
// JSON examples is a document (the envelope, no null), and every command
// with --format has one.
func TestJSONDocsHaveAnExamplePerCommand(t *testing.T) {
	md, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "json.md"))
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	blocks := strings.Split(string(md), "```json\n")[1:]
	for _, b := range blocks {
		body, _, ok := strings.Cut(b, "```")
		if !ok {
			t.Fatalf("an unterminated json block: %.80s", b)
		}
		var probe struct{ Command string }
		if err := json.Unmarshal([]byte(body), &probe); err != nil {
			t.Fatalf("an example is not JSON: %v\n%s", err, body)
		}
		parseDocument(t, probe.Command, body)
		documented[probe.Command] = true
	}
	for _, c := range command.NewApp(&Env{}).Commands {
		hasFormat := slices.ContainsFunc(c.Flags, func(f cli.Flag) bool { return slices.Contains(f.Names(), command.FormatFlagName) })
		if hasFormat && !documented[c.Name] {
			t.Errorf("docs/json.md has no example of %s", c.Name)
		}
	}
}
