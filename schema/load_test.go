package schema

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cicdgen/cicdgen/diag"
)

// baseYAML is a small valid system. Its line numbers are used by the tests
// below: keep them stable (extra lines go at the end, from line 16 on).
const baseYAML = `version: 1
name: shop
suffix: dev
region: us-east-1
accounts:
  tooling: "210987654321"
source:
  connection: arn:aws:codeconnections:us-east-1:210987654321:connection/abc
  repository: acme/shop
service:
  name: web
  port: 8080
environments:
  - name: dev
    account: tooling
`

// withBase returns baseYAML with extra appended (from line 16 on).
func withBase(extra string) string { return baseYAML + extra }

// edit returns baseYAML with old replaced by new, which must occur once.
func edit(t *testing.T, old, new string) string {
	t.Helper()
	if strings.Count(baseYAML, old) != 1 {
		t.Fatalf("%q does not occur exactly once in baseYAML", old)
	}
	return strings.Replace(baseYAML, old, new, 1)
}

// errorsOf returns the error diagnostics as "rule L:C-C" strings.
func errorsOf(ds diag.Diagnostics) []string {
	var out []string
	for _, d := range ds {
		if d.Severity == diag.Error {
			out = append(out, fmt.Sprintf("%s %d:%d-%d", d.Rule, d.Range.Start.Line, d.Range.Start.Column, d.Range.End.Column))
		}
	}
	return out
}

func mustLoad(t *testing.T, src string) *System {
	t.Helper()
	sys, ds := Load("system.yaml", []byte(src))
	if ds.HasErrors() || sys == nil {
		t.Fatalf("Load failed:\n%v", ds)
	}
	return sys
}

func TestLoadAppliesEveryDefault(t *testing.T) {
	sys := mustLoad(t, baseYAML)
	if sys.Doc == nil {
		t.Fatal("Doc is nil")
	}
	sys.Doc = nil
	service := Service{
		Name: "web", Port: 8080, CPU: 256, Memory: 512, DesiredCount: 2, HealthCheck: "/",
		Deployment: DeploymentBlueGreen, Traffic: TrafficAllAtOnce, BakeMinutes: 5,
		Environment: map[string]string{}, Secrets: map[string]string{},
	}
	network := Network{CIDR: "10.0.0.0/16", AZs: 2, NATGateways: 1, FlowLogs: true}
	want := &System{
		Version:   1,
		Name:      "shop",
		Suffix:    "dev",
		Region:    "us-east-1",
		Tags:      map[string]string{},
		Accounts:  map[string]Account{"tooling": {Key: "tooling", ID: "210987654321"}},
		Source:    Source{Connection: "arn:aws:codeconnections:us-east-1:210987654321:connection/abc", Repository: "acme/shop", Branch: "main", DetectChanges: true},
		Build:     Build{Image: "ecr", Dockerfile: "build.Dockerfile", Compute: "small", Buildspec: "buildspec.yml", Privileged: true, TimeoutMinutes: 60, CacheDays: 7},
		Artifacts: Artifacts{RetentionDays: 30},
		Service:   service,
		Network:   network,
		Environments: []Environment{{
			Index: 0, Name: "dev", Account: "tooling", Region: "us-east-1", Service: service, Network: network,
		}},
		Monitoring: Monitoring{Dashboard: true, AlertOn: []string{"FAILED"}},
		Overrides:  map[string][]json.RawMessage{},
	}
	if !reflect.DeepEqual(sys, want) {
		t.Errorf("Load(base) =\n%+v\nwant\n%+v", sys, want)
	}
}

