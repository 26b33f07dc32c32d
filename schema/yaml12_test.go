package schema

import (
	"encoding/json"
	"strings"
	"testing"
)

// readYAML reads src with the loader's YAML reader, without the schema.
func readYAML(t *testing.T, src string) (any, *yamlReader) {
	t.Helper()
	r := newYAMLReader("t.yaml", []byte(src), NewDocument("t.yaml", []byte(src)), DefaultLimits())
	v, ok := r.read()
	if !ok || r.diags.HasErrors() {
		t.Fatalf("read failed: %v", r.diags)
	}
	return v, r
}

// TestYAML12 checks the reading of YAML 1.2 where the parser alone gets it
// wrong, with inputs derived from the examples of the YAML 1.2.2
// specification (https://yaml.org/spec/1.2.2/) and the yaml-test-suite
// cases that exercise them. Each case gives the value as JSON and, for some
// paths, the line:column the value starts at.
func TestYAML12(t *testing.T) {
	cases := map[string]struct {
		src  string
		want string
		at   map[string]string
	}{
		"plain scalars holding colons inside a flow sequence inside a flow mapping are strings (example 7.10)": {
			src:  "roles: {deny: [iam:CreateUser, arn:aws:iam::123456789012:role/x, http://example.com/foo#bar]}\n",
			want: `{"roles":{"deny":["iam:CreateUser","arn:aws:iam::123456789012:role/x","http://example.com/foo#bar"]}}`,
			at:   map[string]string{"$.roles.deny[0]": "1:16", "$.roles.deny[1]": "1:32"},
		},
		"a colon followed by a space in a flow sequence still makes a single pair (example 7.21)": {
			src:  "a: {b: [c: d, \"e\":f]}\n",
			want: `{"a":{"b":[{"c":"d"},{"e":"f"}]}}`,
		},
		"plain scalars with colons in a top-level flow sequence are strings": {
			src:  "deny: [ec2:TerminateInstances, iam:CreateUser]\n",
			want: `{"deny":["ec2:TerminateInstances","iam:CreateUser"]}`,
		},
		"a %YAML directive and --- open one document (examples 6.14, 9.2)": {
			src:  "%YAML 1.2\n---\nname: shop\n...\n",
			want: `{"name":"shop"}`,
			at:   map[string]string{"$.name": "3:7"},
		},
		"a %TAG directive for the core prefix and a comment after it (examples 6.16, 6.18)": {
			src:  "%TAG !! tag:yaml.org,2002: # the default\n--- !!map\nname: !!str shop\n",
			want: `{"name":"shop"}`,
		},
		"explicit core tags decide the type (examples 2.23, 10.1-10.7)": {
			src: "id: !!str 148259637048\nb: !!bool \"true\"\ni: !!int \"1\"\nn: !!null \"\"\nf: !!float \"1.5\"\n" +
				"s: !!str true\no: !!int 0o17\nx: !!int 0x1F\ne: !!float 1\n",
			want: `{"b":true,"e":1,"f":1.5,"i":1,"id":"148259637048","n":null,"o":15,"s":"true","x":31}`,
			at:   map[string]string{"$.id": "1:11", "$.b": "2:11", "$.i": "3:10", "$.o": "7:10"},
		},
		"numbers are read by YAML 1.2's core schema, not YAML 1.1's (example 10.9)": {
			src:  "a: [010, 0777, 0b101, 1_000, 1e3, +12e03, 0o17, 12:30]\n",
			want: `{"a":[10,777,"0b101","1_000",1000,12000,15,"12:30"]}`,
		},
		"a verbatim tag is the same as its shorthand (example 6.24)": {
			src:  "a: !<tag:yaml.org,2002:str> 5\n",
			want: `{"a":"5"}`,
		},
		"tags shift no later value on their line": {
			src:  "l: [!!str 1, !!int \"2\", three]\n",
			want: `{"l":["1",2,"three"]}`,
			at:   map[string]string{"$.l[0]": "1:11", "$.l[1]": "1:20", "$.l[2]": "1:25"},
		},
		"an anchor on a tagged value names the typed value": {
			src:  "a: !!str &x 42\nb: *x\n",
			want: `{"a":"42","b":"42"}`,
		},
		"the core schema resolves untagged scalars (example 10.9)": {
			src: "A null: null\nAlso a null:\nNot a null: \"\"\nBooleans: [ true, True, false, FALSE ]\n" +
				"Integers: [ 0, 0o7, 0x3A, -19 ]\nFloats: [ 0., -0.0, .5, +12e03, -2E+05 ]\n",
			want: `{"A null":null,"Also a null":null,"Booleans":[true,true,false,false],"Floats":[0,-0,0.5,12000,-200000],"Integers":[0,7,58,-19],"Not a null":""}`,
		},
		"merge keys fill what a mapping does not set": {
			src:  "base: &b {cpu: 256, memory: 512}\nsvc:\n  <<: *b\n  cpu: 512\n",
			want: `{"base":{"cpu":256,"memory":512},"svc":{"cpu":512,"memory":512}}`,
		},
		"CRLF line breaks are line breaks (example 5.11)": {
			src:  "name: shop\r\nsuffix: dev\r\n",
			want: `{"name":"shop","suffix":"dev"}`,
			at:   map[string]string{"$.suffix": "2:9"},
		},
		"JSON is YAML": {
			src:  `{"name": "shop", "tags": {"a": "1"}, "list": [1, 2]}`,
			want: `{"list":[1,2],"name":"shop","tags":{"a":"1"}}`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			v, r := readYAML(t, tc.src)
			got, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
			for path, want := range tc.at {
				rng := r.doc.Range(path)
				if at := strings.TrimPrefix(rng.String(), "t.yaml:"); at != want {
					t.Errorf("%s at %s, want %s", path, at, want)
				}
			}
		})
	}
}
