package awscmd

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/cicdgen/cicdgen/deploy"
	"github.com/cicdgen/cicdgen/diag"
	"github.com/cicdgen/cicdgen/internal/command"
)

// destroyAction runs `cicdgen destroy`.
func destroyAction(env *Env) cli.ActionFunc {
	return func(c *cli.Context) error {
		// The flags after FILE are parsed with it: check them after.
		op, err := newOperation(c, env, func() error { return checkPacing(c, env) })
		if err != nil {
			return err
		}
		doc := &destroyDocument{Stacks: []deploy.DestroyedStack{}, Kept: []deploy.KeptStack{}, InProgress: []string{}}
		return op.r.Conclude(doc, runDestroy(c, env, op, doc))
	}
}

// runDestroy plans the destroy, has it confirmed and deletes, reporting
// the result in doc.
func runDestroy(c *cli.Context, env *Env, op *operation, doc *destroyDocument) error {
	if err := op.load(c); err != nil {
		return err
	}
	ctx := c.Context
	stopSecond := exitOnSecondInterrupt(ctx, env)
	defer stopSecond()
	opts := deploy.DestroyOptions{
		Options: deploy.Options{
			Selection:   deploy.Selection{Environments: c.StringSlice("env")},
			Concurrency: c.Int("concurrency"),
			PollMin:     c.Duration("poll-interval"),
		},
		IncludeProtected: c.Bool("include-protected"),
	}
	plan, err := deploy.PlanDestroy(ctx, op.bundle, op.factory, opts)
	if err != nil {
		if ctx.Err() != nil {
			return command.ExitWith(command.ExitInterrupted)
		}
		return op.r.Fail(command.ExitDeployFail, "%v", err)
	}
	doc.System = plan.System
	if err := writeDestroyPlan(op.out, plan); err != nil {
		return op.r.Fail(command.ExitInputErrors, "%v", err)
	}
	if existing(plan) > 0 && !c.Bool("yes") {
		if !env.StdinIsTerminal {
			return op.r.Fail(command.ExitUsage, "stdin is not a terminal, so nobody can confirm: run again with --yes to delete %s", stackCount(existing(plan)))
		}
		fmt.Fprintf(op.out, "Type the system's name (%s) to delete %s: ", plan.System, stackCount(existing(plan)))
		answer, err := readLine(ctx, env)
		if ctx.Err() != nil {
			fmt.Fprintln(op.out)
			return command.ExitWith(command.ExitInterrupted)
		}
		if err != nil || answer != plan.System {
			return op.r.Fail(command.ExitUsage, "not confirmed; nothing was deleted")
		}
	}
	opts.Reporter = deploy.NewReporterWith(op.out, deploy.ReporterOptions{Terminal: op.r.OutIsTerminal(), Width: env.Width})
	res := deploy.Destroy(ctx, op.bundle, op.factory, plan, opts)
	doc.setResult(res)
	err = writeDestroyResult(op.out, res)
	if err != nil {
		fmt.Fprintf(env.Stderr, "cicdgen destroy: %v\n", err)
	}
	for _, s := range res.Stacks {
		if s.Outcome == deploy.Failed {
			writeFailedStack(env, "destroy", s.Stack, s.AccountID, s.Region, "could not be deleted", s.Error)
		}
	}
	return changedExit(res.Interrupted, res.Failed(), err)
}

// existing counts the stacks of the plan that exist in AWS.
func existing(plan *deploy.DestroyPlan) int {
	n := 0
	for _, d := range plan.Delete {
		if d.Status != "" {
			n++
		}
	}
	return n
}

// stackCount is "1 stack", "2 stacks".
func stackCount(n int) string { return diag.Plural(n, "stack") }

