package cfn

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestIntrinsics(t *testing.T) {
	tests := map[string]struct {
		in   string
		want string // the function's JSON object
	}{
		"Ref":                    {Ref("Bucket"), `{"Ref":"Bucket"}`},
		"GetAtt":                 {GetAtt("Vpc", "CidrBlock"), `{"Fn::GetAtt":["Vpc","CidrBlock"]}`},
		"Sub":                    {Sub("${AWS::StackName}-x"), `{"Fn::Sub":"${AWS::StackName}-x"}`},
		"ImportValue":            {ImportValue("e"), `{"Fn::ImportValue":"e"}`},
		"GetAZs":                 {GetAZs(""), `{"Fn::GetAZs":""}`},
		"Select of a function":   {Select(1, GetAZs("")), `{"Fn::Select":[1,"` + "\\u0000cfn\\u0000" + `{\"Fn::GetAZs\":\"\"}"]}`},
		"CIDR":                   {CIDR("10.0.0.0/16", 4, 8), `{"Fn::Cidr":["10.0.0.0/16",4,8]}`},
		"Join":                   {Join(",", []string{"a", "b"}), `{"Fn::Join":[",",["a","b"]]}`},
		"Join of nothing":        {Join("", nil), `{"Fn::Join":["",[]]}`},
		"If":                     {If("HasImage", "a", "b"), `{"Fn::If":["HasImage","a","b"]}`},
		"Equals":                 {Equals("a", ""), `{"Fn::Equals":["a",""]}`},
		"Not":                    {Not("c"), `{"Fn::Not":["c"]}`},
		"quotes and backslashes": {Sub(`a"b\c`), `{"Fn::Sub":"a\"b\\c"}`},
		"control characters":     {Sub("a\nb\x01"), `{"Fn::Sub":"a\nb\u0001"}`},
		"not UTF-8":              {Sub("a\xffb"), `{"Fn::Sub":"a\ufffdb"}`},
		"UTF-8":                  {Sub("é€😀"), `{"Fn::Sub":"é€😀"}`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			raw, ok := DecodeIntrinsic(tc.in)
			if !ok {
				t.Fatalf("DecodeIntrinsic(%q) = false, want true", tc.in)
			}
			var got, want any
			if err := json.Unmarshal([]byte(raw), &got); err != nil {
				t.Fatalf("the object is not JSON: %v\n%s", err, raw)
			}
			if err := json.Unmarshal([]byte(tc.want), &want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("object = %s, want %s", raw, tc.want)
			}
		})
	}
}

func TestPlainStringsAreNotIntrinsics(t *testing.T) {
	for _, s := range []string{
		"Bucket",
		"",
		"arn:aws:iam::123456789012:role/x",
		"eyJSZWYiOiJCdWNrZXQifQ==",     // goformation's encoding of {"Ref":"Bucket"}: a literal here
		"eyAiUmVmIjogIkJ1Y2tldCIgfQ==", // and its spaced form
		"\x00cfn",
		"x\x00cfn\x00{}",
	} {
		if raw, ok := DecodeIntrinsic(s); ok {
			t.Errorf("DecodeIntrinsic(%q) = %q, true; want a plain string", s, raw)
		}
	}
}

func TestNewTemplate(t *testing.T) {
	tpl := NewTemplate()
	if tpl.AWSTemplateFormatVersion != "2010-09-09" {
		t.Errorf("AWSTemplateFormatVersion = %q", tpl.AWSTemplateFormatVersion)
	}
	if tpl.Metadata == nil || tpl.Parameters == nil || tpl.Mappings == nil || tpl.Conditions == nil ||
		tpl.Resources == nil || tpl.Outputs == nil {
		t.Errorf("a map of the new template is nil: %+v", tpl)
	}
}
