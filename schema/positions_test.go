package schema_test

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cicdgen/cicdgen/compiler"
	"github.com/cicdgen/cicdgen/diag"
	"github.com/cicdgen/cicdgen/schema"
)

// TestSingleDefectPositions holds the files of testdata/positions, each a
// system.yaml written from the specification with exactly one defect, to
// what `cicdgen validate` must say of it: one error, at the line and column
// EXPECT.tsv gives (the offending value; the key of an unknown key; the
// parent key of a missing one). They were written independently of the
// golden cases in testdata/invalid, the way users and reviewers write them.
func TestSingleDefectPositions(t *testing.T) {
	dir := filepath.Join("testdata", "positions")
	f, err := os.Open(filepath.Join(dir, "EXPECT.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	cases := 0
	for sc.Scan() {
		name, at, ok := strings.Cut(sc.Text(), "\t")
		if !ok {
			t.Fatalf("EXPECT.tsv: malformed line %q", sc.Text())
		}
		lineText, colText, _ := strings.Cut(at, ":")
		wantLine, err1 := strconv.Atoi(lineText)
		wantCol, err2 := strconv.Atoi(colText)
		if err1 != nil || err2 != nil {
			t.Fatalf("EXPECT.tsv: malformed position %q of %s", at, name)
		}
		cases++
		t.Run(name, func(t *testing.T) {
			errs := validateErrors(t, filepath.Join(dir, name+".yaml"))
			if len(errs) != 1 {
				t.Fatalf("got %d errors, want exactly one at %d:%d:\n%v", len(errs), wantLine, wantCol, errs)
			}
			if got := errs[0].Range.Start; got.Line != wantLine || got.Column != wantCol {
				t.Errorf("error at %d:%d, want %d:%d: %s", got.Line, got.Column, wantLine, wantCol, errs[0].Error())
			}
		})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if cases < 100 {
		t.Fatalf("EXPECT.tsv lists %d cases; the directory holds more than 100", cases)
	}
}

// validateErrors returns the errors `cicdgen validate` reports for file:
// loading and checking, then compiling when that found no error.
func validateErrors(t *testing.T, file string) diag.Diagnostics {
	t.Helper()
	sys, ds := schema.LoadFile(file)
	if sys != nil && !ds.HasErrors() {
		_, cds := compiler.Compile(sys)
		ds = append(ds, cds...)
	}
	var errs diag.Diagnostics
	for _, d := range ds {
		if d.Severity == diag.Error {
			errs = append(errs, d)
		}
	}
	return errs
}