func TestLoadDecodesValidFiles(t *testing.T) {
	testCases := map[string]struct {
		src   string
		check func(t *testing.T, sys *System)
	}{
		"an empty test mapping adds a Test stage with its defaults": {
			src: withBase("test: {}\n"),
			check: func(t *testing.T, sys *System) {
				if sys.Test == nil || *sys.Test != (Test{Buildspec: "buildspec-test.yml", Compute: "small"}) {
					t.Errorf("Test = %+v", sys.Test)
				}
			},
		},
		"an absent test mapping means no Test stage": {
			src: baseYAML,
			check: func(t *testing.T, sys *System) {
				if sys.Test != nil {
					t.Errorf("Test = %+v, want nil", sys.Test)
				}
			},
		},
		"per-environment service and network entries are merged over the top level": {
			src: withBase(`  - name: prod
    account: tooling
    region: eu-west-1
    service: {desired_count: 4, cpu: 512, memory: 1024, environment: {LEVEL: warn}}
    network: {nat_gateways: 2, azs: 3}
`) + "network: {cidr: 10.1.0.0/16}\n",
			check: func(t *testing.T, sys *System) {
				dev, prod := sys.Environments[0], sys.Environments[1]
				if dev.Service.CPU != 256 || dev.Service.DesiredCount != 2 || dev.Network.NATGateways != 1 || dev.Network.CIDR != "10.1.0.0/16" {
					t.Errorf("dev = %+v", dev)
				}
				if prod.Service.CPU != 512 || prod.Service.Memory != 1024 || prod.Service.DesiredCount != 4 || prod.Service.Name != "web" || prod.Service.Port != 8080 {
					t.Errorf("prod service = %+v", prod.Service)
				}
				if prod.Network != (Network{CIDR: "10.1.0.0/16", AZs: 3, NATGateways: 2, FlowLogs: true}) {
					t.Errorf("prod network = %+v", prod.Network)
				}
				if prod.Region != "eu-west-1" || dev.Region != "us-east-1" || prod.Index != 1 {
					t.Errorf("regions/index = %q %q %d", dev.Region, prod.Region, prod.Index)
				}
				if sys.Service.CPU != 256 {
					t.Errorf("top-level service changed: %+v", sys.Service)
				}
			},
		},
		"environment variables and secrets of an environment are merged name by name": {
			src: edit(t, "  port: 8080\n", "  port: 8080\n  environment: {A: top, B: top}\n  secrets: {S: arn:aws:secretsmanager:us-east-1:210987654321:secret:s}\n") +
				"    service: {environment: {B: env, C: env}}\n",
			check: func(t *testing.T, sys *System) {
				got := sys.Environments[0].Service.Environment
				if want := map[string]string{"A": "top", "B": "env", "C": "env"}; !reflect.DeepEqual(got, want) {
					t.Errorf("environment = %v, want %v", got, want)
				}
				if len(sys.Environments[0].Service.Secrets) != 1 {
					t.Errorf("secrets = %v", sys.Environments[0].Service.Secrets)
				}
			},
		},
		"accounts in short and long form are both keyed": {
			src: edit(t, "  tooling: \"210987654321\"\n", `  tooling: "210987654321"
  staging:
    id: "310987654321"
    role: arn:aws:iam::310987654321:role/Deploy
  prod: {id: "410987654321", profile: prod}
`),
			check: func(t *testing.T, sys *System) {
				want := map[string]Account{
					"tooling": {Key: "tooling", ID: "210987654321"},
					"staging": {Key: "staging", ID: "310987654321", Role: "arn:aws:iam::310987654321:role/Deploy"},
					"prod":    {Key: "prod", ID: "410987654321", Profile: "prod"},
				}
				if !reflect.DeepEqual(sys.Accounts, want) {
					t.Errorf("Accounts = %+v", sys.Accounts)
				}
			},
		},
		"traffic and bake_minutes default only with blue-green": {
			src: withBase("  - name: prod\n    account: tooling\n    service: {deployment: rolling}\n"),
			check: func(t *testing.T, sys *System) {
				bg, rolling := sys.Environments[0].Service, sys.Environments[1].Service
				if bg.Traffic != TrafficAllAtOnce || bg.BakeMinutes != 5 {
					t.Errorf("blue-green service = %+v", bg)
				}
				if rolling.Deployment != DeploymentRolling || rolling.Traffic != "" || rolling.BakeMinutes != 0 {
					t.Errorf("rolling service = %+v", rolling)
				}
			},
		},
		"overrides keep each operation as canonical JSON": {
			src: withBase(`overrides:
  pipeline:
    - {op: add, path: /Resources/Pipeline/Properties/RestartExecutionOnUpdate, value: true}
    - op: replace
      value: {b: 1, a: "<x>"}
      path: /Outputs/X
  ecs-dev:
    - {op: remove, path: /Resources/Cluster}
`),
			check: func(t *testing.T, sys *System) {
				want := map[string][]json.RawMessage{
					"pipeline": {
						json.RawMessage(`{"op":"add","path":"/Resources/Pipeline/Properties/RestartExecutionOnUpdate","value":true}`),
						json.RawMessage(`{"op":"replace","path":"/Outputs/X","value":{"a":"<x>","b":1}}`),
					},
					"ecs-dev": {json.RawMessage(`{"op":"remove","path":"/Resources/Cluster"}`)},
				}
				if !reflect.DeepEqual(sys.Overrides, want) {
					t.Errorf("Overrides = %s", sys.Overrides)
				}
			},
		},
		"numbers and booleans where text is expected are kept as written": {
			src: baseYAML + "    wave: 1\ntags: {cost-center: 0042, ratio: 1.50, on: true}\n",
			check: func(t *testing.T, sys *System) {
				if want := map[string]string{"cost-center": "0042", "ratio": "1.50", "on": "true"}; !reflect.DeepEqual(sys.Tags, want) {
					t.Errorf("Tags = %v", sys.Tags)
				}
				if sys.Environments[0].Wave != "1" {
					t.Errorf("Wave = %q", sys.Environments[0].Wave)
				}
			},
		},
		"anchors, aliases and merge keys are resolved": {
			src: withBase(`  - name: prod
    account: tooling
    service: &big {cpu: 1024, memory: 2048}
  - name: prod2
    account: tooling
    service:
      <<: *big
      memory: 4096
`),
			check: func(t *testing.T, sys *System) {
				p1, p2 := sys.Environments[1].Service, sys.Environments[2].Service
				if p1.CPU != 1024 || p1.Memory != 2048 || p2.CPU != 1024 || p2.Memory != 4096 {
					t.Errorf("services = %+v / %+v", p1, p2)
				}
			},
		},
		"every key of SPEC.md is accepted": {
			src: specExample,
			check: func(t *testing.T, sys *System) {
				if len(sys.Environments) != 3 || sys.Environments[2].Wave != "prod" || !sys.Environments[2].Protect {
					t.Errorf("environments = %+v", sys.Environments)
				}
				if sys.Organization != "o-a1b2c3d4e5" || sys.Service.Certificate == "" || len(sys.Roles.Deny) != 2 {
					t.Errorf("system = %+v", sys)
				}
			},
		},
	}
	for name, tc := range testCases {
		t.Run(name, func(t *testing.T) {
			tc.check(t, mustLoad(t, tc.src))
		})
	}
}

