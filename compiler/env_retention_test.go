package compiler

import (
	"testing"
)

// retainedTypes are the resource types protect: true keeps.
var retainedTypes = map[string]bool{
	"AWS::Logs::LogGroup":         true,
	"AWS::KMS::Key":               true,
	"AWS::SecretsManager::Secret": true,
}

// TestProtectedResourcesRetainExceptOnCreate checks every stack of every
// golden case: no resource uses a plain Retain (a failed first create would
// leave it behind and block the next create); in the environment stacks of
// a protected environment, log groups, keys and secrets use
// RetainExceptOnCreate and UpdateReplacePolicy Retain; everything else, and
// everything of unprotected environments, is deleted with its stack.
func TestProtectedResourcesRetainExceptOnCreate(t *testing.T) {
	protectedSeen := 0
	for _, c := range goldenCases(t) {
		t.Run(c.name, func(t *testing.T) {
			a, _, _ := compileCase(t, c)
			protected := map[string]bool{}
			for _, e := range a.System.Environments {
				protected[e.Name] = e.Protect
			}
			for _, s := range a.Stacks {
				doc := stackDoc(t, s)
				for id, r := range doc["Resources"].(map[string]any) {
					res := r.(map[string]any)
					deletion, _ := res["DeletionPolicy"].(string)
					replace, _ := res["UpdateReplacePolicy"].(string)
					typ, _ := res["Type"].(string)
					if deletion == "Retain" {
						t.Errorf("%s %s: DeletionPolicy Retain; use RetainExceptOnCreate", s.Name, id)
					}
					keep := s.Environment != "" && protected[s.Environment] && retainedTypes[typ]
					if s.Kind != "roles-"+s.Environment && keep {
						protectedSeen++
						if deletion != "RetainExceptOnCreate" || replace != "Retain" {
							t.Errorf("%s %s (%s) of a protected environment: DeletionPolicy %q, UpdateReplacePolicy %q; want RetainExceptOnCreate and Retain", s.Name, id, typ, deletion, replace)
						}
					} else if s.Environment != "" && deletion != "Delete" {
						t.Errorf("%s %s (%s): DeletionPolicy %q, want Delete", s.Name, id, typ, deletion)
					}
				}
			}
		})
	}
	if protectedSeen == 0 {
		t.Error("no golden case has a protected environment's log group, key or secret: the test checks nothing")
	}
}
