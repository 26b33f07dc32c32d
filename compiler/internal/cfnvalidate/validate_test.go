package cfnvalidate

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

func registry(t *testing.T) *Registry {
	t.Helper()
	r, err := Load(filepath.Join("..", "..", "testdata", "cfn-schemas", "schemas.json"))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("bad test template: %v", err)
	}
	return m
}

func TestTemplate(t *testing.T) {
	reg := registry(t)
	tests := map[string]struct {
		template string
		want     []string // substrings of the problems, in order; none means valid
	}{
		"a valid bucket with intrinsic functions passes": {
			template: `{"Parameters":{"Name":{"Type":"String"}},"Conditions":{"HasName":{"Fn::Not":[{"Fn::Equals":[{"Ref":"Name"},""]}]}},
			"Resources":{"Key":{"Type":"AWS::KMS::Key","Properties":{"EnableKeyRotation":"true","KeyPolicy":{"Version":"2012-10-17","Statement":[]}}},
			"Bucket":{"Type":"AWS::S3::Bucket","DeletionPolicy":"Delete","DependsOn":"Key","Properties":{
			"BucketName":{"Fn::If":["HasName",{"Ref":"Name"},{"Ref":"AWS::NoValue"}]},
			"BucketEncryption":{"ServerSideEncryptionConfiguration":[{"ServerSideEncryptionByDefault":{"SSEAlgorithm":"aws:kms","KMSMasterKeyID":{"Fn::GetAtt":["Key","Arn"]}}}]},
			"Tags":[{"Key":"a","Value":{"Fn::Sub":"${AWS::StackName}-${Name}-${Key.Arn}"}}]}}},
			"Outputs":{"B":{"Value":{"Ref":"Bucket"},"Export":{"Name":"x:B"}}}}`,
		},
		"an unknown property fails": {
			template: `{"Resources":{"B":{"Type":"AWS::S3::Bucket","Properties":{"BucketNam":"x"}}}}`,
			want:     []string{"Resources/B/Properties/BucketNam: unknown property BucketNam"},
		},
		"a nested unknown property fails": {
			template: `{"Resources":{"B":{"Type":"AWS::S3::Bucket","Properties":{"VersioningConfiguration":{"Status":"Enabled","Mfa":"x"}}}}}`,
			want:     []string{"VersioningConfiguration/Mfa: unknown property Mfa"},
		},
		"a list where an object is expected fails": {
			template: `{"Resources":{"B":{"Type":"AWS::S3::Bucket","Properties":{"VersioningConfiguration":[{"Status":"Enabled"}]}}}}`,
			want:     []string{"an array is not of type object"},
		},
		"a value outside the enum fails": {
			template: `{"Resources":{"B":{"Type":"AWS::S3::Bucket","Properties":{"VersioningConfiguration":{"Status":"On"}}}}}`,
			want:     []string{"On is not one of [Enabled, Suspended]"},
		},
		"a missing required property fails": {
			template: `{"Resources":{"R":{"Type":"AWS::IAM::Role","Properties":{"RoleName":"x"}}}}`,
			want:     []string{"required property AssumeRolePolicyDocument is missing"},
		},
		"a read-only property fails": {
			template: `{"Resources":{"R":{"Type":"AWS::IAM::Role","Properties":{"AssumeRolePolicyDocument":{},"Arn":"arn:x"}}}}`,
			want:     []string{"Arn is read-only in AWS::IAM::Role"},
		},
		"a numeric string for an integer passes and a word fails": {
			template: `{"Resources":{"L":{"Type":"AWS::Logs::LogGroup","Properties":{"RetentionInDays":"30"}},"M":{"Type":"AWS::Logs::LogGroup","Properties":{"RetentionInDays":"month"}}}}`,
			want:     []string{`Resources/M/Properties/RetentionInDays: "month" is not of type integer`},
		},
		"an unknown resource type fails": {
			template: `{"Resources":{"X":{"Type":"AWS::S3::Buckets","Properties":{}}}}`,
			want:     []string{`unknown resource type "AWS::S3::Buckets"`},
		},
		"an SSM parameter type asserted by a rule, as CDK's bootstrap version check, passes": {
			template: `{"Parameters":{"Version":{"Type":"AWS::SSM::Parameter::Value<String>","Default":"/shop/dev/x/roles-version"}},
			"Rules":{"CheckVersion":{"Assertions":[{"Assert":{"Fn::Not":[{"Fn::Contains":[["0","1"],{"Ref":"Version"}]}]},"AssertDescription":"update the roles"}]}},
			"Resources":{"B":{"Type":"AWS::S3::Bucket"}}}`,
		},
		"an SSM parameter type whose default is no parameter name fails": {
			template: `{"Parameters":{"Version":{"Type":"AWS::SSM::Parameter::Value<String>","Default":"not a name"}},"Resources":{"B":{"Type":"AWS::S3::Bucket"}}}`,
			want:     []string{"Parameters/Version/Default: the default of an SSM parameter type must be a parameter name"},
		},
		"an unknown SSM parameter value type fails": {
			template: `{"Parameters":{"V":{"Type":"AWS::SSM::Parameter::Value<Strings>"}},"Resources":{"B":{"Type":"AWS::S3::Bucket"}}}`,
			want:     []string{`parameter type "AWS::SSM::Parameter::Value<Strings>" is not a CloudFormation parameter type`},
		},
		"a rule without assertions, with an unknown key and a resource function fails": {
			template: `{"Parameters":{"V":{"Type":"String"}},"Rules":{"R":{"Assertion":[]},"S":{"RuleCondition":{"Fn::GetAtt":["B","Arn"]},"Assertions":[{"Assert":{"Fn::Equals":[{"Ref":"B"},"x"]},"AssertDescription":1}]}},
			"Resources":{"B":{"Type":"AWS::S3::Bucket"}}}`,
			want: []string{
				"Rules/R/Assertion: unknown rule key",
				"Rules/R/Assertions: a rule needs a list of at least one assertion",
				"Rules/S/RuleCondition/Fn::GetAtt: Fn::GetAtt cannot be used in a rule",
				`Rules/S/Assertions[0]/Assert/Fn::Equals[0]/Ref: Ref "B" in a rule names no parameter`,
				"Rules/S/Assertions[0]/AssertDescription: AssertDescription must be a string",
			},
		},
		"a Ref to nothing fails": {
			template: `{"Resources":{"B":{"Type":"AWS::S3::Bucket","Properties":{"BucketName":{"Ref":"Missing"}}}}}`,
			want:     []string{`Ref "Missing" names no parameter`},
		},
		"a GetAtt of an unknown attribute fails": {
			template: `{"Resources":{"B":{"Type":"AWS::S3::Bucket"},"C":{"Type":"AWS::S3::Bucket","Properties":{"BucketName":{"Fn::GetAtt":["B","Nope"]}}}}}`,
			want:     []string{"AWS::S3::Bucket has no attribute Nope"},
		},
		"a legacy attribute of the cdk overlay passes": {
			template: `{"Resources":{"T":{"Type":"AWS::SNS::Topic"},"B":{"Type":"AWS::S3::Bucket","Properties":{"BucketName":{"Fn::GetAtt":["T","TopicName"]}}}}}`,
		},
		"a Sub variable naming nothing fails": {
			template: `{"Resources":{"B":{"Type":"AWS::S3::Bucket","Properties":{"BucketName":{"Fn::Sub":["${Known}-${Unknown}-${!Literal}",{"Known":"k"}]}}}}}`,
			want:     []string{`Ref "Unknown" names no parameter`},
		},
		"a DependsOn naming nothing fails": {
			template: `{"Resources":{"B":{"Type":"AWS::S3::Bucket","DependsOn":["Gone"]}}}`,
			want:     []string{`DependsOn names "Gone"`},
		},
		"an undeclared condition fails": {
			template: `{"Resources":{"B":{"Type":"AWS::S3::Bucket","Condition":"Never","Properties":{"BucketName":{"Fn::If":["Nope","a","b"]}}}}}`,
			want:     []string{`condition "Never" is not declared`, `condition "Nope" is not declared`},
		},
		"a wrong type inside an Fn::If branch fails": {
			template: `{"Conditions":{"C":{"Fn::Equals":["a","b"]}},"Resources":{"B":{"Type":"AWS::S3::Bucket","Properties":{"VersioningConfiguration":{"Fn::If":["C",{"Status":"Enabled"},"yes"]}}}}}`,
			want:     []string{`{Fn::If[2]}: "yes" is not of type object`},
		},
		"a duplicate export name fails": {
			template: `{"Resources":{"B":{"Type":"AWS::S3::Bucket"}},"Outputs":{"A":{"Value":"1","Export":{"Name":"e"}},"B":{"Value":"2","Export":{"Name":"e"}}}}`,
			want:     []string{`export name "e" is also the export of output A`},
		},
		"a bad deletion policy fails": {
			template: `{"Resources":{"B":{"Type":"AWS::S3::Bucket","DeletionPolicy":"Keep"}}}`,
			want:     []string{"Keep is not a deletion policy"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := reg.Template(decode(t, tc.template))
			if len(got) != len(tc.want) {
				t.Fatalf("got %d problems %v, want %d %v", len(got), got, len(tc.want), tc.want)
			}
			for i, w := range tc.want {
				if !strings.Contains(got[i].String(), w) {
					t.Errorf("problem %d is %q, want it to contain %q", i, got[i], w)
				}
			}
		})
	}
}

