package schema

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/cicdgen/cicdgen/diag"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/invalid")

// Markers in testdata/invalid/*.yaml say which diagnostics a case must
// produce, and where:
//
//	cpu: 300  # ERROR fargate-size
//
// marks its own line: Load must report an error of rule fargate-size whose
// range starts on that line. "# WARNING rule" marks a warning the same way.
// A line that cannot carry a comment (inside a multi-line scalar, or past
// the end of the file) is marked from a comment line of its own:
//
//	# ERROR-AT 12 yaml-syntax
//
// Every marker must be matched by a diagnostic, and every diagnostic by a
// marker: a case reports exactly what it marks. Each case has one defect
// and so one marked line.
var (
	lineMarker = regexp.MustCompile(`#\s*(ERROR|WARNING)\s+([a-z0-9-]+)\s*$`)
	atMarker   = regexp.MustCompile(`^\s*#\s*(ERROR|WARNING)-AT\s+(\d+)\s+([a-z0-9-]+)\s*$`)
)

// marker is one expected diagnostic of a case.
type marker struct {
	line int
	sev  diag.Severity
	rule string
}

func (m marker) String() string { return fmt.Sprintf("line %d: %s[%s]", m.line, m.sev, m.rule) }

// parseMarkers returns the markers of a case's source.
func parseMarkers(src []byte) []marker {
	var out []marker
	sev := func(s string) diag.Severity {
		if s == "WARNING" {
			return diag.Warning
		}
		return diag.Error
	}
	for i, line := range strings.Split(string(src), "\n") {
		if m := atMarker.FindStringSubmatch(line); m != nil {
			n, _ := strconv.Atoi(m[2])
			out = append(out, marker{line: n, sev: sev(m[1]), rule: m[3]})
			continue
		}
		if m := lineMarker.FindStringSubmatch(line); m != nil {
			out = append(out, marker{line: i + 1, sev: sev(m[1]), rule: m[2]})
		}
	}
	return out
}

// matchMarkers returns one problem per marker without a diagnostic and per
// diagnostic without a marker.
func matchMarkers(markers []marker, ds diag.Diagnostics) []string {
	var problems []string
	matched := make([]bool, len(ds))
	for _, m := range markers {
		found := false
		for i, d := range ds {
			if d.Range.Start.Line == m.line && d.Severity == m.sev && d.Rule == m.rule {
				matched[i], found = true, true
			}
		}
		if !found {
			problems = append(problems, fmt.Sprintf("marked %s, but no such diagnostic", m))
		}
	}
	for i, d := range ds {
		if !matched[i] {
			problems = append(problems, fmt.Sprintf("unmarked diagnostic: %s", d.Error()))
		}
	}
	return problems
}

func TestInvalidSystems(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "invalid", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 45 {
		t.Fatalf("testdata/invalid holds %d cases; keep at least 45", len(files))
	}
	want := map[string]bool{}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".yaml")
		want[name+".txt"], want[name+".json"] = true, true
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			filename := filepath.Base(file)
			_, ds := Load(filename, src)

			markers := parseMarkers(src)
			lines := map[int]bool{}
			for _, m := range markers {
				lines[m.line] = true
			}
			if len(lines) != 1 {
				t.Errorf("a case has one defect, marked on one line; this one marks %d lines", len(lines))
			}
			for _, p := range matchMarkers(markers, ds) {
				t.Error(p)
			}
			for _, d := range ds {
				if d.Path == "" && d.Range.Start.Line == 0 {
					t.Errorf("diagnostic without path or position: %s", d.Error())
				}
				if _, ok := diag.RuleSummary(d.Rule); !ok {
					t.Errorf("rule %q is not registered in diag/rules.go", d.Rule)
				}
			}

			for _, format := range []string{"text", "json"} {
				var buf bytes.Buffer
				opts := diag.RenderOptions{Format: format, Sources: map[string][]byte{filename: src}}
				if err := diag.Render(&buf, ds, opts); err != nil {
					t.Fatalf("render %s: %v", format, err)
				}
				ext := map[string]string{"text": ".txt", "json": ".json"}[format]
				compareGolden(t, filepath.Join("testdata", "invalid", name+ext), buf.Bytes())
			}
		})
	}
	checkNoStaleGolden(t, want)
}

