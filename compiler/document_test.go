package compiler

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/awslabs/goformation/v7/cloudformation"
	"github.com/awslabs/goformation/v7/cloudformation/ecs"

	"github.com/cicdgen/cicdgen/compiler/cfn"
	"github.com/cicdgen/cicdgen/compiler/cfnx"
)

// documentViaJSON is what templateDocument must return: v encoded by
// encoding/json (resources through their own MarshalJSON), decoded by
// encoding/json with numbers kept as written, intrinsic functions expanded.
// It shares no code with the builder but cfn.DecodeIntrinsic.
func documentViaJSON(t *testing.T, v any) any {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("encoding/json: %v", err)
	}
	return expandedViaJSON(t, raw)
}

// expandedViaJSON decodes raw with encoding/json and replaces each string
// that stands for an intrinsic function by the function's object, decoded
// the same way.
func expandedViaJSON(t *testing.T, raw []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	var expand func(any) any
	expand = func(v any) any {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				v[k] = expand(x)
			}
		case []any:
			for i, x := range v {
				v[i] = expand(x)
			}
		case string:
			if fn, ok := cfn.DecodeIntrinsic(v); ok {
				return expandedViaJSON(t, []byte(fn))
			}
		}
		return v
	}
	return expand(doc)
}

// sameDocument fails t with the first difference between got and want.
func sameDocument(t *testing.T, what string, got, want any) {
	t.Helper()
	if reflect.DeepEqual(got, want) {
		return
	}
	g, _ := canonicalJSON(got)
	w, _ := canonicalJSON(want)
	t.Errorf("%s: templateDocument differs from encoding/json\n got: %s\nwant: %s", what, diffWindow(g, w), diffWindow(w, g))
}

// diffWindow returns a window of a around its first byte that differs from b.
func diffWindow(a, b []byte) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	lo, hi := max(0, i-120), min(len(a), i+120)
	return fmt.Sprintf("…%s…", a[lo:hi])
}

// TestTemplateDocumentOfTheGoldenSystems holds templateDocument to
// encoding/json over every template the golden systems build.
func TestTemplateDocumentOfTheGoldenSystems(t *testing.T) {
	for name, s := range goldenStacks(t) {
		got, err := templateDocument(s.Template)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		sameDocument(t, name, any(got), documentViaJSON(t, s.Template))
	}
}

// TestTemplateDocumentOfEveryResourceType fills every resource type
// goformation generates, and cfnx's, with random values, three times each,
// and holds templateDocument to encoding/json on each.
func TestTemplateDocumentOfEveryResourceType(t *testing.T) {
	resources := cloudformation.AllResources()
	resources["AWS::ECS::Service (cfnx)"] = &cfnx.ECSService{}
	resources["AWS::ECS::TaskDefinition (cfnx)"] = &cfnx.ECSTaskDefinition{}
	names := make([]string, 0, len(resources))
	for name := range resources {
		names = append(names, name)
	}
	sort.Strings(names)
	if len(names) < 1000 {
		t.Fatalf("goformation lists %d resource types, expected over 1,000", len(names))
	}
	for i, name := range names {
		typ := reflect.TypeOf(resources[name]).Elem()
		for seed := int64(0); seed < 3; seed++ {
			f := valueFiller{rand: rand.New(rand.NewSource(int64(i)*3 + seed))}
			r := reflect.New(typ)
			f.fill(r.Elem(), 0)
			tpl := cfn.NewTemplate()
			tpl.Resources["R"] = r.Interface().(cfn.Resource)
			got, err := templateDocument(tpl)
			if err != nil {
				t.Fatalf("%s (seed %d): %v", name, seed, err)
			}
			sameDocument(t, fmt.Sprintf("%s (seed %d)", name, seed), any(got), documentViaJSON(t, tpl))
		}
	}
}

