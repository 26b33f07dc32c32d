package compiler

import (
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cicdgen/cicdgen/compiler/cfn"
)

// templateDocument returns the JSON document of t as generic values
// (map[string]any, []any, string, json.Number, bool, nil), with the strings
// that stand for intrinsic functions (cfn.Ref, cfn.Sub, ...) expanded into
// their objects.
//
// The document is what encoding/json would write for t, decoded again with
// UseNumber, but built straight from the Go values: encoding/json first
// builds an encoder for every type reachable from goformation's resource
// structs, set or not, which was most of the time of a build. The
// differential tests in document_test.go hold the two to the same result,
// over the golden systems' templates and over every resource type
// goformation generates. Values encoding/json would write with a
// MarshalJSON or MarshalText method (other than the generated resources'
// own) still go through encoding/json.
func templateDocument(t *cfn.Template) (map[string]any, error) {
	return newDocumentBuilder().template(t)
}

// template is templateDocument with c's caches.
func (c *documentBuilder) template(t *cfn.Template) (map[string]any, error) {
	if t == nil {
		return nil, fmt.Errorf("the builder returned no template")
	}
	v, err := c.value(reflect.ValueOf(t))
	if err != nil {
		return nil, err
	}
	doc, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("the template is not a JSON object")
	}
	return doc, nil
}

// documentBuilder converts Go values into JSON documents; it caches the
// JSON fields of the struct types it meets.
type documentBuilder struct {
	structs   map[reflect.Type]*structFields
	resources map[reflect.Type]*resourceLayout
	encodings map[reflect.Type]typeEncoding
	// nesting counts the pointers, maps and slices being walked, and seen
	// holds them once nesting passes startDetectingCycles.
	nesting int
	seen    map[reference]bool
}

// newDocumentBuilder returns a builder with empty caches. A builder is not
// safe for concurrent use.
func newDocumentBuilder() *documentBuilder {
	return &documentBuilder{
		structs:   map[reflect.Type]*structFields{},
		resources: map[reflect.Type]*resourceLayout{},
		encodings: map[reflect.Type]typeEncoding{},
	}
}

// startDetectingCycles is the nesting of pointers, maps and slices after
// which the builder looks for cycles, as encoding/json does.
const startDetectingCycles = 1000

var (
	marshalerType     = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
	resourceType      = reflect.TypeFor[cfn.Resource]()
	numberType        = reflect.TypeFor[json.Number]()
)

// reference identifies a pointer, map or slice, to find cycles.
type reference struct {
	ptr uintptr
	len int
}

// value returns the document of v.
func (c *documentBuilder) value(v reflect.Value) (any, error) {
	if !v.IsValid() {
		return nil, nil
	}
	switch v.Kind() {
	case reflect.Interface:
		if v.IsNil() {
			return nil, nil
		}
		return c.value(v.Elem())
	case reflect.Pointer:
		if v.IsNil() {
			return nil, nil
		}
		fallthrough
	case reflect.Map, reflect.Slice:
		if v.IsNil() {
			break
		}
		c.nesting++
		defer func() { c.nesting-- }()
		if c.nesting > startDetectingCycles {
			ref := reference{ptr: v.Pointer()}
			if v.Kind() == reflect.Slice {
				ref.len = v.Len()
			}
			if c.seen[ref] {
				return nil, fmt.Errorf("cannot encode a value of type %s: it contains itself", v.Type())
			}
			if c.seen == nil {
				c.seen = map[reference]bool{}
			}
			c.seen[ref] = true
			defer delete(c.seen, ref)
		}
	}
	return c.nonInterface(v)
}