// specExample is the file of SPEC.md with its placeholders made concrete.
const specExample = `# yaml-language-server: $schema=system.schema.json
version: 1
name: shop
suffix: dev
region: us-east-1
tags:
  team: platform
accounts:
  tooling: "210987654321"
  dev: "310987654321"
  staging:
    id: "410987654321"
    role: arn:aws:iam::410987654321:role/OrganizationAccountAccessRole
  prod:
    id: "510987654321"
    profile: prod
organization: o-a1b2c3d4e5
source:
  connection: arn:aws:codestar-connections:us-east-1:210987654321:connection/0f1e2d3c-aaaa-bbbb-cccc-0123456789ab
  repository: acme/shop
  branch: main
  detect_changes: true
build:
  image: ecr
  compute: small
  buildspec: buildspec.yml
  privileged: true
  timeout_minutes: 60
  cache_days: 7
test:
  buildspec: buildspec-test.yml
  compute: small
artifacts:
  retention_days: 30
notifications:
  approvals: [release@acme.io]
  failures: [oncall@acme.io]
service:
  name: web
  port: 8080
  cpu: 256
  memory: 512
  desired_count: 2
  health_check: /health
  deployment: blue-green
  traffic: all-at-once
  bake_minutes: 5
  certificate: arn:aws:acm:us-east-1:310987654321:certificate/0f1e2d3c-aaaa-bbbb-cccc-0123456789ab
  environment: {LOG_LEVEL: info}
  secrets: {DB_PASSWORD: arn:aws:secretsmanager:us-east-1:310987654321:secret:db}
  registry_credentials: true
network:
  cidr: 10.0.0.0/16
  azs: 2
  nat_gateways: 2
  flow_logs: true
environments:
  - name: dev
    account: dev
    region: us-east-1
    approval: false
  - name: staging
    account: staging
    approval: true
    service: {certificate: "arn:aws:acm:us-east-1:410987654321:certificate/0f1e2d3c-aaaa-bbbb-cccc-0123456789ac"}
  - name: prod
    account: prod
    approval: true
    protect: true
    wave: prod
    service: {desired_count: 4, cpu: 512, memory: 1024, certificate: "arn:aws:acm:us-east-1:510987654321:certificate/0f1e2d3c-aaaa-bbbb-cccc-0123456789ad"}
    network: {nat_gateways: 2}
roles:
  deny: [ec2:TerminateInstances, iam:CreateUser]
monitoring:
  dashboard: true
  alert_on: [FAILED]
overrides:
  pipeline:
    - {op: add, path: /Resources/Pipeline/Properties/RestartExecutionOnUpdate, value: true}
`