// TestTemplateDocumentOfEdgeValues covers what the random values may miss.
func TestTemplateDocumentOfEdgeValues(t *testing.T) {
	type embedded struct {
		Shadowed string `json:"Name"`
		Promoted string
	}
	type withEmbedded struct {
		embedded
		Name string `json:"Name"` // hides the embedded field of the same name
	}
	type twice struct {
		A struct{ X string }
		embedded
		*ecs.Service_DeploymentController
	}
	type untaggedX struct{ X, Y string }
	type taggedX struct {
		X string `json:"X"`
	}
	type alsoUntaggedX struct{ X string }
	type tagWins struct {
		untaggedX
		taggedX
	}
	type clash struct {
		untaggedX
		alsoUntaggedX
	}
	// Two fields tagged with one name, built at run time (go vet rightly
	// refuses such a struct in the source).
	twoTagged := reflect.New(reflect.StructOf([]reflect.StructField{
		{Name: "A", Type: reflect.TypeFor[string](), Tag: `json:"X"`},
		{Name: "B", Type: reflect.TypeFor[string](), Tag: `json:"X"`},
	})).Elem()
	twoTagged.Field(0).SetString("a")
	twoTagged.Field(1).SetString("b")
	type taggedBeatsNamed struct {
		Y string `json:"X"`
		X string
	}
	type withString struct {
		N int `json:",string"`
		F addrMarshaler
	}
	type withOmitZero struct {
		T any            `json:",omitzero"`
		P *addrMarshaler `json:",omitzero"`
		Z time.Time      `json:",omitzero"`
	}
	deep := &chain{}
	for i := 0; i < 1500; i++ {
		deep = &chain{Next: deep}
	}
	floats := []float64{0, -0.0, 0.1, 1e20, 1e21, 1e-6, 1e-7, -3.5e-9, 123456789.125}
	tests := map[string]any{
		"floats":                floats,
		"a nil pointer":         (*string)(nil),
		"an empty struct":       struct{}{},
		"omitted empty values":  struct{ A, B string }{"", "b"},
		"embedded and shadowed": withEmbedded{embedded{"hidden", "p"}, "shown"},
		"a nil embedded pointer and a named struct":          twice{A: struct{ X string }{"x"}},
		"a tagged field wins a tie":                          tagWins{untaggedX{"untagged", "y"}, taggedX{"tagged"}},
		"untagged fields of one name clash":                  clash{untaggedX{"a", "y"}, alsoUntaggedX{"b"}},
		"two tagged fields of one name clash":                twoTagged.Interface(),
		"a tagged field beats a field named so":              taggedBeatsNamed{"y", "x"},
		"a json.Number is a number":                          map[string]any{"n": json.Number("5"), "e": json.Number("1e3")},
		"a nil slice with MarshalJSON marshals":              struct{ L alwaysList }{},
		"pointer-receiver MarshalJSON in an array":           &struct{ A [2]addrMarshaler }{},
		"pointer-receiver MarshalJSON beside ,string":        &withString{N: 3},
		"omitzero asks the static type":                      withOmitZero{T: time.Time{}, P: nil},
		"colliding keys that are not UTF-8":                  map[string]string{"a\xffb": "1", "a\xfeb": "2", "a\ufffdb": "3"},
		"a deep value that is no cycle":                      deep,
		"bytes become base64":                                []byte("hello"),
		"integer map keys":                                   map[int]string{2: "b", 1: "a"},
		"invalid UTF-8 in keys and values":                   map[string]string{"a\xffb": "c\xfe\xfd"},
		"a base64 string stays a string":                     "eyJSZWYiOiJYIn0=",
		"intrinsics inside intrinsics":                       cfn.Join("", []string{cfn.Ref("A"), cfn.If("C", cfn.Sub("${B}"), "x")}),
		"cfnx integers":                                      []*cfnx.Integer{cfnx.Int(3), cfnx.IntIf("C", 1, 2), nil},
		"a resource attribute set":                           &ecs.Cluster{AWSCloudFormationDependsOn: []string{"A"}, AWSCloudFormationCondition: "C", AWSCloudFormationMetadata: map[string]any{"k": cfn.Ref("X")}},
		"a custom resource goes through its own MarshalJSON": &cloudformation.CustomResource{Type: "Custom::X", Properties: map[string]any{"A": 1}},
	}
	for name, v := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := newDocumentBuilder().value(reflect.ValueOf(v))
			if err != nil {
				t.Fatal(err)
			}
			sameDocument(t, name, got, documentViaJSON(t, v))
		})
	}
}

// chain is a linked list, deep or cyclic.
type chain struct{ Next *chain }

// addrMarshaler marshals as "m" through a pointer only.
type addrMarshaler struct{ N int }

