package compiler

import (
	"reflect"
	"testing"
)

// TestWarmEncodersCoversTheBuilders requires encodedResourceTypes to list
// exactly the resource types the golden systems' templates hold: a type
// missing from it is encoded cold, a type no builder uses any more is
// warmed for nothing.
func TestWarmEncodersCoversTheBuilders(t *testing.T) {
	warmed := map[reflect.Type]bool{}
	for _, r := range encodedResourceTypes() {
		warmed[reflect.TypeOf(r)] = true
	}
	used := map[reflect.Type]bool{}
	for _, c := range goldenCases(t) {
		a, _, _ := compileCase(t, c)
		for _, s := range a.Stacks {
			for name, r := range s.Template.Resources {
				typ := reflect.TypeOf(r)
				used[typ] = true
				if !warmed[typ] {
					t.Errorf("%s: stack %s, resource %s: type %v is not in encodedResourceTypes", c.name, s.Name, name, typ)
				}
			}
		}
	}
	for typ := range warmed {
		if !used[typ] {
			t.Errorf("encodedResourceTypes lists %v, which no golden template holds", typ)
		}
	}
}
