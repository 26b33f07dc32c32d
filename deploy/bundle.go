package deploy

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/cicdgen/cicdgen/manifest"
)

// Bundle is what apply deploys: a manifest and the template body of each of
// its stacks.
type Bundle struct {
	Manifest manifest.Manifest
	// Templates maps a stack name to its template body.
	Templates map[string][]byte
}

// LoadDir reads the manifest.json of a build output directory and the
// templates it names, checking each template against the manifest's sha256.
func LoadDir(dir string) (*Bundle, error) {
	path := filepath.Join(dir, manifest.File)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	m, err := manifest.Read(data)
	if err != nil {
		return nil, fmt.Errorf("read manifest %s: %w", path, err)
	}
	b := &Bundle{Manifest: m, Templates: map[string][]byte{}}
	for _, s := range m.Stacks {
		tp := filepath.Join(dir, filepath.FromSlash(s.Template))
		body, err := os.ReadFile(tp)
		if err != nil {
			return nil, fmt.Errorf("read template of stack %s: %w", s.Name, err)
		}
		if sum := sha256Hex(body); sum != s.SHA256 {
			return nil, fmt.Errorf("template %s of stack %s has sha256 %s but the manifest says %s: it changed after the build; run cicdgen build again", tp, s.Name, sum, s.SHA256)
		}
		b.Templates[s.Name] = manifest.WireBody(body)
	}
	if err := b.check(); err != nil {
		return nil, fmt.Errorf("read manifest %s: %w", path, err)
	}
	return b, nil
}

// FromOutput returns the bundle of a system built in memory
// (a manifest.Output), checking each template against the manifest's sha256.
func FromOutput(o *manifest.Output) (*Bundle, error) {
	b := &Bundle{Manifest: o.Manifest, Templates: map[string][]byte{}}
	for _, s := range o.Manifest.Stacks {
		body, ok := o.Files[s.Template]
		if !ok {
			return nil, fmt.Errorf("the build has no template %s for stack %s", s.Template, s.Name)
		}
		if sum := sha256Hex(body); sum != s.SHA256 {
			return nil, fmt.Errorf("template %s of stack %s has sha256 %s but the manifest says %s", s.Template, s.Name, sum, s.SHA256)
		}
		b.Templates[s.Name] = manifest.WireBody(body)
	}
	if err := b.check(); err != nil {
		return nil, err
	}
	return b, nil
}

// Placeholders returns the placeholder values that system.yaml held when
// the bundle was built, as manifest.json records them (schema.Placeholders,
// "PATH: message"). Apply refuses them, as it refuses them in a system.yaml.
func (b *Bundle) Placeholders() []string { return b.Manifest.Placeholders }

// Stack returns the manifest entry of the stack called name, or nil.
func (b *Bundle) Stack(name string) *manifest.Stack {
	for i := range b.Manifest.Stacks {
		if b.Manifest.Stacks[i].Name == name {
			return &b.Manifest.Stacks[i]
		}
	}
	return nil
}

// check verifies that dependencies and output references name stacks of the
// manifest and that the dependency graph has no cycle.
func (b *Bundle) check() error {
	for _, s := range b.Manifest.Stacks {
		for _, d := range s.DependsOn {
			if b.Stack(d) == nil {
				return fmt.Errorf("stack %s depends on %s, which is not in the manifest", s.Name, d)
			}
		}
		for _, p := range slices.Sorted(maps.Keys(s.Parameters)) {
			if ref := s.Parameters[p].FromOutput; ref != nil && b.Stack(ref.Stack) == nil {
				return fmt.Errorf("parameter %s of stack %s reads an output of %s, which is not in the manifest", p, s.Name, ref.Stack)
			}
		}
	}
	_, err := b.order(nil)
	return err
}

// order returns the names of the stacks in want (all when nil) in dependency
// order, keeping the manifest's order among independent stacks.
func (b *Bundle) order(want map[string]bool) ([]string, error) {
	state := map[string]int{} // 1 visiting, 2 done
	var out []string
	var visit func(name string, path []string) error
	visit = func(name string, path []string) error {
		switch state[name] {
		case 1:
			return fmt.Errorf("stacks depend on each other in a cycle: %v", append(path, name))
		case 2:
			return nil
		}
		state[name] = 1
		if s := b.Stack(name); s != nil {
			for _, d := range s.DependsOn {
				if err := visit(d, append(path, name)); err != nil {
					return err
				}
			}
		}
		state[name] = 2
		if want == nil || want[name] {
			out = append(out, name)
		}
		return nil
	}
	for _, s := range b.Manifest.Stacks {
		if err := visit(s.Name, nil); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Selection picks the stacks an apply works on.
type Selection struct {
	Environments []string // stacks of these environments (--env)
	Stacks       []string // these stacks, by name or kind (--stack)
	NoDeps       bool     // do not add the stacks the selected ones depend on
}

// Select returns the names of the selected stacks in dependency order. With
// neither environments nor stacks it selects every stack.
//
// The stacks the selected ones depend on are added (unless NoDeps), but
// with environments given only those in scope: stacks of those
// environments and stacks named by Stacks. So `--env dev` touches only
// dev's stacks and never needs another account's credentials (the pipeline
// stack, which follows every environment's stacks, is out of scope): stacks
// out of scope must exist already (their outputs are read, in their own
// account). The tooling stacks are applied
// with an environment only when named (`--env dev --stack pipeline`).
func (b *Bundle) Select(sel Selection) ([]string, error) {
	if len(sel.Environments) == 0 && len(sel.Stacks) == 0 {
		return b.order(nil)
	}
	want := map[string]bool{}
	envs := map[string]bool{}
	for _, e := range sel.Environments {
		envs[e] = true
		found := false
		for _, s := range b.Manifest.Stacks {
			if s.Environment == e {
				want[s.Name] = true
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("no stack belongs to environment %q; environments: %v", e, b.environments())
		}
	}
	named := map[string]bool{}
	for _, n := range sel.Stacks {
		found := false
		for _, s := range b.Manifest.Stacks {
			if s.Name == n || s.Kind == n {
				want[s.Name] = true
				named[s.Name] = true
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("no stack is called %q (give a stack name or kind such as pipeline or ecs-dev)", n)
		}
	}
	inScope := func(name string) bool {
		return len(envs) == 0 || named[name] || envs[b.Stack(name).Environment] && b.Stack(name).Environment != ""
	}
	if !sel.NoDeps {
		var add func(string)
		add = func(n string) {
			for _, d := range b.Stack(n).DependsOn {
				if !want[d] && inScope(d) {
					want[d] = true
					add(d)
				}
			}
		}
		for _, n := range slices.Sorted(maps.Keys(want)) {
			add(n)
		}
	}
	return b.order(want)
}

func (b *Bundle) environments() []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range b.Manifest.Stacks {
		if s.Environment != "" && !seen[s.Environment] {
			seen[s.Environment] = true
			out = append(out, s.Environment)
		}
	}
	return out
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
