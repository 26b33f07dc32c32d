package diag

import (
	"bytes"
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var updateRules = flag.Bool("update", false, "rewrite docs/rules.md")

// TestRulesDoc keeps docs/rules.md generated from the registry.
func TestRulesDoc(t *testing.T) {
	var got bytes.Buffer
	if err := WriteRulesMarkdown(&got); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "docs", "rules.md")
	if *updateRules {
		if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./diag -run TestRulesDoc -update)", err)
	}
	if !bytes.Equal(want, got.Bytes()) {
		t.Errorf("docs/rules.md is stale; run go test ./diag -run TestRulesDoc -update")
	}
}

func TestRulesAreWellFormed(t *testing.T) {
	seen := map[string]bool{}
	id := regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)
	for _, r := range Rules() {
		if seen[r.ID] {
			t.Errorf("rule %s is registered twice", r.ID)
		}
		seen[r.ID] = true
		if !id.MatchString(r.ID) {
			t.Errorf("rule id %q is not lower-case words joined by -", r.ID)
		}
		if r.Summary == "" || strings.HasSuffix(r.Summary, ".") || strings.ContainsAny(r.Summary, "\n") {
			t.Errorf("rule %s: the summary %q must be one line without a final period", r.ID, r.Summary)
		}
	}
}

// TestEveryReportedRuleIsRegistered reads the repository's Go code for the
// rule ids it reports (the first argument of diag.Errorf, diag.Warningf and
// the checks' errorAt and warnAt helpers, and the rule constants) and
// fails on any that the registry lacks.
func TestEveryReportedRuleIsRegistered(t *testing.T) {
	reporters := map[string]bool{"Errorf": true, "Warningf": true, "errorAt": true, "warnAt": true, "errorAtKey": true, "warnAtKey": true}
	ruleShape := regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)
	found := map[string]string{}
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") && d.Name() != "..") {
			return filepath.SkipDir
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		record := func(lit *ast.BasicLit) {
			if s, err := strconv.Unquote(lit.Value); err == nil && ruleShape.MatchString(s) {
				found[s] = fset.Position(lit.Pos()).String()
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				name := ""
				switch fn := n.Fun.(type) {
				case *ast.SelectorExpr:
					// fmt.Errorf takes a format, not a rule.
					if x, ok := fn.X.(*ast.Ident); ok && x.Name == "fmt" {
						return true
					}
					name = fn.Sel.Name
				case *ast.Ident:
					name = fn.Name
				}
				if lit, ok := firstArg(n).(*ast.BasicLit); ok && reporters[name] && lit.Kind == token.STRING {
					record(lit)
				}
			case *ast.ValueSpec:
				for i, ident := range n.Names {
					lower := strings.ToLower(ident.Name)
					if strings.HasPrefix(lower, "rule") && i < len(n.Values) {
						if lit, ok := n.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							record(lit)
						}
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) < 40 {
		t.Fatalf("found %d rule ids in the code; the scan is broken", len(found))
	}
	for id, at := range found {
		if _, ok := RuleSummary(id); !ok {
			t.Errorf("%s: rule %q is not registered in diag/rules.go", at, id)
		}
	}
}

func firstArg(call *ast.CallExpr) ast.Expr {
	if len(call.Args) == 0 {
		return nil
	}
	return call.Args[0]
}

func TestDidYouMean(t *testing.T) {
	if got := DidYouMean("fargte", []string{"fargate", "region"}); got != `did you mean "fargate"?` {
		t.Errorf("got %q", got)
	}
	if got := DidYouMean("zzz", []string{"fargate"}); got != "" {
		t.Errorf("got %q for a far word", got)
	}
}
