package compiler

import (
	"fmt"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/cicdgen/cicdgen/internal/scalesystem"
	"github.com/cicdgen/cicdgen/manifest"
	"github.com/cicdgen/cicdgen/schema"
)

// loadScale loads scalesystem.YAML(n): n environments, 4 + 3n stacks.
func loadScale(tb testing.TB, n int) *schema.System {
	tb.Helper()
	return loadYAML(tb, scalesystem.YAML(n))
}

// buildAll is what `cicdgen build` does after loading: compile and render.
func buildAll(tb testing.TB, sys *schema.System) *manifest.Output {
	a, ds := Compile(sys)
	if ds.HasErrors() {
		tb.Fatalf("compile:\n%s", ds.Error())
	}
	out, err := Outputs(a, manifest.FormatJSON)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func BenchmarkCompileSeed(b *testing.B) {
	sys := loadSystem(b, filepath.Join("..", "examples", "seed", "system.yaml"))
	for b.Loop() {
		buildAll(b, sys)
	}
}

func BenchmarkCompileEnvs(b *testing.B) {
	for _, n := range []int{10, 100, 200} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			sys := loadScale(b, n)
			for b.Loop() {
				buildAll(b, sys)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/env")
		})
	}
}

func BenchmarkLoadEnvs(b *testing.B) {
	for _, n := range []int{10, 100, 200} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			src := []byte(scalesystem.YAML(n))
			for b.Loop() {
				if _, ds := schema.Load("system.yaml", src); ds.HasErrors() {
					b.Fatal(ds)
				}
			}
		})
	}
}

// TestTwoHundredEnvironmentsCompile checks SPEC.md's scale promise: 200
// environments in 100 accounts, with waves and an organization, compile
// without errors (every quota holds), and the work grows linearly with the
// environments. The work is counted in heap allocations, which do not
// depend on the machine's load; the time is BenchmarkCompileEnvs' (`make
// bench`), never asserted in a test.
func TestTwoHundredEnvironmentsCompile(t *testing.T) {
	buildAll(t, loadScale(t, 2)) // one-time work (schemas, caches) is not per environment
	allocs := map[int]uint64{}
	for _, n := range []int{50, 200} {
		sys := loadScale(t, n)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		out := buildAll(t, sys)
		runtime.ReadMemStats(&after)
		allocs[n] = after.Mallocs - before.Mallocs
		if want := 2 + 2 + 3*n; len(out.Manifest.Stacks) != want {
			t.Errorf("%d environments: %d stacks, want %d", n, len(out.Manifest.Stacks), want)
		}
		t.Logf("%d environments: %d allocations, %d per environment", n, allocs[n], allocs[n]/uint64(n))
	}
	// Linear work allocates four times as much for four times the
	// environments; a quadratic step, sixteen times. The margin covers the
	// fixed part and slices that grow by doubling.
	if ratio := float64(allocs[200]) / float64(allocs[50]); ratio > 5 {
		t.Errorf("200 environments allocate %.1f times what 50 do, want about 4 (linear)", ratio)
	}
}