// nonInterface returns the document of v, which is not an interface value
// and not a nil pointer.
func (c *documentBuilder) nonInterface(v reflect.Value) (any, error) {
	t := v.Type()
	var enc typeEncoding
	if hasMethods(t) {
		enc = c.encoding(t)
	}
	switch {
	case enc.resource != nil:
		return c.resource(v, enc.resource)
	case enc.marshals:
		return c.viaJSON(v)
	case enc.addrMarshals && v.CanAddr():
		return c.viaJSON(v.Addr())
	}
	switch t.Kind() {
	case reflect.Pointer:
		return c.value(v.Elem())
	case reflect.String:
		return stringDocument(v.String())
	case reflect.Bool:
		return v.Bool(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return json.Number(strconv.FormatInt(v.Int(), 10)), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return json.Number(strconv.FormatUint(v.Uint(), 10)), nil
	case reflect.Float32, reflect.Float64:
		return c.viaJSON(v)
	case reflect.Struct:
		fields := c.fields(t)
		if fields.viaJSON {
			return c.viaJSON(v)
		}
		return c.object(v, fields)
	case reflect.Map:
		if v.IsNil() {
			return nil, nil
		}
		if t.Key().Kind() != reflect.String {
			return c.viaJSON(v)
		}
		return c.mapObject(v)
	case reflect.Slice, reflect.Array:
		if t.Kind() == reflect.Slice && v.IsNil() {
			return nil, nil
		}
		if t.Elem().Kind() == reflect.Uint8 {
			return c.viaJSON(v) // base64, as encoding/json writes []byte
		}
		l := make([]any, v.Len())
		for i := range l {
			x, err := c.value(v.Index(i))
			if err != nil {
				return nil, err
			}
			l[i] = x
		}
		return l, nil
	}
	return nil, fmt.Errorf("cannot encode a value of type %s", t)
}

// mapObject returns the JSON object of the map v, whose keys are strings.
// Keys that are not UTF-8 have their bad bytes replaced; when that makes
// two keys one, the value of the greater key as written wins, as in the
// object encoding/json writes (it sorts the keys as written, and the last
// of duplicate keys is the one read).
func (c *documentBuilder) mapObject(v reflect.Value) (map[string]any, error) {
	m := make(map[string]any, v.Len())
	var replaced []string // keys that are not UTF-8
	for it := v.MapRange(); it.Next(); {
		k := it.Key().String()
		if !utf8.ValidString(k) {
			replaced = append(replaced, k)
			continue
		}
		x, err := c.value(it.Value())
		if err != nil {
			return nil, err
		}
		m[k] = x
	}
	if len(replaced) == 0 {
		return m, nil
	}
	raw := make(map[string]string, len(replaced)) // key in m -> key as written
	for k := range m {
		raw[k] = k
	}
	for _, k := range replaced {
		key := validUTF8(k)
		if prev, ok := raw[key]; ok && prev > k {
			continue
		}
		x, err := c.value(v.MapIndex(reflect.ValueOf(k).Convert(v.Type().Key())))
		if err != nil {
			return nil, err
		}
		m[key], raw[key] = x, k
	}
	return m, nil
}

// hasMethods reports whether t or *t may have methods: false for the
// predeclared types (string, int, ...) and for unnamed types other than
// structs, which cannot have any, and so no MarshalJSON.
func hasMethods(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Struct, reflect.Interface:
		return true
	case reflect.Pointer:
		return t.Name() != "" || hasMethods(t.Elem())
	}
	return t.Name() != "" && t.PkgPath() != ""
}

// typeEncoding is how values of a type become documents, when not by
// their kind.
type typeEncoding struct {
	resource     *resourceLayout // a generated resource type
	marshals     bool            // the type has MarshalJSON or MarshalText
	addrMarshals bool            // its pointer type has
}

// encoding returns how values of type t become documents.
func (c *documentBuilder) encoding(t reflect.Type) typeEncoding {
	if e, ok := c.encodings[t]; ok {
		return e
	}
	var e typeEncoding
	if t.Implements(resourceType) {
		e.resource = c.resourceLayout(t)
	}
	// json.Number writes itself as a number; encoding/json checks it.
	e.marshals = t == numberType || t.Implements(marshalerType) || t.Implements(textMarshalerType)
	if pt := reflect.PointerTo(t); !e.marshals {
		e.addrMarshals = pt.Implements(marshalerType) || pt.Implements(textMarshalerType)
	}
	c.encodings[t] = e
	return e
}

