package compiler

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
)

// stackDocs lists, in deployment order, the builder files whose leading
// comment documents a stack kind's logical ids, with the heading it gets in
// docs/stacks.md.
var stackDocs = []struct{ file, heading string }{
	{"pipeline.go", "`<name>-pipeline-<suffix>` — tooling account, home region"},
	{"monitoring.go", "`<name>-monitoring-<suffix>` — tooling account, home region"},
	{"tooling_secrets.go", "`<name>-secrets-<suffix>` — tooling account, home region, with `build.registry_credentials`"},
	{"artifacts.go", "`<name>-artifacts-<region>-<suffix>` — tooling account, each other region an environment uses"},
	{"roles.go", "`<name>-roles-<env>-<suffix>` — environment account and region"},
	{"secrets.go", "`<name>-secrets-<env>-<suffix>` — environment account and region"},
	{"ecs.go", "`<name>-ecs-<env>-<suffix>` — environment account and region"},
}

const stacksDocPath = "../docs/stacks.md"

// builderDoc returns the comment block of a builder file that documents its
// logical ids, without the comment markers.
func builderDoc(src string) (string, error) {
	var block []string
	for _, line := range strings.Split(src, "\n") {
		if strings.HasPrefix(line, "//") && !strings.HasPrefix(line, "//go:") {
			text := strings.TrimPrefix(line, "//")
			text = strings.TrimPrefix(text, " ")
			block = append(block, text)
			continue
		}
		joined := strings.Join(block, "\n")
		if strings.Contains(strings.ToLower(joined), "logical id") {
			return joined, nil
		}
		block = nil
	}
	return "", fmt.Errorf("no comment block documents the logical ids")
}

// renderStacksDoc builds docs/stacks.md from the builders' doc comments.
func renderStacksDoc() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("# Stacks and logical ids\n\n")
	b.WriteString("<!-- Generated from the doc comments of compiler/*.go by `go test ./compiler -run TestStacksDoc -update`; do not edit. -->\n\n")
	b.WriteString("Logical ids are part of cicdgen's contract: `overrides` in system.yaml address\n")
	b.WriteString("them (`/Resources/<LogicalId>/...`), and they stay stable across releases.\n")
	b.WriteString("In the tables, `<i>`, `<j>` and `<N>` stand for 1-based numbers, and `Names.X(...)`\n")
	b.WriteString("for the physical name that `schema/names.go` gives.\n")
	for _, d := range stackDocs {
		src, err := os.ReadFile(d.file)
		if err != nil {
			return nil, err
		}
		doc, err := builderDoc(string(src))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d.file, err)
		}
		fmt.Fprintf(&b, "\n## %s\n\n```text\n%s\n```\n", d.heading, strings.TrimRight(doc, "\n"))
	}
	return b.Bytes(), nil
}

func TestStacksDoc(t *testing.T) {
	want, err := renderStacksDoc()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(stacksDocPath, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(stacksDocPath)
	if err != nil {
		t.Fatalf("%v (run go test ./compiler -run TestStacksDoc -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is stale: the builders' logical-id tables changed; run go test ./compiler -run TestStacksDoc -update", stacksDocPath)
	}
}

func TestBuilderDocFindsTheLogicalIDBlock(t *testing.T) {
	cases := map[string]struct {
		src     string
		want    string
		wantErr bool
	}{
		"the block with the table is found after imports": {
			src:  "package compiler\n\nimport \"x\"\n\n// Intro.\n//\n//\tLogical id  Type\n//\tA           AWS::S3::Bucket\nfunc f() {}\n",
			want: "Intro.\n\n\tLogical id  Type\n\tA           AWS::S3::Bucket",
		},
		"an earlier block without a table is skipped": {
			src:  "// Package doc.\npackage compiler\n\n// Logical ids:\n//\tA  AWS::SNS::Topic\nvar x int\n",
			want: "Logical ids:\n\tA  AWS::SNS::Topic",
		},
		"a file without a table is an error": {
			src: "package compiler\n\n// Nothing here.\nfunc f() {}\n", wantErr: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := builderDoc(tc.src)
			if (err != nil) != tc.wantErr {
				t.Fatalf("error = %v, want error %v", err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("got\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}
