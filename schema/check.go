package schema

import (
	"fmt"
	"strings"

	"github.com/cicdgen/cicdgen/diag"
)

// Check runs the semantic checks the JSON Schema cannot express on a loaded,
// defaulted system and returns their diagnostics.
//
// Every diagnostic carries a stable rule id, points at the YAML node that
// holds the offending value (for a per-environment override, the override's
// own node) and says how to fix the problem. The rule ids, each with its
// summary, are registered in diag.Rules (diag/rules.go), which
// docs/rules.md and `cicdgen rules` list.
func Check(sys *System) diag.Diagnostics {
	if sys == nil {
		return nil
	}
	c := &semantic{sys: sys, doc: sys.Doc}
	if c.doc == nil {
		c.doc = NewDocument("", nil)
	}
	c.checkAccounts()
	c.checkOrganization()
	c.checkEnvironments()
	c.checkRegions()
	c.checkSource()
	c.checkBranch()
	c.checkNotifications()
	c.checkTags()
	c.checkDeny()
	c.checkServices()
	c.checkNetworks()
	c.checkPipeline()
	c.checkBuildImage()
	c.checkOverrides()
	c.checkNameLengths()
	c.checkPlaceholders()
	return c.ds.Normalize()
}

// semantic accumulates the diagnostics of one Check run.
type semantic struct {
	sys *System
	doc *Document
	ds  diag.Diagnostics
}

// errorAt reports an error about the value at path.
func (c *semantic) errorAt(rule, path, format string, args ...any) *diag.Diagnostic {
	c.ds = append(c.ds, diag.Errorf(rule, c.doc.Range(path), path, format, args...))
	return &c.ds[len(c.ds)-1]
}

// errorAtKey reports an error about the mapping key that names path.
func (c *semantic) errorAtKey(rule, path, format string, args ...any) *diag.Diagnostic {
	c.ds = append(c.ds, diag.Errorf(rule, c.doc.KeyRange(path), path, format, args...))
	return &c.ds[len(c.ds)-1]
}

// warnAt reports a warning about the value at path.
func (c *semantic) warnAt(rule, path, format string, args ...any) *diag.Diagnostic {
	c.ds = append(c.ds, diag.Warningf(rule, c.doc.Range(path), path, format, args...))
	return &c.ds[len(c.ds)-1]
}

// warnAtKey reports a warning about the mapping key that names path.
func (c *semantic) warnAtKey(rule, path, format string, args ...any) *diag.Diagnostic {
	c.ds = append(c.ds, diag.Warningf(rule, c.doc.KeyRange(path), path, format, args...))
	return &c.ds[len(c.ds)-1]
}

// noteFix sets the hint of a diagnostic just reported.
func noteFix(d *diag.Diagnostic, format string, args ...any) {
	d.Hint = fmt.Sprintf(format, args...)
}

// environmentPath returns the path of environment i.
func environmentPath(i int) string { return PathIndex("$.environments", i) }

// didYouMean returns ` (did you mean "x"?)` when one of candidates is close
// to got, else "".
func didYouMean(got string, candidates []string) string {
	if s := diag.DidYouMean(got, candidates); s != "" {
		return " (" + s + ")"
	}
	return ""
}

// quotedList returns "a", "b" or "c" for items.
func quotedList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = fmt.Sprintf("%q", s)
	}
	return orListOf(q)
}

// orListOf returns a, b or c.
func orListOf(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}
