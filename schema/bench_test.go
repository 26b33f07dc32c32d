package schema

import (
	"os"
	"path/filepath"
	"testing"
)

// seedSource returns the reference system: examples/seed/system.yaml when the
// repository has it, else the copy under testdata/bench.
func seedSource(tb testing.TB) (string, []byte) {
	tb.Helper()
	for _, p := range []string{filepath.Join("..", "examples", "seed", "system.yaml"), filepath.Join("testdata", "bench", "system.yaml")} {
		src, err := os.ReadFile(p)
		if err == nil {
			return p, src
		}
	}
	tb.Fatal("no seed system.yaml found")
	return "", nil
}

// BenchmarkLoadSeed measures loading and validating the seed example:
// parsing, schema validation, decoding and the semantic checks.
func BenchmarkLoadSeed(b *testing.B) {
	name, src := seedSource(b)
	if sys, ds := Load(name, src); sys == nil || ds.HasErrors() {
		b.Fatalf("seed does not load: %v", ds)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if sys, _ := Load(name, src); sys == nil {
			b.Fatal("seed stopped loading")
		}
	}
}

// BenchmarkCompileSchema measures compiling the embedded JSON Schema, which
// Load does once per process rather than once per call.
func BenchmarkCompileSchema(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := compileSchema(); err != nil {
			b.Fatal(err)
		}
	}
}
