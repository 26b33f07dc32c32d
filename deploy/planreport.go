package deploy

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/cicdgen/cicdgen/diag"
)

// Plan is what diff shows: each stack's changes and the review of what
// they would do.
type Plan struct {
	Stacks []StackResult `json:"stacks"` // in dependency order
	// Security lists the IAM statements, trust and resource policies that
	// change; Widens marks the ones apply asks approval for.
	Security []SecurityChange `json:"security"`
	// Protected names the stacks of protected environments that change.
	Protected []string `json:"protected"`
	// Traffic lists the blue/green traffic resets apply refuses without
	// --allow-traffic-reset.
	Traffic     []TrafficChange `json:"traffic"`
	Interrupted bool            `json:"interrupted"`
	// ReviewError says why the review could not be made, if it could not.
	ReviewError string `json:"reviewError,omitempty"`
}

// NewPlan puts a dry run's result and its review together; rv may be nil
// (reviewErr then says why).
func NewPlan(res *Result, rv *Review, reviewErr error) *Plan {
	p := &Plan{Stacks: res.Stacks, Security: []SecurityChange{}, Protected: []string{}, Traffic: []TrafficChange{},
		Interrupted: res.Interrupted}
	if p.Stacks == nil {
		p.Stacks = []StackResult{}
	}
	if rv != nil {
		rv.TrafficFrom(res)
		p.Security, p.Protected, p.Traffic = rv.Security, rv.Protected, rv.Traffic
	}
	if reviewErr != nil {
		p.ReviewError = reviewErr.Error()
	}
	return p
}

// PlanStyle says how WritePlan writes.
type PlanStyle struct {
	// Color marks replacements and widening changes in red (only on a
	// terminal, and not under NO_COLOR: the caller decides).
	Color bool
	// Width cuts before and after values to fit; 0 means 160 columns.
	Width int
}

const (
	ansiRed    = "\x1b[31m"
	ansiYellow = "\x1b[33m"
	ansiReset  = "\x1b[0m"
)

func (st PlanStyle) paint(color, s string) string {
	if !st.Color {
		return s
	}
	return color + s + ansiReset
}

// WritePlan writes each stack's changes, property by property, a
// stack's tag-only changes in one line, replacements in red; then the
// security section, the protected environments and the blue/green traffic
// resets. It returns the first error writing to w.
func WritePlan(w io.Writer, p *Plan, style PlanStyle) error {
	bw := bufio.NewWriter(w) // keeps the first write error
	width := style.Width
	if width <= 0 {
		width = 160
	}
	for _, s := range p.Stacks {
		fmt.Fprintf(bw, "%s (%s, %s): ", s.Stack, s.AccountID, s.Region)
		switch {
		case s.Outcome == Unchanged:
			fmt.Fprintln(bw, "no changes")
			continue
		case s.Outcome == Failed || s.Outcome == Skipped || s.Outcome == Interrupted:
			fmt.Fprintf(bw, "%s: %s\n", s.Outcome, s.Error)
			continue
		case strings.HasPrefix(s.Note, ToBeCreated):
			fmt.Fprintf(bw, "%s, with %s\n", s.Note, diag.Plural(len(s.Changes), "resource"))
		case len(s.Changes) == 0:
			fmt.Fprintln(bw, orUnknown(s.Note))
			continue
		default:
			fmt.Fprint(bw, diag.Plural(len(s.Changes), "change"))
			if s.Note != "" {
				fmt.Fprintf(bw, " (%s)", s.Note)
			}
			fmt.Fprintln(bw)
		}
		changes := sortedChanges(append([]Change(nil), s.Changes...))
		tagsOnly := 0
		tw := tabwriter.NewWriter(bw, 0, 4, 2, ' ', 0)
		for _, c := range changes {
			if c.TagsOnly() {
				tagsOnly++
				continue
			}
			mark, action := "~", c.Action
			switch c.Action {
			case "Add":
				mark = "+"
			case "Remove":
				mark = "-"
			}
			repl := ""
			switch c.Replacement {
			case "True":
				mark, action, repl = "±", "Replace", style.paint(ansiRed, "replaced: a new resource, the old one deleted")
			case "Conditional":
				repl = style.paint(ansiRed, "may be replaced")
			}
			fmt.Fprintf(tw, "  %s %s\t%s\t%s\t%s\n", mark, action, c.LogicalID, c.Type, repl)
			tw.Flush()
			for _, d := range c.Details {
				if d.Attribute == "Tags" || d.Attribute == "Properties" && d.Name == "Tags" {
					continue
				}
				fmt.Fprintf(bw, "      %s\n", detailLine(d, width, style))
			}
		}
		tw.Flush()
		if tagsOnly > 0 {
			fmt.Fprintf(bw, "  ~ tags change on %s\n", diag.Plural(tagsOnly, "resource"))
		}
	}
	if len(p.Security) > 0 {
		fmt.Fprintf(bw, "\nSecurity: IAM statements, trust and resource policies that change (+ widens, - narrows):\n")
		for _, c := range p.Security {
			line := c.String()
			if c.Widens {
				line = style.paint(ansiYellow, line)
			}
			fmt.Fprintf(bw, "  %s\n", line)
		}
	}
	if len(p.Protected) > 0 {
		fmt.Fprintf(bw, "\nProtected environments: apply asks before changing %s\n", strings.Join(p.Protected, ", "))
	}
	if len(p.Traffic) > 0 {
		fmt.Fprintf(bw, "\n%s\n", style.paint(ansiRed, "Blue/green traffic resets (apply refuses them without --allow-traffic-reset):"))
		for _, c := range p.Traffic {
			fmt.Fprintf(bw, "  %s\n", style.paint(ansiRed, c.String()))
		}
		fmt.Fprintf(bw, "  %s\n", TrafficAdvice)
	}
	if p.ReviewError != "" {
		fmt.Fprintf(bw, "\nThe security and traffic review could not be made: %s\n", p.ReviewError)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write changes: %w", err)
	}
	return nil
}

// detailLine writes one property change: its path, before → after.
func detailLine(d PropertyChange, width int, style PlanStyle) string {
	name := d.Path
	if name == "" {
		name = d.Name
	}
	if name == "" {
		name = d.Attribute
	}
	line := name
	switch {
	case d.Before != "" || d.After != "":
		room := max((width-len(name)-16)/2, 20)
		line += ": " + cut(orDefault(d.Before, "(none)"), room) + " → " + cut(orDefault(d.After, "(none)"), room)
	case d.ChangeType != "":
		line += ": " + strings.ToLower(d.ChangeType)
	}
	if d.CausingEntity != "" {
		line += " (from " + d.CausingEntity + ")"
	}
	if d.RequiresRecreation == "Always" {
		line += " " + style.paint(ansiRed, "[replaces the resource]")
	} else if d.RequiresRecreation == "Conditionally" {
		line += " " + style.paint(ansiRed, "[may replace the resource]")
	}
	return line
}

// cut shortens s to n runes, with an ellipsis.
func cut(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