// compareGolden compares got with the golden file at path, or rewrites the
// file under -update when it differs.
func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	old, err := os.ReadFile(path)
	if *update {
		if err != nil || !bytes.Equal(old, got) {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	if err != nil {
		t.Fatalf("%v (run go test ./schema -update to create it)", err)
	}
	if !bytes.Equal(old, got) {
		t.Errorf("%s differs (run go test ./schema -update to accept):\n--- want\n%s\n--- got\n%s", path, old, got)
	}
}

// checkNoStaleGolden fails on golden files of testdata/invalid that belong
// to no case, and removes them under -update.
func checkNoStaleGolden(t *testing.T, want map[string]bool) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join("testdata", "invalid"))
	if err != nil {
		t.Fatal(err)
	}
	var stale []string
	for _, e := range entries {
		n := e.Name()
		if want[n] || (!strings.HasSuffix(n, ".txt") && !strings.HasSuffix(n, ".json")) {
			continue
		}
		stale = append(stale, n)
	}
	sort.Strings(stale)
	for _, n := range stale {
		path := filepath.Join("testdata", "invalid", n)
		if *update {
			if err := os.Remove(path); err != nil {
				t.Error(err)
			}
			continue
		}
		t.Errorf("%s belongs to no case (run go test ./schema -update to remove it)", path)
	}
}

func TestValidSystems(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "valid", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 8 {
		t.Fatalf("testdata/valid holds %d systems; keep at least 8", len(files))
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".yaml"), func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			sys, ds := Load(file, src)
			for _, d := range ds {
				if d.Severity == diag.Error {
					t.Errorf("unexpected %s", d.Error())
				}
			}
			if sys == nil {
				t.Fatal("Load returned no system")
			}
			if len(sys.Environments) == 0 {
				t.Error("the system has no environments")
			}
			// Loading is deterministic: a second load gives the same diagnostics.
			_, again := Load(file, src)
			if fmt.Sprint(ds) != fmt.Sprint(again) {
				t.Errorf("a second load differs:\n%v\n%v", ds, again)
			}
		})
	}
}

func TestMarkersAreParsed(t *testing.T) {
	cases := map[string]struct {
		src  string
		want []marker
	}{
		"a trailing error marker marks its own line": {
			src:  "a: 1\nb: 2  # ERROR fargate-size\n",
			want: []marker{{2, diag.Error, "fargate-size"}},
		},
		"a trailing warning marker marks a warning": {
			src:  "a: 1 # WARNING placeholder\n",
			want: []marker{{1, diag.Warning, "placeholder"}},
		},
		"an ERROR-AT line marks the line it names": {
			src:  "# ERROR-AT 7 yaml-syntax\na: 1\n",
			want: []marker{{7, diag.Error, "yaml-syntax"}},
		},
		"a comment that is no marker marks nothing": {
			src: "a: 1 # an ERROR in prose\n",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := parseMarkers([]byte(tc.src))
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestMatchMarkersFindsMissingAndUnmarked(t *testing.T) {
	at := func(line int, rule string) diag.Diagnostic {
		return diag.Errorf(rule, diag.Range{Filename: "f", Start: diag.Pos{Line: line, Column: 1}}, "$", "m")
	}
	cases := map[string]struct {
		markers []marker
		ds      diag.Diagnostics
		want    int
	}{
		"a marked line with its diagnostic matches": {
			markers: []marker{{3, diag.Error, "cidr"}},
			ds:      diag.Diagnostics{at(3, "cidr")},
		},
		"a diagnostic on another line is both missing and unmarked": {
			markers: []marker{{3, diag.Error, "cidr"}},
			ds:      diag.Diagnostics{at(4, "cidr")},
			want:    2,
		},
		"a diagnostic of another rule on the marked line does not match": {
			markers: []marker{{3, diag.Error, "cidr"}},
			ds:      diag.Diagnostics{at(3, "nat-gateways")},
			want:    2,
		},
		"a warning does not match an error marker": {
			markers: []marker{{3, diag.Error, "placeholder"}},
			ds:      diag.Diagnostics{diag.Warningf("placeholder", diag.Range{Start: diag.Pos{Line: 3}}, "$", "m")},
			want:    2,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := matchMarkers(tc.markers, tc.ds); len(got) != tc.want {
				t.Errorf("got %d problems %v, want %d", len(got), got, tc.want)
			}
		})
	}
}
