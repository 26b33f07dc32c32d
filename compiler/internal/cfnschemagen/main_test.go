package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestPruneKeepsWhatValidationReads(t *testing.T) {
	var schema any
	if err := json.Unmarshal([]byte(`{
		"typeName": "AWS::Logs::LogGroup",
		"description": "dropped",
		"handlers": {"create": {"permissions": ["logs:CreateLogGroup"]}},
		"properties": {
			"RetentionInDays": {"type": "integer", "enum": [1, 3], "description": "dropped"},
			"description": {"type": "string"}
		},
		"definitions": {"Tag": {"type": "object", "properties": {"Key": {"type": "string", "maxLength": 128}}, "additionalProperties": false}},
		"readOnlyProperties": ["/properties/Arn"]
	}`), &schema); err != nil {
		t.Fatal(err)
	}
	got, err := json.Marshal(prune(schema))
	if err != nil {
		t.Fatal(err)
	}
	// A property called "description" is a name, not the keyword: it stays.
	want := `{"definitions":{"Tag":{"additionalProperties":false,"properties":{"Key":{"maxLength":128,"type":"string"}},"type":"object"}},` +
		`"properties":{"RetentionInDays":{"enum":[1,3],"type":"integer"},"description":{"type":"string"}},` +
		`"readOnlyProperties":["/properties/Arn"],"typeName":"AWS::Logs::LogGroup"}`
	if string(got) != want {
		t.Errorf("pruned to\n%s\nwant\n%s", got, want)
	}
}

func TestWriteHandlerPermissions(t *testing.T) {
	all := map[string]json.RawMessage{
		"AWS::Logs::LogGroup": json.RawMessage(`{"handlers": {
			"create": {"permissions": ["logs:TagResource", "logs:CreateLogGroup", "logs:TagResource"]},
			"delete": {"permissions": ["logs:DeleteLogGroup"]}}}`),
		// A type without handlers is left out; a type the compiler does not
		// emit is never read.
		"AWS::CodeBuild::Project":  json.RawMessage(`{"properties": {}}`),
		"AWS::Lambda::Function":    json.RawMessage(`{"handlers": {"create": {"permissions": ["lambda:CreateFunction"]}}}`),
		"AWS::ECR::Repository":     json.RawMessage(`{"handlers": {"read": {}}}`),
		"AWS::SNS::NotEmittedType": json.RawMessage(`{}`),
	}
	path := filepath.Join(t.TempDir(), "handler-permissions.json")
	if err := writeHandlerPermissions(all, path); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var got HandlerPermissions
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string][]string{
		"AWS::Logs::LogGroup":  {"create": {"logs:CreateLogGroup", "logs:TagResource"}, "delete": {"logs:DeleteLogGroup"}},
		"AWS::ECR::Repository": {"read": {}},
	}
	if !reflect.DeepEqual(got.Types, want) {
		t.Errorf("types are %v, want %v", got.Types, want)
	}
}