func TestCheckAssembly(t *testing.T) {
	exporter := func(name, account, region string) Stack {
		return Stack{Name: name, Account: account, Region: region,
			Template: map[string]any{"Outputs": map[string]any{"Arn": map[string]any{"Value": "x", "Export": map[string]any{"Name": name + ":Arn"}}}}}
	}
	importer := func(deps []string, name string) Stack {
		return Stack{Name: "imp", Account: "1", Region: "r", DependsOn: deps,
			Template: map[string]any{"Resources": map[string]any{"T": map[string]any{"Properties": map[string]any{"X": map[string]any{"Fn::ImportValue": name}}}}}}
	}
	tests := map[string]struct {
		stacks []Stack
		want   string // substring of the only problem; "" means none
	}{
		"an import of a dependency's export passes": {
			stacks: []Stack{exporter("exp", "1", "r"), importer([]string{"exp"}, "exp:Arn")},
		},
		"an import of a stack it does not depend on fails": {
			stacks: []Stack{exporter("exp", "1", "r"), importer(nil, "exp:Arn")},
			want:   "which it does not depend on",
		},
		"an import from another region fails": {
			stacks: []Stack{exporter("exp", "1", "other"), importer([]string{"exp"}, "exp:Arn")},
			want:   `no stack in account 1 region r exports "exp:Arn"`,
		},
		"an import of an export that does not exist fails": {
			stacks: []Stack{exporter("exp", "1", "r"), importer([]string{"exp"}, "exp:Nope")},
			want:   `exports "exp:Nope"`,
		},
		"a parameter from an output that does not exist fails": {
			stacks: []Stack{exporter("exp", "1", "r"), {Name: "p", DependsOn: []string{"exp"},
				Template:   map[string]any{"Parameters": map[string]any{"K": map[string]any{"Type": "String"}}},
				Parameters: map[string]ParameterValue{"K": {FromStack: "exp", FromOutput: "Key"}}}},
			want: "stack exp has no output Key",
		},
		"a parameter without default or value fails": {
			stacks: []Stack{{Name: "p", Template: map[string]any{"Parameters": map[string]any{"K": map[string]any{"Type": "String"}}}}},
			want:   "parameter has no Default and apply passes no value",
		},
		"a dependency cycle fails": {
			stacks: []Stack{{Name: "a", DependsOn: []string{"b"}}, {Name: "b", DependsOn: []string{"a"}}},
			want:   "a -> b -> a",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := CheckAssembly(tc.stacks)
			if tc.want == "" {
				if len(got) != 0 {
					t.Fatalf("got %v, want no problem", got)
				}
				return
			}
			if len(got) != 1 || !strings.Contains(got[0].String(), tc.want) {
				t.Fatalf("got %v, want one problem containing %q", got, tc.want)
			}
		})
	}
}
