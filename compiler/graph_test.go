package compiler

import (
	"strings"
	"testing"

	"github.com/cicdgen/cicdgen/schema"
)

func TestGraph(t *testing.T) {
	tooling := schema.Account{Key: "tooling", ID: "111111111111"}
	dev := schema.Account{Key: "dev", ID: "222222222222"}
	qa := schema.Account{Key: "qa", ID: "222222222222"} // the same account as dev
	a := &Assembly{
		System: &schema.System{Name: "shop", Suffix: "dev"},
		Stacks: []*Stack{
			{Name: "shop-pipeline-dev", Kind: "pipeline", Account: tooling, Region: "us-east-1", DependsOn: []string{"shop-roles-dev-dev"}},
			{Name: "shop-monitoring-dev", Kind: "monitoring", Account: tooling, Region: "us-east-1", DependsOn: []string{"shop-pipeline-dev"}},
			{Name: "shop-roles-dev-dev", Kind: "roles-dev", Environment: "dev", Account: dev, Region: "eu-west-1"},
			{Name: "shop-roles-qa-dev", Kind: "roles-qa", Environment: "qa", Account: qa, Region: "eu-west-1"},
		},
	}
	tests := map[string]struct {
		format string
		want   string
	}{
		"dot groups stacks by account id and points edges in deployment order": {
			format: "dot",
			want: `digraph "shop-dev" {
  rankdir=LR;
  node [shape=box, fontname="Helvetica"];
  subgraph cluster_0 {
    label="tooling (111111111111)";
    "shop-pipeline-dev" [label="shop-pipeline-dev\npipeline\ntooling 111111111111 / us-east-1"];
    "shop-monitoring-dev" [label="shop-monitoring-dev\nmonitoring\ntooling 111111111111 / us-east-1"];
  }
  subgraph cluster_1 {
    label="dev, qa (222222222222)";
    "shop-roles-dev-dev" [label="shop-roles-dev-dev\nroles-dev\ndev 222222222222 / eu-west-1"];
    "shop-roles-qa-dev" [label="shop-roles-qa-dev\nroles-qa\nqa 222222222222 / eu-west-1"];
  }
  "shop-roles-dev-dev" -> "shop-pipeline-dev";
  "shop-pipeline-dev" -> "shop-monitoring-dev";
}
`,
		},
		"an empty format is dot": {
			format: "",
			want:   `digraph "shop-dev" {`,
		},
		"mermaid is a flowchart with a subgraph per account": {
			format: "mermaid",
			want: `flowchart LR
  subgraph account0["tooling (111111111111)"]
    s0["shop-pipeline-dev<br/>pipeline<br/>tooling 111111111111 / us-east-1"]
    s1["shop-monitoring-dev<br/>monitoring<br/>tooling 111111111111 / us-east-1"]
  end
  subgraph account1["dev, qa (222222222222)"]
    s2["shop-roles-dev-dev<br/>roles-dev<br/>dev 222222222222 / eu-west-1"]
    s3["shop-roles-qa-dev<br/>roles-qa<br/>qa 222222222222 / eu-west-1"]
  end
  s2 --> s0
  s0 --> s1
`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := Graph(a, tc.format)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(got, tc.want) || (tc.format != "" && got != tc.want) {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
	t.Run("an unknown format is an error", func(t *testing.T) {
		if _, err := Graph(a, "svg"); err == nil || !strings.Contains(err.Error(), `"svg"`) {
			t.Errorf("got %v", err)
		}
	})
}

func TestGraphOfACompiledSystemHasAnEdgePerDependency(t *testing.T) {
	a := compileTest(t)
	edges := 0
	for _, s := range a.Stacks {
		edges += len(s.DependsOn)
	}
	for _, format := range []string{"dot", "mermaid"} {
		got, err := Graph(a, format)
		if err != nil {
			t.Fatal(err)
		}
		arrow := " -> "
		if format == "mermaid" {
			arrow = " --> "
		}
		if n := strings.Count(got, arrow); n != edges {
			t.Errorf("%s has %d edges, want %d", format, n, edges)
		}
	}
}
