package manifest

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestEncodeReadsBack(t *testing.T) {
	m := Manifest{
		Version: Version, System: "shop", Suffix: "x", Region: "us-east-1",
		Stacks: []Stack{{
			Name: "shop-pipeline-x", Kind: "pipeline",
			Account:    Account{Key: "tooling", ID: "210987654321", Role: "arn:aws:iam::210987654321:role/Deploy"},
			Region:     "us-east-1",
			Template:   TemplateFile("shop-pipeline-x", FormatJSON),
			Parameters: map[string]Parameter{"ArtifactKeyArnEuWest1": {FromOutput: &OutputRef{Stack: "shop-artifacts-eu-west-1-x", Output: "ArtifactKeyArn"}}},
			DependsOn:  []string{"shop-artifacts-eu-west-1-x"},
			Tags:       map[string]string{"b": "<&>", "a": "1"},
			SHA256:     "00",
		}},
		Placeholders: []string{"$.accounts.tooling: placeholder"},
	}
	data, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(data, []byte("\n")) || !bytes.Contains(data, []byte("\n  \"stacks\": [")) {
		t.Errorf("not indented by two spaces with a trailing newline:\n%s", data)
	}
	if !bytes.Contains(data, []byte(`"<&>"`)) || bytes.Index(data, []byte(`"a": "1"`)) > bytes.Index(data, []byte(`"b": "<&>"`)) {
		t.Errorf("tags are HTML-escaped or unsorted:\n%s", data)
	}
	got, err := Read(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, m) {
		t.Errorf("read back %+v, want %+v", got, m)
	}
}

func TestReadRefuses(t *testing.T) {
	tests := map[string]struct {
		data, want string
	}{
		"another version":  {`{"version": 2, "stacks": []}`, "has version 2; this cicdgen reads version 1"},
		"an unknown field": {`{"version": 1, "stacks": [], "extra": true}`, "unknown field"},
		"not JSON":         {`version: 1`, "decode manifest.json"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Read([]byte(tc.data))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestFileNames(t *testing.T) {
	tests := map[string]struct{ got, want string }{
		"a JSON template":            {TemplateFile("s", FormatJSON), "s.json"},
		"the default format is JSON": {TemplateFile("s", ""), "s.json"},
		"a YAML template":            {TemplateFile("s", FormatYAML), "s.yaml"},
		"a template configuration":   {ConfigFile("s"), "s.config.json"},
	}
	for name, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s: got %q, want %q", name, tc.got, tc.want)
		}
	}
	for _, f := range []string{"", FormatJSON, FormatYAML} {
		if _, err := CheckFormat(f); err != nil {
			t.Errorf("CheckFormat(%q): %v", f, err)
		}
	}
	if _, err := CheckFormat("toml"); err == nil || !strings.Contains(err.Error(), "use json or yaml") {
		t.Errorf("CheckFormat(toml) = %v", err)
	}
}

func TestWriteRefusesAForeignDirectory(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := (&Output{Files: map[string][]byte{File: []byte("{}\n")}}).Write(dir)
	if err == nil || !strings.Contains(err.Error(), "not a cicdgen build output") {
		t.Fatalf("got %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "main.go")); err != nil {
		t.Errorf("the directory changed: %v", err)
	}
}

func TestWriteReusesUnchangedFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	first := map[string][]byte{File: []byte("{}\n"), "same.json": []byte(`{"a":1}`), "changed.json": []byte(`{"b":1}`), "edited.json": []byte(`{"c":1}`)}
	if err := writeDirAtomic(dir, first); err != nil {
		t.Fatal(err)
	}
	stat := func(name string) os.FileInfo {
		t.Helper()
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return fi
	}
	before := map[string]os.FileInfo{}
	for name := range first {
		before[name] = stat(name)
	}
	// Someone edits an output file in place; its bytes then differ from the
	// build's, even though the build's did not change.
	if err := os.WriteFile(filepath.Join(dir, "edited.json"), []byte(`{"c":2}`), 0o644); err != nil {
		t.Fatal(err)
	}
	before["edited.json"] = stat("edited.json")

	second := map[string][]byte{File: []byte("{}\n"), "same.json": []byte(`{"a":1}`), "changed.json": []byte(`{"b":2}`), "edited.json": []byte(`{"c":1}`), "new.json": []byte(`{}`)}
	if err := writeDirAtomic(dir, second); err != nil {
		t.Fatal(err)
	}
	for name, data := range second {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("%s holds %q (%v), want %q", name, got, err, data)
		}
	}
	cases := map[string]bool{File: true, "same.json": true, "changed.json": false, "edited.json": false}
	for name, wantSame := range cases {
		if same := os.SameFile(before[name], stat(name)); same != wantSame {
			t.Errorf("%s: reused the previous file = %v, want %v", name, same, wantSame)
		}
	}
}

func TestWireBody(t *testing.T) {
	tests := map[string]struct{ body, want string }{
		"an indented JSON template loses its whitespace only": {
			body: "{\n  \"Resources\": {\n    \"T\": {\n      \"Type\": \"AWS::SNS::Topic\"\n    }\n  },\n  \"Description\": \"a b\"\n}\n",
			want: `{"Resources":{"T":{"Type":"AWS::SNS::Topic"}},"Description":"a b"}`,
		},
		"a YAML template is sent as it is": {
			body: "Resources:\n  T:\n    Type: AWS::SNS::Topic\n",
			want: "Resources:\n  T:\n    Type: AWS::SNS::Topic\n",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := string(WireBody([]byte(tc.body))); got != tc.want {
				t.Errorf("WireBody = %q, want %q", got, tc.want)
			}
		})
	}
}
