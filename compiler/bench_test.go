package compiler

import (
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/cicdgen/cicdgen/manifest"
	"github.com/cicdgen/cicdgen/schema"
)

// scaleSystem returns a system.yaml of n environments in n/2 accounts of an
// organization, in waves of five, across three regions.
func scaleSystem(n int) string {
	var b strings.Builder
	b.WriteString(`version: 1
name: scale
suffix: s
region: us-east-1
organization: o-a1b2c3d4e5
tags: {team: platform}
accounts:
  tooling: "500000000000"
`)
	accounts := (n + 1) / 2
	for i := 1; i <= accounts; i++ {
		fmt.Fprintf(&b, "  a%d: \"5%011d\"\n", i, i)
	}
	b.WriteString(`source:
  connection: arn:aws:codeconnections:us-east-1:500000000000:connection/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d
  repository: scale/app
test: {}
notifications:
  approvals: [release@scale.example]
  failures: [oncall@scale.example]
service:
  name: app
  port: 8080
  secrets: {API_KEY: managed}
environments:
`)
	regions := []string{"us-east-1", "eu-west-1", "ap-southeast-2"}
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "  - {name: e%d, account: a%d, region: %s, wave: w%d, approval: %t, protect: %t}\n",
			i, i/2+1, regions[i%len(regions)], i/5, i%5 == 0, i >= n-5)
	}
	return b.String()
}

// loadScale loads scaleSystem(n).
func loadScale(tb testing.TB, n int) *schema.System {
	tb.Helper()
	return loadYAML(tb, scaleSystem(n))
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
			src := []byte(scaleSystem(n))
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