func TestLoadKeepsTrafficGivenWithRollingForTheChecks(t *testing.T) {
	src := edit(t, "  port: 8080\n", "  port: 8080\n  deployment: rolling\n  traffic: canary-10-5\n  bake_minutes: 9\n")
	sys, _ := Load("system.yaml", []byte(src))
	if sys == nil {
		t.Fatal("Load returned no System for a schema-valid file")
	}
	if sys.Service.Traffic != TrafficCanary || sys.Service.BakeMinutes != 9 {
		t.Errorf("service = %+v", sys.Service)
	}
}

func TestLoadReportsErrorsAtTheirNode(t *testing.T) {
	testCases := map[string]struct {
		src     string
		want    []string // "rule line:col-endcol" of every error, sorted by position
		message string   // a substring of the first error's message, when set
	}{
		"a tab in indentation is reported at the tab": {
			src:     "version: 1\nname: shop\nservice:\n\tname: web\n",
			want:    []string{"yaml-tab 4:1-2"},
			message: "tab character",
		},
		"every line indented with a tab is reported": {
			src:  "version: 1\nservice:\n  name: web\n\t\tport: 1\naccounts:\n  \ttooling: x\n",
			want: []string{"yaml-tab 4:1-2", "yaml-tab 6:3-4"},
		},
		"a tab inside a block scalar is text, not indentation": {
			src:  edit(t, "  port: 8080\n", "  port: 8080\n  environment:\n    NOTE: |\n      a\n      \tb\n    X: y\n"),
			want: nil,
		},
		"a repeated top-level key is reported at the repetition": {
			src:     edit(t, "suffix: dev\n", "suffix: dev\nname: other\n"),
			want:    []string{"duplicate-key 4:1-5"},
			message: `key "name" is repeated; it is already set at line 2`,
		},
		"a repeated nested key is reported and schema errors still are": {
			src:  edit(t, "  port: 8080\n", "  port: 8080\n  port: 9090\n  cpuu: 1\n"),
			want: []string{"duplicate-key 13:3-7", "unknown-key 14:3-7"},
		},
		"an unterminated quoted string is a syntax error at the string": {
			src:  withBase("tags: \"abc\n"),
			want: []string{"yaml-syntax 16:7-11"},
		},
		"a mapping value in a plain scalar is a syntax error": {
			src:  edit(t, "name: shop\n", "name: a: b\n"),
			want: []string{"yaml-syntax 2:7-8"},
		},
		"two documents in one file are an error at the second": {
			src:     baseYAML + "---\n" + baseYAML,
			want:    []string{"yaml-syntax 16:1-4"},
			message: "2 YAML documents",
		},
		"an empty file is an error": {
			src:     "",
			want:    []string{"yaml-syntax 1:1-2"},
			message: "empty",
		},
		"a file of comments only is empty": {
			src:  "# nothing here\n\n",
			want: []string{"yaml-syntax 1:1-2"},
		},
		"a list instead of a mapping is a type error": {
			src:  "- a\n- b\n",
			want: []string{"type 1:1-2"},
		},
		"an unquoted account id is a type error at the number": {
			src:     edit(t, `  tooling: "210987654321"`, `  tooling: 210987654321`),
			want:    []string{"type 6:12-24"},
			message: `account id must be a quoted string: write "210987654321"`,
		},
		"an unquoted account id with a leading zero is a type error too": {
			src:  edit(t, `  tooling: "210987654321"`, `  tooling: {id: 012345678901}`),
			want: []string{"type 6:17-29"},
		},
		"an account id of the wrong length breaks the pattern": {
			src:  edit(t, `  tooling: "210987654321"`, `  tooling: "2109"`),
			want: []string{"pattern 6:12-18"},
		},
		"an account with both role and profile is an error at the second of them": {
			src:     edit(t, `  tooling: "210987654321"`, `  tooling: {id: "210987654321", role: r, profile: p}`),
			want:    []string{"schema 6:42-49"},
			message: "both role and profile",
		},
		"profile written before role makes role the mistake": {
			src:     edit(t, "  tooling: \"210987654321\"\n", "  tooling:\n    id: \"210987654321\"\n    profile: p\n    role: r\n"),
			want:    []string{"schema 9:5-9"},
			message: "both role and profile",
		},
		"an unclosed [ is reported at the bracket, not at the next key": {
			src:     withBase("roles:\n  deny: [iam:CreateUser, s3:DeleteBucket\nmonitoring: {}\n"),
			want:    []string{"yaml-syntax 17:9-10"},
			message: "this [ is never closed",
		},
		"an unclosed { is reported at the brace, not at the next key": {
			src:     edit(t, "  port: 8080\n", "  port: 8080\n  environment: {A: b\n"),
			want:    []string{"yaml-syntax 13:16-17"},
			message: "this { is never closed",
		},
		"an unclosed quote is reported where it opens, not at the next quote": {
			src:     edit(t, "suffix: dev\n", "suffix: \"dev\n"),
			want:    []string{"yaml-syntax 3:9-10"},
			message: "not closed on its line",
		},
		"a key indented too deep is reported at the key, not at the value above": {
			src:     edit(t, "  port: 8080\n", "  port: 8080\n    cpu: 256\n"),
			want:    []string{"yaml-syntax 13:5-8"},
			message: "indented deeper",
		},
		"a colon without a space after it is explained": {
			src:     edit(t, "  port: 8080\n", "  port:8080\n"),
			want:    []string{"yaml-syntax 12:3-12"},
			message: "a colon needs a space after it",
		},
		"a value holding a colon and a space is explained": {
			src:     edit(t, "  name: web\n", "  name: web: app\n"),
			want:    []string{"yaml-syntax 11:9-12"},
			message: "unless it is quoted",
		},
		"a quoted string over two lines is no unclosed quote": {
			src:  edit(t, "  port: 8080\n", "  port: 8080\n  environment:\n    MOTD: \"hello\n      world\"\n"),
			want: nil,
		},
		"a flow mapping over several lines is no unclosed brace": {
			src:  edit(t, "  port: 8080\n", "  port: 8080\n  environment: {\n    A: b,\n    C: d\n  }\n"),
			want: nil,
		},
		"a key written as the start of a known key gets that key suggested": {
			src:     withBase("build:\n  timeout: 60\n"),
			want:    []string{"unknown-key 17:3-10"},
			message: `did you mean "timeout_minutes"?`,
		},
		"a required key with a typo is one error, not also a missing key": {
			src:     edit(t, "    account: tooling\n", "    acount: tooling\n"),
			want:    []string{"unknown-key 15:5-11"},
			message: `did you mean "account"?`,
		},
		"an account written as a list is a type error": {
			src:     edit(t, `  tooling: "210987654321"`, `  tooling: ["210987654321"]`),
			want:    []string{"type 6:12-13"},
			message: "account tooling must be a string or a mapping, not a list",
		},
		"accounts without tooling points at the accounts key": {
			src:  edit(t, "  tooling: \"210987654321\"\n", "  dev: \"210987654321\"\n"),
			want: []string{"missing-key 5:1-9"},
		},
		"an unknown key near a known one suggests it": {
			src:     withBase("biuld:\n  compute: small\n"),
			want:    []string{"unknown-key 16:1-6"},
			message: `unknown key "biuld"; did you mean "build"?`,
		},
		"an unknown nested key is reported at the key": {
			src:     edit(t, "  port: 8080\n", "  port: 8080\n  desired_cuont: 3\n"),
			want:    []string{"unknown-key 13:3-16"},
			message: `unknown key "desired_cuont" in service; did you mean "desired_count"?`,
		},
		"an unknown key far from every known one has no suggestion": {
			src:     withBase("colour: blue\n"),
			want:    []string{"unknown-key 16:1-7"},
			message: `unknown key "colour"`,
		},
		"a missing key points at the key of its mapping": {
			src:     edit(t, "  port: 8080\n", ""),
			want:    []string{"missing-key 10:1-8"},
			message: `service is missing required key "port"`,
		},
		"a missing top-level key points at the first key": {
			src:     edit(t, "suffix: dev\n", ""),
			want:    []string{"missing-key 1:1-8"},
			message: `missing required key "suffix"`,
		},
		"a missing key of a list item points at its dash": {
			src:     withBase("  - account: tooling\n"),
			want:    []string{"missing-key 16:3-4"},
			message: `environments[1] is missing required key "name"`,
		},
		"an empty list of environments is too short": {
			src:  strings.Replace(edit(t, "  - name: dev\n    account: tooling\n", ""), "environments:\n", "environments: []\n", 1),
			want: []string{"range 13:15-16"},
		},
		"a value outside the enum lists the allowed ones": {
			src:     withBase("build:\n  compute: huge\n"),
			want:    []string{"enum 17:12-16"},
			message: `compute "huge" is not allowed; use small, medium, large, xlarge or 2xlarge`,
		},
		"a value close to an enum value suggests it": {
			src:     withBase("build:\n  compute: lage\n"),
			want:    []string{"enum 17:12-16"},
			message: `did you mean "large"?`,
		},
		"a quoted value's range includes its quotes": {
			src:  edit(t, "name: shop\n", "name: \"Shop\"\n"),
			want: []string{"pattern 2:7-13"},
		},
		"a number out of range names the bounds": {
			src:     withBase("build:\n  timeout_minutes: 481\n"),
			want:    []string{"range 17:20-23"},
			message: "timeout_minutes 481 is out of range: use 5 to 480",
		},
		"a version other than 1 breaks the const": {
			src:  edit(t, "version: 1\n", "version: 2\n"),
			want: []string{"const 1:10-11"},
		},
		"a string where a number belongs is a type error": {
			src:     edit(t, "  port: 8080\n", "  port: eighty\n"),
			want:    []string{"type 12:9-15"},
			message: `port must be a whole number, not the string "eighty"`,
		},
		"an empty mapping value is a type error at its key": {
			src:  withBase("test:\n"),
			want: []string{"type 16:1-5"},
		},
		"an item of a sequence is reported at its own position": {
			src:     withBase("monitoring:\n  alert_on:\n    - FAILED\n    - FAILD\n"),
			want:    []string{"enum 19:7-12"},
			message: `alert_on[1] "FAILD" is not allowed; did you mean "FAILED"?`,
		},
		"an item of a flow sequence is reported at its own position": {
			src:  withBase("notifications: {failures: [a@b.io, nope]}\n"),
			want: []string{"pattern 16:36-40"},
		},
		"an override of a later environment is reported at its value": {
			src:  withBase("  - name: prod\n    account: tooling\n    service: {cpu: 99999}\n"),
			want: []string{"range 18:20-25"},
		},
		"the service name cannot be overridden per environment": {
			src:     baseYAML + "    service: {name: api}\n",
			want:    []string{"unknown-key 16:15-19"},
			message: "the service name is the same in every environment",
		},
		"an overrides key that names no stack kind suggests one": {
			src:     withBase("overrides:\n  pipelnie: []\n"),
			want:    []string{"pattern 17:3-11"},
			message: `did you mean "pipeline"?`,
		},
		"a patch operation without its value is missing a key": {
			src:  withBase("overrides:\n  pipeline:\n    - {op: add, path: /Resources}\n"),
			want: []string{"missing-key 18:5-6"},
		},
		"a region that is no AWS region breaks the pattern": {
			src:  edit(t, "region: us-east-1\n", "region: mars\n"),
			want: []string{"pattern 4:9-13"},
		},
		"columns count characters, not bytes": {
			src:  withBase("tags: {é: ü, \"bad key!\": x}\n"),
			want: []string{"pattern 16:14-24"},
		},
		"an alias to no anchor is a syntax error": {
			src:  withBase("tags: *nothing\n"),
			want: []string{"yaml-syntax 16:7-15"},
		},
		"a custom YAML tag is not supported": {
			src:     withBase("tags: {a: !Ref x}\n"),
			want:    []string{"yaml-tag 16:11-15"},
			message: "YAML tag !Ref is not supported",
		},
		"every problem of the file is reported in one run": {
			src: strings.NewReplacer("version: 1\n", "version: 3\n", "  port: 8080\n", "  port: 0\n", "  - name: dev\n", "  - name: Dev\n").Replace(baseYAML) +
				"extra: 1\n",
			want: []string{"const 1:10-11", "range 12:9-10", "pattern 14:11-14", "unknown-key 16:1-6"},
		},
	}
	for name, tc := range testCases {
		t.Run(name, func(t *testing.T) {
			sys, ds := Load("system.yaml", []byte(tc.src))
			got := errorsOf(ds)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("errors = %q, want %q\n%v", got, tc.want, ds)
			}
			if len(tc.want) > 0 && sys != nil {
				t.Errorf("Load returned a System despite schema errors")
			}
			if len(tc.want) == 0 && sys == nil {
				t.Errorf("Load returned no System for a valid file: %v", ds)
			}
			if tc.message != "" && !strings.Contains(ds[0].Message, tc.message) {
				t.Errorf("message = %q, want it to contain %q", ds[0].Message, tc.message)
			}
			for _, d := range ds {
				if d.Range.Filename != "system.yaml" {
					t.Errorf("diagnostic %v has filename %q", d, d.Range.Filename)
				}
			}
		})
	}
}