// stringDocument returns the document of s: the object of the intrinsic
// function it stands for, else s with bytes that are not UTF-8 replaced.
func stringDocument(s string) (any, error) {
	raw, ok := cfn.DecodeIntrinsic(s)
	if !ok {
		return validUTF8(s), nil
	}
	v, err := decodeJSON([]byte(raw))
	if err != nil {
		return nil, fmt.Errorf("intrinsic function %q: %w", raw, err)
	}
	return expandIntrinsics(v)
}

// expandIntrinsics replaces, in a decoded JSON value, every string that
// stands for an intrinsic function by the function's object.
func expandIntrinsics(v any) (any, error) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			y, err := expandIntrinsics(x)
			if err != nil {
				return nil, err
			}
			v[k] = y
		}
	case []any:
		for i, x := range v {
			y, err := expandIntrinsics(x)
			if err != nil {
				return nil, err
			}
			v[i] = y
		}
	case string:
		if _, ok := cfn.DecodeIntrinsic(v); ok {
			return stringDocument(v)
		}
	}
	return v, nil
}

// viaJSON returns the document of v through encoding/json, for the values
// that have their own JSON or text encoding.
func (c *documentBuilder) viaJSON(v reflect.Value) (any, error) {
	if !v.CanInterface() {
		return nil, fmt.Errorf("cannot encode an unexported value of type %s", v.Type())
	}
	if v.CanAddr() {
		// Through a pointer, the value stays addressable to encoding/json,
		// whose pointer-receiver MarshalJSON methods then run, as they do
		// when it meets the value where this builder did.
		v = v.Addr()
	}
	raw, err := json.Marshal(v.Interface())
	if err != nil {
		return nil, err
	}
	doc, err := decodeJSON(raw)
	if err != nil {
		return nil, err
	}
	return expandIntrinsics(doc)
}

// validUTF8 returns s with every byte that is not part of a UTF-8 sequence
// replaced by U+FFFD, as encoding/json writes strings.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// structFields are the JSON fields of a struct type, in encoding/json's
// order, after its rules for embedded structs.
type structFields struct {
	list []structField
	// viaJSON is set when a field needs what this builder does not do
	// (the ",string" option): the struct then goes through encoding/json.
	viaJSON bool
}

type structField struct {
	name      string
	index     []int
	tagged    bool
	omitEmpty bool
}

// object returns the JSON object of the struct v.
func (c *documentBuilder) object(v reflect.Value, fields *structFields) (map[string]any, error) {
	// Most fields of goformation's structs are unset: find the set ones
	// first, to size the map for them alone.
	set := make([]reflect.Value, len(fields.list))
	n := 0
	for i, f := range fields.list {
		fv, ok := fieldByIndex(v, f.index)
		if !ok {
			continue // in a nil embedded pointer
		}
		if f.omitEmpty && isEmptyValue(fv) {
			continue
		}
		set[i] = fv
		n++
	}
	m := make(map[string]any, n)
	for i, fv := range set {
		if !fv.IsValid() {
			continue
		}
		x, err := c.value(fv)
		if err != nil {
			return nil, err
		}
		m[fields.list[i].name] = x
	}
	return m, nil
}

// fieldByIndex returns the field of v at index, and false when that passes
// through a nil embedded pointer.
func fieldByIndex(v reflect.Value, index []int) (reflect.Value, bool) {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return reflect.Value{}, false
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v, true
}

// isEmptyValue is encoding/json's test for omitempty.
func isEmptyValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

