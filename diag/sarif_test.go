package diag

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode/utf8"
)

func TestRenderSARIFGolden(t *testing.T) {
	ds := Diagnostics{
		Errorf("fargate-size", at(31, 8, 11), "$.service.cpu", "cpu 300 is not a Fargate size").WithHint("use 256 or 512"),
		Warningf("placeholder-account", at(4, 12, 26), "", "123456789012 looks like a placeholder"),
	}
	want := `{
  "$schema": "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json",
  "version": "2.1.0",
  "runs": [
    {
      "tool": {
        "driver": {
          "name": "cicdgen",
          "version": "1.2.3",
          "informationUri": "https://github.com/cicdgen/cicdgen",
          "rules": [
            {
              "id": "fargate-size",
              "shortDescription": {
                "text": "cpu and memory are not a Fargate task size"
              }
            },
            {
              "id": "placeholder-account",
              "shortDescription": {
                "text": "Placeholder account"
              }
            }
          ]
        }
      },
      "columnKind": "unicodeCodePoints",
      "results": [
        {
          "ruleId": "placeholder-account",
          "ruleIndex": 1,
          "level": "warning",
          "message": {
            "text": "123456789012 looks like a placeholder"
          },
          "locations": [
            {
              "physicalLocation": {
                "artifactLocation": {
                  "uri": "system.yaml"
                },
                "region": {
                  "startLine": 4,
                  "startColumn": 12,
                  "endLine": 4,
                  "endColumn": 26
                }
              }
            }
          ]
        },
        {
          "ruleId": "fargate-size",
          "ruleIndex": 0,
          "level": "error",
          "message": {
            "text": "cpu 300 is not a Fargate size\nuse 256 or 512"
          },
          "locations": [
            {
              "physicalLocation": {
                "artifactLocation": {
                  "uri": "system.yaml"
                },
                "region": {
                  "startLine": 31,
                  "startColumn": 8,
                  "endLine": 31,
                  "endColumn": 11
                }
              },
              "logicalLocations": [
                {
                  "fullyQualifiedName": "$.service.cpu",
                  "kind": "member"
                }
              ]
            }
          ]
        }
      ]
    }
  ]
}
`
	var b bytes.Buffer
	if err := Render(&b, ds, RenderOptions{Format: FormatSARIF, ToolVersion: "1.2.3"}); err != nil {
		t.Fatal(err)
	}
	if got := b.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// sarifShape is the part of a SARIF log the tests below inspect.
type sarifShape struct {
	Version string `json:"version"`
	Runs    []struct {
		Tool struct {
			Driver struct {
				Name    string  `json:"name"`
				Version *string `json:"version"`
				Rules   []struct {
					ID string `json:"id"`
				} `json:"rules"`
			} `json:"driver"`
		} `json:"tool"`
		Results []struct {
			RuleID    string `json:"ruleId"`
			RuleIndex int    `json:"ruleIndex"`
			Level     string `json:"level"`
			Locations []struct {
				PhysicalLocation *struct {
					ArtifactLocation struct {
						URI string `json:"uri"`
					} `json:"artifactLocation"`
					Region *map[string]int `json:"region"`
				} `json:"physicalLocation"`
			} `json:"locations"`
		} `json:"results"`
	} `json:"runs"`
}

func TestRenderSARIF(t *testing.T) {
	cases := map[string]struct {
		ds    Diagnostics
		check func(t *testing.T, log sarifShape)
	}{
		"an empty list is one run with no results and no rules": {
			ds: nil,
			check: func(t *testing.T, log sarifShape) {
				if log.Version != "2.1.0" || len(log.Runs) != 1 {
					t.Fatalf("version %q with %d runs, want 2.1.0 with 1", log.Version, len(log.Runs))
				}
				if r := log.Runs[0]; r.Results == nil || len(r.Results) != 0 || r.Tool.Driver.Rules == nil || len(r.Tool.Driver.Rules) != 0 {
					t.Errorf("want empty (not null) results and rules, got %+v", r)
				}
				if log.Runs[0].Tool.Driver.Version != nil {
					t.Errorf("driver version is set without a tool version")
				}
			},
		},
		"each rule is listed once and every result points at its rule": {
			ds: Diagnostics{
				Errorf("b-rule", at(1, 1, 2), "", "m1"),
				Errorf("a-rule", at(2, 1, 2), "", "m2"),
				Warningf("b-rule", at(3, 1, 2), "", "m3"),
			},
			check: func(t *testing.T, log sarifShape) {
				run := log.Runs[0]
				if len(run.Tool.Driver.Rules) != 2 {
					t.Fatalf("want 2 rules, got %+v", run.Tool.Driver.Rules)
				}
				for _, res := range run.Results {
					if got := run.Tool.Driver.Rules[res.RuleIndex].ID; got != res.RuleID {
						t.Errorf("result %s has ruleIndex %d naming %s", res.RuleID, res.RuleIndex, got)
					}
				}
				if run.Results[2].Level != "warning" || run.Results[0].Level != "error" {
					t.Errorf("levels are %s, %s, %s", run.Results[0].Level, run.Results[1].Level, run.Results[2].Level)
				}
			},
		},
		"a diagnostic without a rule is filed under the tool's name": {
			ds: Diagnostics{{Severity: Error, Message: "m", Range: at(1, 1, 2)}},
			check: func(t *testing.T, log sarifShape) {
				if id := log.Runs[0].Results[0].RuleID; id != "cicdgen" {
					t.Errorf("ruleId = %q, want cicdgen", id)
				}
			},
		},
		"a diagnostic without a line has a location without a region": {
			ds: Diagnostics{Errorf("read", Range{Filename: "system.yaml"}, "", "m")},
			check: func(t *testing.T, log sarifShape) {
				loc := log.Runs[0].Results[0].Locations[0].PhysicalLocation
				if loc == nil || loc.ArtifactLocation.URI != "system.yaml" || loc.Region != nil {
					t.Errorf("want system.yaml without a region, got %+v", loc)
				}
			},
		},
		"a diagnostic without a file or a path has no location": {
			ds: Diagnostics{{Severity: Error, Rule: "r", Message: "m"}},
			check: func(t *testing.T, log sarifShape) {
				if n := len(log.Runs[0].Results[0].Locations); n != 0 {
					t.Errorf("want no locations, got %d", n)
				}
			},
		},
		"file names become URI references": {
			ds: Diagnostics{
				Errorf("r", Range{Filename: "./deploy/my system.yaml", Start: Pos{Line: 1, Column: 1}}, "", "m"),
				Errorf("r", Range{Filename: "/abs/system.yaml", Start: Pos{Line: 1, Column: 1}}, "", "m"),
			},
			check: func(t *testing.T, log sarifShape) {
				got := []string{
					log.Runs[0].Results[0].Locations[0].PhysicalLocation.ArtifactLocation.URI,
					log.Runs[0].Results[1].Locations[0].PhysicalLocation.ArtifactLocation.URI,
				}
				want := []string{"deploy/my%20system.yaml", "file:///abs/system.yaml"} // sorted by file name
				if got[0] != want[0] || got[1] != want[1] {
					t.Errorf("uris = %q, want %q", got, want)
				}
			},
		},
		"a region without an end has only its start": {
			ds: Diagnostics{Errorf("r", Range{Filename: "f", Start: Pos{Line: 3, Column: 4}}, "", "m")},
			check: func(t *testing.T, log sarifShape) {
				reg := *log.Runs[0].Results[0].Locations[0].PhysicalLocation.Region
				if len(reg) != 2 || reg["startLine"] != 3 || reg["startColumn"] != 4 {
					t.Errorf("region = %v, want startLine 3 and startColumn 4 only", reg)
				}
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Render(&b, tc.ds, RenderOptions{Format: FormatSARIF}); err != nil {
				t.Fatal(err)
			}
			var log sarifShape
			if err := json.Unmarshal(b.Bytes(), &log); err != nil {
				t.Fatalf("output is not JSON: %v\n%s", err, b.String())
			}
			tc.check(t, log)
		})
	}
}

func TestMachineFormatsStayValidUTF8(t *testing.T) {
	d := Errorf("encoding", at(1, 1, 2), "", "byte \xff and escape \x1b in a message").WithHint("hint \xfe")
	for _, format := range []string{FormatJSON, FormatSARIF, FormatGitHub} {
		var buf bytes.Buffer
		if err := Render(&buf, Diagnostics{d}, RenderOptions{Format: format, Sources: map[string][]byte{"system.yaml": []byte("\xff\n")}}); err != nil {
			t.Fatal(err)
		}
		if !utf8.Valid(buf.Bytes()) {
			t.Errorf("%s output is not valid UTF-8", format)
		}
		if bytes.ContainsRune(buf.Bytes(), 0x1b) {
			t.Errorf("%s output holds a raw escape character", format)
		}
	}
}