func (*addrMarshaler) MarshalJSON() ([]byte, error) { return []byte(`"m"`), nil }

// alwaysList marshals as "always", nil or not.
type alwaysList []string

func (alwaysList) MarshalJSON() ([]byte, error) { return []byte(`"always"`), nil }

func TestTemplateDocumentRefusesWhatJSONCannotHold(t *testing.T) {
	cycle := &chain{}
	cycle.Next = cycle
	for name, v := range map[string]any{
		"a channel": make(chan int),
		"NaN":       []float64{0, nanValue()},
		"a cycle":   cycle,
	} {
		if _, err := newDocumentBuilder().value(reflect.ValueOf(v)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func nanValue() float64 {
	zero := 0.0
	return zero / zero
}

// valueFiller fills Go values with random content, as a resource's
// builder might: pointers set or nil, empty and nil slices and maps,
// strings with escapes, invalid UTF-8 and intrinsic functions.
type valueFiller struct {
	rand *rand.Rand
}

var fillerStrings = []string{
	"", "web", "é€😀", `a"b\c`, "<&>", "line\nbreak\u2028", "a\xffb",
	"eyJSZWYiOiJYIn0=", // goformation's encoding of {"Ref":"X"}: a literal string here
	cfn.Ref("Bucket"), cfn.Sub("${AWS::StackName}-x"), cfn.GetAtt("Vpc", "CidrBlock"),
	cfn.Join(",", []string{cfn.Ref("A"), "b"}), cfn.Select(1, cfn.GetAZs("")),
}

func (f *valueFiller) fill(v reflect.Value, depth int) {
	r := f.rand
	switch v.Kind() {
	case reflect.Pointer:
		if depth > 6 || r.Intn(3) == 0 {
			return
		}
		p := reflect.New(v.Type().Elem())
		f.fill(p.Elem(), depth+1)
		v.Set(p)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if fv := v.Field(i); fv.CanSet() && r.Intn(3) != 0 {
				f.fill(fv, depth+1)
			}
		}
	case reflect.String:
		v.SetString(fillerStrings[r.Intn(len(fillerStrings))])
	case reflect.Bool:
		v.SetBool(r.Intn(2) == 0)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(r.Intn(200) - 50))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(r.Intn(200)))
	case reflect.Float32, reflect.Float64:
		v.SetFloat([]float64{0, 0.5, -1.25, 3, 1e21, 1e-7, 123456789}[r.Intn(7)])
	case reflect.Slice:
		if depth > 6 || r.Intn(4) == 0 {
			return
		}
		n := r.Intn(3)
		s := reflect.MakeSlice(v.Type(), n, n)
		for i := 0; i < n; i++ {
			f.fill(s.Index(i), depth+1)
		}
		v.Set(s)
	case reflect.Map:
		if depth > 6 || r.Intn(4) == 0 || v.Type().Key().Kind() != reflect.String {
			return
		}
		m := reflect.MakeMap(v.Type())
		for i := r.Intn(3); i > 0; i-- {
			x := reflect.New(v.Type().Elem()).Elem()
			f.fill(x, depth+1)
			m.SetMapIndex(reflect.ValueOf(fillerStrings[r.Intn(len(fillerStrings))]).Convert(v.Type().Key()), x)
		}
		v.Set(m)
	case reflect.Interface:
		if v.NumMethod() == 0 {
			if g := f.generic(depth); g != nil {
				v.Set(reflect.ValueOf(g))
			}
		}
	}
}

// generic returns a random value of the kinds a policy document holds.
func (f *valueFiller) generic(depth int) any {
	r := f.rand
	switch n := r.Intn(8); {
	case n == 0 && depth < 6:
		m := map[string]any{}
		for i := r.Intn(3); i > 0; i-- {
			m[fillerStrings[r.Intn(len(fillerStrings))]] = f.generic(depth + 1)
		}
		return m
	case n == 1 && depth < 6:
		l := []any{}
		for i := r.Intn(3); i > 0; i-- {
			l = append(l, f.generic(depth+1))
		}
		return l
	case n == 2:
		return r.Intn(100)
	case n == 3:
		return 2.5
	case n == 4:
		return true
	case n == 5:
		return nil
	default:
		return fillerStrings[r.Intn(len(fillerStrings))]
	}
}
