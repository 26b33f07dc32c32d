package compiler

import (
	"fmt"
	"slices"
	"strings"
)

// Graph formats of Graph.
const (
	GraphDot     = "dot"
	GraphMermaid = "mermaid"
)

// Graph returns the stacks of a and their dependencies in format "dot"
// (Graphviz; the default when empty) or "mermaid" (a flowchart). Each stack
// is a node labelled with its name, kind, account and region; the stacks of
// one AWS account (by id: several accounts keys may name one account) are
// grouped in a cluster (dot) or subgraph (mermaid), in the assembly's order. An edge goes from a stack to a stack that depends on it,
// so edges point in deployment order: pipeline -> monitoring means the
// pipeline stack is deployed first. The output is deterministic.
func Graph(a *Assembly, format string) (string, error) {
	switch format {
	case "", GraphDot:
		return graphDot(a), nil
	case GraphMermaid:
		return graphMermaid(a), nil
	}
	return "", fmt.Errorf("unknown graph format %q: use dot or mermaid", format)
}

// accountGroup is the stacks of one AWS account, in the assembly's order.
type accountGroup struct {
	keys   []string // the accounts keys naming it, in order of first use
	id     string
	stacks []*Stack
}

// label returns "key (id)", or "key1, key2 (id)" when several keys of
// system.yaml name the same account.
func (g *accountGroup) label() string {
	return strings.Join(g.keys, ", ") + " (" + g.id + ")"
}

// groupByAccount groups the stacks by account id, accounts in order of first use.
func groupByAccount(a *Assembly) []*accountGroup {
	var groups []*accountGroup
	byID := map[string]*accountGroup{}
	for _, s := range a.Stacks {
		g := byID[s.Account.ID]
		if g == nil {
			g = &accountGroup{id: s.Account.ID}
			byID[s.Account.ID] = g
			groups = append(groups, g)
		}
		if !slices.Contains(g.keys, s.Account.Key) {
			g.keys = append(g.keys, s.Account.Key)
		}
		g.stacks = append(g.stacks, s)
	}
	return groups
}

// stackLabel returns the lines of a stack's node label.
func stackLabel(s *Stack) []string {
	return []string{s.Name, s.Kind, s.Account.Key + " " + s.Account.ID + " / " + s.Region}
}

func graphDot(a *Assembly) string {
	var b strings.Builder
	title := "cicdgen"
	if a.System != nil {
		title = a.System.Name + "-" + a.System.Suffix
	}
	fmt.Fprintf(&b, "digraph %s {\n", dotQuote(title))
	b.WriteString("  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n")
	for i, g := range groupByAccount(a) {
		fmt.Fprintf(&b, "  subgraph cluster_%d {\n", i)
		fmt.Fprintf(&b, "    label=%s;\n", dotQuote(g.label()))
		for _, s := range g.stacks {
			fmt.Fprintf(&b, "    %s [label=%s];\n", dotQuote(s.Name), dotQuote(strings.Join(stackLabel(s), "\n")))
		}
		b.WriteString("  }\n")
	}
	for _, s := range a.Stacks {
		for _, dep := range s.DependsOn {
			fmt.Fprintf(&b, "  %s -> %s;\n", dotQuote(dep), dotQuote(s.Name))
		}
	}
	b.WriteString("}\n")
	return b.String()
}

// dotQuote returns s as a Graphviz quoted string.
func dotQuote(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, `"`, `\"`)
	s = strings.ReplaceAll(s, "\n", `\n`)
	return `"` + s + `"`
}

func graphMermaid(a *Assembly) string {
	var b strings.Builder
	ids := make(map[string]string, len(a.Stacks))
	for i, s := range a.Stacks {
		ids[s.Name] = fmt.Sprintf("s%d", i)
	}
	b.WriteString("flowchart LR\n")
	for i, g := range groupByAccount(a) {
		fmt.Fprintf(&b, "  subgraph account%d[%s]\n", i, mermaidQuote(g.label()))
		for _, s := range g.stacks {
			fmt.Fprintf(&b, "    %s[%s]\n", ids[s.Name], mermaidQuote(strings.Join(stackLabel(s), "<br/>")))
		}
		b.WriteString("  end\n")
	}
	for _, s := range a.Stacks {
		for _, dep := range s.DependsOn {
			from, ok := ids[dep]
			if !ok {
				continue // a dependency outside the assembly has no node
			}
			fmt.Fprintf(&b, "  %s --> %s\n", from, ids[s.Name])
		}
	}
	return b.String()
}

// mermaidQuote returns s as a quoted mermaid label.
func mermaidQuote(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, "#quot;") + `"`
}