func TestLoadRecordsPositionsOfKeysAndItems(t *testing.T) {
	src := withBase("  - name: prod\n    account: tooling\nmonitoring:\n  alert_on: [FAILED, STOPPED]\n")
	sys := mustLoad(t, src)
	testCases := map[string]struct {
		got  diag.Range
		want string
	}{
		"a scalar value covers its token":                       {sys.Doc.Range("$.environments[1].name"), "16:11-15"},
		"a quoted value covers its quotes":                      {sys.Doc.Range("$.accounts.tooling"), "6:12-26"},
		"a key covers the key":                                  {sys.Doc.KeyRange("$.environments[1].account"), "17:5-12"},
		"a block sequence item's key is its dash":               {sys.Doc.KeyRange("$.environments[1]"), "16:3-4"},
		"a block mapping starts at its first key":               {sys.Doc.Range("$.environments[1]"), "16:5-9"},
		"a flow sequence item covers its token":                 {sys.Doc.Range("$.monitoring.alert_on[1]"), "19:22-29"},
		"a defaulted key without parent falls back to the root": {sys.Doc.Range("$.build.compute"), "1:1-8"},
		"an absent key under a present one points at that key":  {sys.Doc.Range("$.service.cpu"), "10:1-8"},
	}
	for name, tc := range testCases {
		t.Run(name, func(t *testing.T) {
			got := fmt.Sprintf("%d:%d-%d", tc.got.Start.Line, tc.got.Start.Column, tc.got.End.Column)
			if got != tc.want {
				t.Errorf("range = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestLoadFileReportsAnUnreadableFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing.yaml")
	sys, ds := LoadFile(path)
	if sys != nil || len(ds) != 1 || ds[0].Rule != "io" || ds[0].Range.Filename != path || ds[0].Severity != diag.Error {
		t.Fatalf("LoadFile(missing) = %v, %v", sys, ds)
	}
}

func TestLoadFileLoadsAFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "system.yaml")
	if err := os.WriteFile(path, []byte(baseYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	sys, ds := LoadFile(path)
	if sys == nil || ds.HasErrors() {
		t.Fatalf("LoadFile = %v, %v", sys, ds)
	}
	if r := sys.Doc.Range("$.name"); r.Filename != path || r.Start.Line != 2 {
		t.Errorf("range of $.name = %+v", r)
	}
}

func TestLoadSeedHasNoErrors(t *testing.T) {
	name, src := seedSource(t)
	sys, ds := Load(name, src)
	if sys == nil || ds.HasErrors() {
		t.Fatalf("seed: %v", ds)
	}
	if sys.Test == nil || len(sys.Environments) != 3 || sys.Build.CacheDays != 7 || sys.Network.NATGateways != 2 {
		t.Errorf("seed decoded as %+v", sys)
	}
}

func TestLoadIsDeterministic(t *testing.T) {
	src := []byte(withBase("bogus: 1\nbuild: {compute: x, timeout_minutes: 1, cache: 2}\n"))
	_, first := Load("system.yaml", src)
	for range 5 {
		if _, again := Load("system.yaml", src); !reflect.DeepEqual(first, again) {
			t.Fatalf("diagnostics differ between runs:\n%v\n---\n%v", first, again)
		}
	}
}

func TestLoadHintsWhatAPatchOperationNeeds(t *testing.T) {
	testCases := map[string]struct {
		op   string
		want string
	}{
		"add without value":    {"{op: add, path: /Resources}", "need value"},
		"test without value":   {"{op: test, path: /Resources}", "need value"},
		"copy without from":    {"{op: copy, path: /Resources}", "need from"},
		"remove needs no more": {"{op: remove, path: /Resources}", ""},
	}
	for name, tc := range testCases {
		t.Run(name, func(t *testing.T) {
			_, ds := Load("system.yaml", []byte(withBase("overrides:\n  pipeline:\n    - "+tc.op+"\n")))
			var hints []string
			for _, d := range ds {
				if d.Rule == "missing-key" {
					hints = append(hints, d.Hint)
				}
			}
			if tc.want == "" {
				if len(hints) != 0 {
					t.Fatalf("missing-key diagnostics: %q", hints)
				}
				return
			}
			if len(hints) != 1 || !strings.Contains(hints[0], tc.want) {
				t.Errorf("hints = %q, want one containing %q", hints, tc.want)
			}
		})
	}
}

func TestLoadReadsAQuotedVersionOneWithAWarning(t *testing.T) {
	sys, ds := Load("system.yaml", []byte(edit(t, "version: 1\n", "version: \"1\"\n")))
	if sys == nil || ds.HasErrors() {
		t.Fatalf("version: \"1\" does not load: %v", ds)
	}
	if sys.Version != 1 {
		t.Errorf("Version = %d, want 1", sys.Version)
	}
	if len(ds) != 1 || ds[0].Severity != diag.Warning || ds[0].Range.Start.Line != 1 || ds[0].Range.Start.Column != 10 {
		t.Errorf("diagnostics = %v, want one warning at 1:10", ds)
	}
	if _, ds := Load("system.yaml", []byte(edit(t, "version: 1\n", "version: \"2\"\n"))); !ds.HasErrors() {
		t.Errorf("version: \"2\" loads")
	}
}

// TestOverridesOfTheToolingSecretsStack: `secrets`, the tooling account's
// secrets stack, is an overrides key when build.registry_credentials makes
// that stack, and only then.
func TestOverridesOfTheToolingSecretsStack(t *testing.T) {
	const override = "overrides:\n  secrets:\n    - {op: add, path: /Description, value: docker login}\n"
	sys := mustLoad(t, withBase("build:\n  registry_credentials: true\n"+override))
	if len(sys.Overrides["secrets"]) != 1 {
		t.Errorf("overrides of secrets: %v", sys.Overrides["secrets"])
	}
	_, ds := Load("system.yaml", []byte(withBase(override)))
	if len(ds) != 1 || ds[0].Rule != "override-stack" || ds[0].Path != "$.overrides.secrets" {
		t.Errorf("without registry credentials: %v, want one override-stack error at $.overrides.secrets", ds)
	}
}
