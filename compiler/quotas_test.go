package compiler

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/awslabs/goformation/v7/cloudformation/iam"
	"github.com/awslabs/goformation/v7/cloudformation/kms"
	"github.com/awslabs/goformation/v7/cloudformation/s3"
	"github.com/awslabs/goformation/v7/cloudformation/sns"
	"github.com/cicdgen/cicdgen/compiler/cfn"

	"github.com/cicdgen/cicdgen/diag"
)

// statements returns n statements of about 100 characters each.
func statements(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = map[string]any{
			"Effect": "Allow", "Action": "s3:GetObject",
			"Resource":  fmt.Sprintf("arn:aws:s3:::bucket-%04d/*", i),
			"Principal": map[string]any{"AWS": "arn:aws:iam::123456789012:root"},
		}
	}
	return out
}

func doc(n int) map[string]any {
	return map[string]any{"Version": "2012-10-17", "Statement": statements(n)}
}

func TestQuotas(t *testing.T) {
	tests := map[string]struct {
		// pipeline replaces the pipeline builder; roles the roles builder.
		pipeline  func(t *cfn.Template)
		roles     func(t *cfn.Template)
		overrides string
		rule      string
		severity  diag.Severity
		path      string
		message   string
	}{
		"more than 500 resources in a tooling stack point at the environments": {
			pipeline: func(t *cfn.Template) {
				for i := 0; i < 500; i++ {
					t.Resources[fmt.Sprintf("Topic%d", i)] = &sns.Topic{}
				}
			},
			rule: "template-resources", severity: diag.Error, path: "$.environments",
			message: "stack unit-pipeline-t has 502 resources; CloudFormation allows 500",
		},
		"more than 200 parameters in an environment stack point at the environment": {
			roles: func(t *cfn.Template) {
				for i := 0; i < 201; i++ {
					t.Parameters[fmt.Sprintf("P%d", i)] = cfn.Parameter{Type: "String", Default: ""}
				}
			},
			rule: "template-parameters", severity: diag.Error, path: "$.environments[1]",
			message: "stack unit-roles-euprod-t has 201 parameters",
		},
		"more than 200 outputs are an error": {
			pipeline: func(t *cfn.Template) {
				for i := 0; i < 201; i++ {
					t.Outputs[fmt.Sprintf("O%d", i)] = cfn.Output{Value: "x"}
				}
			},
			rule: "template-outputs", severity: diag.Error, path: "$.environments",
			message: "has 201 outputs",
		},
		"a template over 51,200 bytes is a warning": {
			pipeline: func(t *cfn.Template) {
				t.Resources["Big"] = &sns.Topic{DisplayName: cfn.String(strings.Repeat("x", 60_000))}
			},
			rule: "template-size", severity: diag.Warning, path: "$.environments",
			message: "over the 51200 that CloudFormation accepts inline",
		},
		"a template over 1,000,000 bytes is an error": {
			pipeline: func(t *cfn.Template) {
				t.Resources["Big"] = &sns.Topic{DisplayName: cfn.String(strings.Repeat("x", 1_000_001))}
			},
			rule: "template-size", severity: diag.Error, path: "$.environments",
			message: "CloudFormation accepts at most 1000000",
		},
		"a bucket policy over 20 KB is an error": {
			pipeline: func(t *cfn.Template) {
				t.Resources["BucketPolicy"] = &s3.BucketPolicy{Bucket: "b", PolicyDocument: doc(250)}
			},
			rule: "policy-size", severity: diag.Error, path: "$.environments",
			message: "the S3 bucket policy of BucketPolicy in stack unit-pipeline-t is",
		},
		"a key policy over 32 KB is an error": {
			pipeline: func(t *cfn.Template) {
				t.Resources["Key"] = &kms.Key{KeyPolicy: doc(400)}
			},
			rule: "policy-size", severity: diag.Error, path: "$.environments",
			message: "the KMS key policy of Key",
		},
		"a trust policy over 2,048 characters is an error": {
			roles: func(t *cfn.Template) {
				t.Resources["DeployRole"] = &iam.Role{AssumeRolePolicyDocument: doc(25)}
			},
			rule: "policy-size", severity: diag.Error, path: "$.environments[1]",
			message: "the trust policy of DeployRole",
		},
		"inline policies of one role count together": {
			roles: func(t *cfn.Template) {
				t.Resources["DeployRole"] = &iam.Role{
					AssumeRolePolicyDocument: doc(1),
					Policies:                 []iam.Role_Policy{{PolicyName: "a", PolicyDocument: doc(60)}},
				}
				t.Resources["Extra"] = &iam.Policy{PolicyName: "b", PolicyDocument: doc(60), Roles: []string{cfn.Ref("DeployRole")}}
			},
			rule: "policy-size", severity: diag.Error, path: "$.environments[1]",
			message: "the inline policies of DeployRole",
		},
		"a quota that an override breaks points at the override": {
			overrides: `overrides:
  roles-euprod:
    - {op: add, path: /Resources/Big, value: {Type: "AWS::S3::Bucket", Properties: {BucketName: ` + strings.Repeat("x", 52_000) + `}}}
`,
			rule: "template-size", severity: diag.Warning, path: "$.overrides.roles-euprod",
			message: "the template of stack unit-roles-euprod-t is",
		},
		"a template that was too big before its overrides points at the environments": {
			pipeline: func(t *cfn.Template) {
				t.Resources["Big"] = &sns.Topic{DisplayName: cfn.String(strings.Repeat("x", 60_000))}
			},
			overrides: `overrides:
  pipeline:
    - {op: add, path: /Metadata, value: {Owner: me}}
`,
			rule: "template-size", severity: diag.Warning, path: "$.environments",
			message: "the template of stack unit-pipeline-t is",
		},
		"a policy an override grows points at the override": {
			roles: func(t *cfn.Template) {
				t.Resources["DeployRole"] = &iam.Role{AssumeRolePolicyDocument: doc(15)}
			},
			overrides: `overrides:
  roles-euprod:
    - {op: add, path: /Resources/DeployRole/Properties/AssumeRolePolicyDocument/Statement/-, value: {Effect: Allow, Action: "sts:AssumeRole", Principal: {AWS: "arn:aws:iam::123456789012:role/a-very-long-role-name-that-makes-this-trust-policy-too-big-to-fit-the-limit"}}}
    - {op: add, path: /Resources/DeployRole/Properties/AssumeRolePolicyDocument/Statement/-, value: {Effect: Allow, Action: "sts:AssumeRole", Principal: {AWS: "arn:aws:iam::123456789012:role/a-very-long-role-name-that-makes-this-trust-policy-too-big-to-fit-the-limit"}}}
    - {op: add, path: /Resources/DeployRole/Properties/AssumeRolePolicyDocument/Statement/-, value: {Effect: Allow, Action: "sts:AssumeRole", Principal: {AWS: "arn:aws:iam::123456789012:role/a-very-long-role-name-that-makes-this-trust-policy-too-big-to-fit-the-limit"}}}
`,
			rule: "policy-size", severity: diag.Error, path: "$.overrides.roles-euprod",
			message: "the trust policy of DeployRole",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			sys := loadYAML(t, baseSystem+tc.overrides)
			build := func(k stackKind) (*cfn.Template, map[string]Parameter) {
				tmpl, p := testTemplate(k)
				switch k.(type) {
				case pipelineStack:
					if tc.pipeline != nil {
						tc.pipeline(tmpl)
					}
				case rolesStack:
					if tc.roles != nil && k.environment().Name == "euprod" {
						tc.roles(tmpl)
					}
				}
				return tmpl, p
			}
			_, ds := compileWith(sys, testStacks(sys, build))
			got := diagnosticsOf(ds, tc.rule)
			if len(got) != 1 {
				t.Fatalf("got %s diagnostics %v, want one", tc.rule, ds)
			}
			d := got[0]
			if d.Severity != tc.severity || d.Path != tc.path || !strings.Contains(d.Message, tc.message) {
				t.Errorf("got %s %s at %s: %q\nwant %s at %s containing %q", d.Severity, d.Rule, d.Path, d.Message, tc.severity, tc.path, tc.message)
			}
			if !d.Range.Known() {
				t.Errorf("the diagnostic has no position")
			}
			if tc.rule == "policy-size" && !strings.Contains(d.Hint, "organization") {
				t.Errorf("the hint %q does not suggest organization", d.Hint)
			}
		})
	}
}

