package schema

import (
	"testing"

	"github.com/cicdgen/cicdgen/diag"
)

// FuzzLoad checks that Load never panics and always answers: a System, or at
// least one error, every diagnostic naming the file with a sane range. Its
// seed corpus is testdata/fuzz/FuzzLoad (valid and broken variants).
func FuzzLoad(f *testing.F) {
	f.Add([]byte(baseYAML))
	f.Add([]byte(specExample))
	f.Fuzz(func(t *testing.T, src []byte) {
		const name = "fuzz.yaml"
		sys, ds := Load(name, src)
		if sys == nil && !ds.HasErrors() {
			t.Fatalf("no System and no error: %v", ds)
		}
		if sys != nil && sys.Doc == nil {
			t.Fatal("a System without its Document")
		}
		for _, d := range ds {
			checkDiagnostic(t, name, d)
		}
	})
}

func checkDiagnostic(t *testing.T, name string, d diag.Diagnostic) {
	t.Helper()
	r := d.Range
	if r.Filename != name {
		t.Errorf("%v: filename %q, want %q", d, r.Filename, name)
	}
	if d.Rule == "" || d.Message == "" {
		t.Errorf("%v: no rule or message", d)
	}
	if _, ok := diag.RuleSummary(d.Rule); !ok {
		t.Errorf("%v: rule %q is not registered in diag/rules.go", d, d.Rule)
	}
	if r.Known() && (r.Start.Column < 1 || r.End.Line < r.Start.Line || (r.End.Line == r.Start.Line && r.End.Column < r.Start.Column)) {
		t.Errorf("%v: bad range %+v", d, r)
	}
}