// fields returns the JSON fields of the struct type t, following
// encoding/json: exported fields, named by their tag, and the fields of
// untagged embedded structs promoted unless a shallower or tagged field of
// the same name hides them, or two fields at one depth clash.
func (c *documentBuilder) fields(t reflect.Type) *structFields {
	if f, ok := c.structs[t]; ok {
		return f
	}
	result := plainFields(t)
	if result == nil {
		result = embeddingFields(t)
	}
	c.structs[t] = result
	return result
}

// plainFields returns the JSON fields of the struct type t when it embeds
// no struct and no two of its fields have one name (the common case, with
// no name to resolve), else nil.
func plainFields(t reflect.Type) *structFields {
	result := &structFields{list: make([]structField, 0, t.NumField())}
	names := make(map[string]struct{}, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if sf.Anonymous {
			return nil
		}
		if !sf.IsExported() {
			continue
		}
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		f := structField{name: name, index: []int{i}, tagged: true}
		if !validTagName(name) {
			f.name, f.tagged = sf.Name, false
		}
		result.addOptions(&f, opts)
		if _, dup := names[f.name]; dup {
			return nil // two fields of one name: embeddingFields decides
		}
		names[f.name] = struct{}{}
		result.list = append(result.list, f)
	}
	return result
}

// addOptions sets f's options from a json tag's options.
func (fs *structFields) addOptions(f *structField, opts string) {
	for opts != "" {
		var o string
		o, opts, _ = strings.Cut(opts, ",")
		switch o {
		case "omitempty":
			f.omitEmpty = true
		case "omitzero", "string":
			// encoding/json's omitzero asks the field's static type for
			// IsZero; neither it nor ",string" is needed by the types the
			// builders use, so a struct with either goes through
			// encoding/json.
			fs.viaJSON = true
		}
	}
}

// embeddingFields returns the JSON fields of the struct type t, which
// embeds structs.
func embeddingFields(t reflect.Type) *structFields {
	type queued struct {
		typ   reflect.Type
		index []int
	}
	result := &structFields{}
	byName := map[string][]structField{}
	var order []string
	add := func(f structField) {
		if _, ok := byName[f.name]; !ok {
			order = append(order, f.name)
		}
		byName[f.name] = append(byName[f.name], f)
	}
	var current, next []queued
	next = []queued{{typ: t}}
	var count, nextCount map[reflect.Type]int
	visited := map[reflect.Type]bool{}
	for len(next) > 0 {
		current, next = next, nil
		count, nextCount = nextCount, map[reflect.Type]int{}
		for _, q := range current {
			if visited[q.typ] {
				continue
			}
			visited[q.typ] = true
			for i := 0; i < q.typ.NumField(); i++ {
				sf := q.typ.Field(i)
				ft := sf.Type
				if sf.Anonymous {
					if ft.Kind() == reflect.Pointer {
						ft = ft.Elem()
					}
					if !sf.IsExported() && ft.Kind() != reflect.Struct {
						continue
					}
				} else if !sf.IsExported() {
					continue
				}
				tag := sf.Tag.Get("json")
				if tag == "-" {
					continue
				}
				name, opts, _ := strings.Cut(tag, ",")
				if !validTagName(name) {
					name = ""
				}
				index := append(append([]int(nil), q.index...), i)
				if name == "" && sf.Anonymous && ft.Kind() == reflect.Struct {
					// An untagged embedded struct: its fields are
					// promoted, explored at the next depth.
					nextCount[ft]++
					if nextCount[ft] == 1 {
						next = append(next, queued{typ: ft, index: index})
					}
					continue
				}
				f := structField{name: name, index: index, tagged: name != ""}
				if f.name == "" {
					f.name = sf.Name
				}
				result.addOptions(&f, opts)
				add(f)
				if count[q.typ] > 1 {
					// The struct is embedded more than once at this depth:
					// its fields clash with themselves.
					add(f)
				}
			}
		}
	}
	for _, name := range order {
		if f, ok := dominantField(byName[name]); ok {
			result.list = append(result.list, f)
		}
	}
	return result
}