// writeDestroyPlan writes what destroy deletes and keeps.
func writeDestroyPlan(w io.Writer, plan *deploy.DestroyPlan) error {
	bw := bufio.NewWriter(w)
	n := existing(plan)
	if n == 0 {
		fmt.Fprintf(bw, "Destroy %s: nothing to delete (no stack of the selection exists)\n", plan.System)
	} else {
		fmt.Fprintf(bw, "Destroy %s: %s to delete\n", plan.System, stackCount(n))
		tw := tabwriter.NewWriter(bw, 0, 4, 2, ' ', 0)
		for _, d := range plan.Delete {
			if d.Status == "" {
				continue
			}
			fmt.Fprintf(tw, "  %s\t%s/%s\t%s\n", d.Stack, d.Account, d.Region, d.Status)
		}
		tw.Flush()
		writeRetained(bw, plan.Delete)
	}
	if len(plan.Keep) > 0 {
		fmt.Fprintf(bw, "Kept (%s):\n", stackCount(len(plan.Keep)))
		for _, k := range plan.Keep {
			fmt.Fprintf(bw, "  %s: %s\n", k.Stack, k.Reason)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write plan: %w", err)
	}
	return nil
}

// writeRetained lists the resources the templates of the plan's existing
// stacks retain.
func writeRetained(w io.Writer, ds []deploy.PlannedDeletion) {
	var lines []string
	for _, d := range ds {
		if d.Status == "" {
			continue
		}
		for _, r := range d.Retained {
			lines = append(lines, fmt.Sprintf("  %s %s (%s): %s", d.Stack, r.LogicalID, r.Type, r.Reason))
		}
	}
	if len(lines) > 0 {
		fmt.Fprintf(w, "Retained (they outlive their stack):\n%s\n", strings.Join(lines, "\n"))
	}
}

// writeDestroyResult writes the result of each stack, what was emptied,
// retained and left behind, and what was kept.
func writeDestroyResult(w io.Writer, res *deploy.DestroyResult) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw)
	tw := tabwriter.NewWriter(bw, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STACK\tACCOUNT/REGION\tRESULT\tEMPTIED")
	counts := map[deploy.Outcome]int{}
	for _, s := range res.Stacks {
		counts[s.Outcome]++
		fmt.Fprintf(tw, "%s\t%s/%s\t%s\t%s\n", s.Stack, s.Account, s.Region, s.Outcome, orNone(strings.Join(s.Emptied, ", ")))
	}
	tw.Flush()
	var parts []string
	for _, o := range []deploy.Outcome{deploy.Deleted, deploy.Absent, deploy.Failed, deploy.Skipped, deploy.Interrupted} {
		if counts[o] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[o], o))
		}
	}
	if len(res.Kept) > 0 {
		parts = append(parts, fmt.Sprintf("%d kept", len(res.Kept)))
	}
	fmt.Fprintf(bw, "%s: %s\n", stackCount(len(res.Stacks)+len(res.Kept)), orNone(strings.Join(parts, ", ")))
	for _, s := range res.Stacks {
		if s.Outcome != deploy.Deleted {
			continue
		}
		for _, r := range s.Retained {
			fmt.Fprintf(bw, "Retained: %s %s (%s, %s) %s\n", s.Stack, r.LogicalID, r.Type, orNone(r.PhysicalID), r.Reason)
		}
		for _, r := range s.LeftBehind {
			fmt.Fprintf(bw, "Left behind: %s %s (%s, %s) %s; delete it by hand\n", s.Stack, r.LogicalID, r.Type, orNone(r.PhysicalID), r.Reason)
		}
	}
	for _, s := range res.Stacks {
		if s.Outcome == deploy.Failed || s.Outcome == deploy.Skipped {
			fmt.Fprintf(bw, "\n%s %s: %s\n", strings.ToUpper(string(s.Outcome[:1]))+string(s.Outcome[1:]), s.Stack, s.Error)
		}
	}
	for _, k := range res.Kept {
		fmt.Fprintf(bw, "Kept: %s: %s\n", k.Stack, k.Reason)
	}
	if len(res.InProgress) > 0 {
		fmt.Fprintf(bw, "\nInterrupted; still being deleted in AWS: %s (run destroy again to wait for them)\n", strings.Join(res.InProgress, ", "))
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write result: %w", err)
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