func TestQuotasPassAGoodSystem(t *testing.T) {
	sys := loadYAML(t, baseSystem)
	_, ds := compileWith(sys, testStacks(sys, nil))
	if len(ds) != 0 {
		t.Fatalf("a small system gave %v", ds)
	}
}

func TestJSONSize(t *testing.T) {
	tests := map[string]struct {
		in   any
		want int
	}{
		"whitespace does not count":                    {map[string]any{"a": []any{"b", "c"}}, len(`{"a":["b","c"]}`)},
		"an intrinsic function counts as its JSON":     {map[string]any{"Ref": "X"}, len(`{"Ref":"X"}`)},
		"a policy given as a JSON string is compacted": {`{ "a" : 1 }`, len(`{"a":1}`)},
		"nothing is zero":                              {nil, 0},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := jsonSize(tc.in); got != tc.want {
				t.Errorf("got %d, want %d", got, tc.want)
			}
		})
	}
}

func TestWireSizeIsTheCompactLength(t *testing.T) {
	tests := map[string]string{
		"an indented document":          "{\n  \"a\": [\n    1,\n    \"b c\"\n  ],\n  \"d\": {}\n}\n",
		"escaped quotes and whitespace": "{\n  \"k\": \"say \\\"hi\\\" \\\\ \\n\",\n  \"e\": \" \"\n}\n",
	}
	for name, body := range tests {
		t.Run(name, func(t *testing.T) {
			v, err := decodeJSON([]byte(body))
			if err != nil {
				t.Fatal(err)
			}
			compact, err := compactJSON(v)
			if err != nil {
				t.Fatal(err)
			}
			if got := wireSize([]byte(body)); got != len(compact) {
				t.Errorf("wireSize = %d, want %d (%s)", got, len(compact), compact)
			}
		})
	}
}

// TestCanonicalJSONSizeCountsTheWireSize holds the size canonicalJSONSize
// counts as it writes to the compact length, over the test documents above
// and every golden template.
func TestCanonicalJSONSizeCountsTheWireSize(t *testing.T) {
	docs := map[string]any{
		"strings with spaces and escapes": map[string]any{"k": "say \"hi\" \\ \n", "e": " ", "l": []any{json.Number("1"), nil, true, map[string]any{}}},
	}
	for name, s := range goldenStacks(t) {
		v, err := decodeJSON(s.Body)
		if err != nil {
			t.Fatal(err)
		}
		docs[name] = v
	}
	for name, v := range docs {
		body, wire, err := canonicalJSONSize(v)
		if err != nil {
			t.Fatal(err)
		}
		compact, err := compactJSON(v)
		if err != nil {
			t.Fatal(err)
		}
		if wire != len(compact) || wire != wireSize(body) {
			t.Errorf("%s: counted %d, compact length %d, wireSize %d", name, wire, len(compact), wireSize(body))
		}
	}
}