// dominantField returns the field that encoding/json keeps among fields of
// one name.
func dominantField(fs []structField) (structField, bool) {
	depth := len(fs[0].index)
	var top []structField
	for _, f := range fs {
		switch {
		case len(f.index) < depth:
			depth, top = len(f.index), []structField{f}
		case len(f.index) == depth:
			top = append(top, f)
		}
	}
	if len(top) == 1 {
		return top[0], true
	}
	var tagged []structField
	for _, f := range top {
		if f.tagged {
			tagged = append(tagged, f)
		}
	}
	if len(tagged) == 1 {
		return tagged[0], true
	}
	return structField{}, false
}

// validTagName is encoding/json's test of a name in a json tag.
func validTagName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		switch {
		case strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c):
		case !unicode.IsLetter(c) && !unicode.IsDigit(c):
			return false
		}
	}
	return true
}

// generatedAttributes are the resource attributes goformation's generated
// types (and cfnx's) hold in AWSCloudFormation<attribute> fields, which
// their MarshalJSON writes beside Type and Properties, each omitted when
// empty.
var generatedAttributes = []string{"DependsOn", "Metadata", "DeletionPolicy", "UpdateReplacePolicy", "Condition", "UpdatePolicy", "CreationPolicy"}

// generatedResourcePackages are the packages whose resource types marshal
// as goformation generates them; resources of other packages (goformation's
// CustomResource among them) go through encoding/json.
func generatedResourcePackage(path string) bool {
	const goformation = "github.com/awslabs/goformation/v7/cloudformation/"
	return strings.HasPrefix(path, goformation) && !strings.Contains(path[len(goformation):], "/") ||
		path == "github.com/cicdgen/cicdgen/compiler/cfnx"
}

// resourceLayout is how a resource type marshals: its properties, and
// where its attributes are.
type resourceLayout struct {
	properties *structFields
	attributes []resourceAttribute
}

type resourceAttribute struct {
	name  string // DependsOn, ...
	index []int  // of the field AWSCloudFormation<name>
}

// resourceLayout returns the layout of the resource type t (a pointer to a
// struct whose MarshalJSON writes {"Type", "Properties", attributes}), or
// nil when t is not such a type.
func (c *documentBuilder) resourceLayout(t reflect.Type) *resourceLayout {
	if l, ok := c.resources[t]; ok {
		return l
	}
	var l *resourceLayout
	if t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct {
		s := t.Elem()
		_, ok := s.FieldByName("AWSCloudFormationDeletionPolicy")
		// Property types have the method and the fields, not a MarshalJSON.
		if ok && s.Implements(marshalerType) && generatedResourcePackage(s.PkgPath()) {
			if props := c.fields(s); !props.viaJSON {
				l = &resourceLayout{properties: props}
				for _, name := range generatedAttributes {
					if f, ok := s.FieldByName("AWSCloudFormation" + name); ok {
						l.attributes = append(l.attributes, resourceAttribute{name: name, index: f.Index})
					}
				}
			}
		}
	}
	c.resources[t] = l
	return l
}

// resource returns the document of the resource v: its type, properties and
// attributes.
func (c *documentBuilder) resource(v reflect.Value, l *resourceLayout) (any, error) {
	s := v.Elem()
	props, err := c.object(s, l.properties)
	if err != nil {
		return nil, err
	}
	m := map[string]any{
		"Type":       validUTF8(v.Interface().(cfn.Resource).AWSCloudFormationType()),
		"Properties": props,
	}
	for _, a := range l.attributes {
		f, ok := fieldByIndex(s, a.index)
		if !ok || isEmptyValue(f) {
			continue
		}
		x, err := c.value(f)
		if err != nil {
			return nil, err
		}
		m[a.name] = x
	}
	return m, nil
}
