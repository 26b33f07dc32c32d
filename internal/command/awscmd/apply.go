package awscmd

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/cicdgen/cicdgen/compiler"
	"github.com/cicdgen/cicdgen/deploy"
	"github.com/cicdgen/cicdgen/diag"
	"github.com/cicdgen/cicdgen/internal/command"
	"github.com/cicdgen/cicdgen/manifest"
	"github.com/cicdgen/cicdgen/schema"
)

// applyAction runs `cicdgen apply`.
func applyAction(env *Env) cli.ActionFunc {
	return func(c *cli.Context) error { return runDeploy(c, env, false) }
}

// runDeploy is apply, apply --dry-run and diff (forceDryRun).
func runDeploy(c *cli.Context, env *Env, forceDryRun bool) error {
	var events deploy.Events
	op, err := newOperation(c, env, func() error {
		if err := checkPacing(c, env); err != nil {
			return err
		}
		var err error
		if events, err = deploy.ParseEvents(c.String("events")); err != nil {
			return command.UsageError(c, env, "%v", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	doc := newDeployDocument(forceDryRun || c.Bool("dry-run"))
	return op.r.Conclude(doc, deployBundle(c, env, op, events, doc))
}

// checkPacing checks --concurrency and --poll-interval, of apply, diff and
// destroy.
func checkPacing(c *cli.Context, env *Env) error {
	if n := c.Int("concurrency"); n < 1 {
		return command.UsageError(c, env, "invalid --concurrency %d: give 1 or more", n)
	}
	if c.Duration("poll-interval") <= 0 {
		return command.UsageError(c, env, "invalid --poll-interval %s: give a duration such as 500ms or 2s", c.Duration("poll-interval"))
	}
	return nil
}

// deployBundle loads op's system and applies it (doc.DryRun: plans it),
// printing progress (stack events as events says) and the summary where
// the reporter's output goes and recording the result in doc.
func deployBundle(c *cli.Context, env *Env, op *operation, events deploy.Events, doc *deployDocument) error {
	if err := op.load(c); err != nil {
		return err
	}
	ctx := c.Context
	stopSecond := exitOnSecondInterrupt(ctx, env)
	defer stopSecond()

	r, b, factory, out := op.r, op.bundle, op.factory, op.out
	progress := deploy.NewReporterWith(out, deploy.ReporterOptions{
		Terminal: r.OutIsTerminal(), Events: events, Timestamps: !r.OutIsTerminal(), Width: env.Width,
	})
	opts := deploy.Options{
		Selection:      deploy.Selection{Environments: c.StringSlice("env"), Stacks: c.StringSlice("stack"), NoDeps: c.Bool("no-deps")},
		Concurrency:    c.Int("concurrency"),
		DryRun:         doc.DryRun,
		Yes:            c.Bool("yes"),
		TemplateBucket: c.String("template-bucket"),
		Reporter:       progress,
		PollMin:        c.Duration("poll-interval"),
	}
	if env.StdinIsTerminal && !opts.Yes {
		// Questions go where the progress goes: stderr when stdout
		// carries a document.
		ask, stopAsking := prompter(&Env{Stdin: env.Stdin, Stdout: out})
		defer stopAsking()
		opts.Confirm = ask
	}
	// The traffic guard and the approvals, before anything executes (approval.go).
	opts.Review = func(context.Context) error { return reviewBeforeApply(c, env, r, b, factory, opts) }
	res, err := deploy.Apply(ctx, b, factory, opts)
	if ee := (command.ExitError{}); errors.As(err, &ee) {
		return err // the review stopped it and said why
	}
	if err != nil {
		// A selection naming nothing, templates too large without
		// --template-bucket, or AWS out of reach: nothing was touched.
		if errors.As(err, new(*deploy.EndpointError)) {
			return r.Fail(command.ExitDeployFail, "%v", err)
		}
		return r.Fail(command.ExitUsage, "%v", err)
	}
	doc.setResult(res)
	// From here on stacks may have changed: the exit status is the
	// deployment's outcome, whatever fails to be written about it. A
	// report that cannot be written makes a successful run exit 1, never 2
	// (usage) or 3 (a stack failed).
	var writeErr error
	report := func(err error) {
		if err != nil {
			fmt.Fprintf(env.Stderr, "cicdgen %s: %v\n", c.Command.Name, err)
			if writeErr == nil {
				writeErr = err
			}
		}
	}
	report(newline(out))
	if doc.DryRun {
		report(writePlan(c, env, r, b, factory, opts.Selection, res, doc)) // diff.go
	}
	report(deploy.WriteSummary(out, res))
	if !doc.DryRun && !res.Interrupted {
		report(writeAccessPoints(c, b, factory, opts.Selection, out)) // status.go
	}
	if r.Format == diag.FormatGitHub {
		report(deploy.WriteGitHubAnnotations(env.Stdout, res))
	}
	for _, s := range res.Stacks {
		if s.Outcome == deploy.Failed {
			writeFailedStack(env, c.Command.Name, s.Stack, s.AccountID, s.Region, "failed", s.Error)
		}
	}
	if path := c.String("summary-json"); path != "" {
		report(writeSummaryJSON(path, r, doc))
	}
	return changedExit(res.Interrupted, res.Failed(), writeErr)
}

// writeFailedStack names again on stderr, the stream for what went wrong,
// a stack that failed (what: how command says it failed).
func writeFailedStack(env *Env, command, stack, accountID, region, what, reason string) {
	fmt.Fprintf(env.Stderr, "cicdgen %s: stack %s (%s, %s) %s: %s\n", command, stack, accountID, region, what, reason)
}

// changedExit is the exit status of apply and destroy once stacks may have
// changed: the outcome of the run (130 interrupted, 3 a stack failed),
// whatever failed to be written about it; 1 when only its report
// (writeErr) failed.
func changedExit(interrupted, failed bool, writeErr error) error {
	switch {
	case interrupted:
		return command.ExitWith(command.ExitInterrupted)
	case failed:
		return command.ExitWith(command.ExitDeployFail)
	case writeErr != nil:
		return command.ExitWith(command.ExitInputErrors)
	}
	return nil
}

// writeSummaryJSON writes to path the document that --format json prints.
func writeSummaryJSON(path string, r *command.Reporter, doc *deployDocument) error {
	summary := *doc
	r.FillHeader(&summary)
	var buf bytes.Buffer
	if err := command.WriteDocument(&buf, &summary); err != nil {
		return err
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	return nil
}

// newline writes an empty line to w.
func newline(w io.Writer) error {
	if _, err := fmt.Fprintln(w); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

// loadBundle reads what to deploy: a build directory, or a system.yaml
// compiled in memory. It refuses placeholders. It reports diagnostics and
// failures through r and returns the exit error itself.
func loadBundle(r *command.Reporter, path string) (*deploy.Bundle, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		b, err := deploy.LoadDir(path)
		if err != nil {
			return nil, r.Fail(command.ExitInputErrors, "%v", err)
		}
		if ps := b.Placeholders(); len(ps) > 0 {
			err := r.Fail(command.ExitInputErrors, "%s was built from a system.yaml with %s; apply refuses placeholders: write the real values in system.yaml and build again", path, diag.Plural(len(ps), "placeholder value"))
			for _, p := range ps {
				fmt.Fprintf(r.Env.Stderr, "  %s\n", p)
			}
			return nil, err
		}
		return b, nil
	}
	a, ds, err := command.CompileAndEmit(r.Env, r, path)
	if err != nil {
		return nil, err
	}
	placeholders := 0
	for _, d := range ds {
		if d.Rule == schema.RulePlaceholder {
			placeholders++
		}
	}
	if placeholders > 0 {
		return nil, r.Fail(command.ExitInputErrors, "%s holds %s (listed with the diagnostics); apply refuses placeholders: replace them with real values", path, diag.Plural(placeholders, "placeholder value"))
	}
	b, err := bundleOf(a)
	if err != nil {
		return nil, r.Fail(command.ExitInputErrors, "%v", err)
	}
	return b, nil
}

// bundleOf is what deploy reads of the compiled assembly a: the bundle a
// build directory of it would hold, its templates in JSON.
func bundleOf(a *compiler.Assembly) (*deploy.Bundle, error) {
	o, err := compiler.Outputs(a, manifest.FormatJSON)
	if err != nil {
		return nil, err
	}
	return deploy.FromOutput(o)
}

// prompter asks yes/no questions on env.Stdout and reads the answers from
// env.Stdin. A question stops waiting when its context is done (Ctrl-C): the
// line being read then answers the next question. Stdin is read one line
// per question, never ahead; stop ends the reading goroutine (at once when
// no line is being read, else when the line being read comes), so nothing
// is left blocked once the questions are over.
func prompter(env *Env) (ask func(context.Context, string) (bool, error), stop func()) {
	type answer struct {
		line string
		err  error
	}
	var (
		mu       sync.Mutex // one question at a time; guards pending, eof
		pending  bool       // a line was asked for and not yet answered
		ended    error      // why stdin is done: every later question fails so
		start    sync.Once
		stopOnce sync.Once
		want     = make(chan struct{})  // asks the reader for a line
		lines    = make(chan answer, 1) // the line read; never blocks the reader
		quit     = make(chan struct{})
	)
	read := func() {
		in := bufio.NewReader(env.Stdin)
		for {
			select {
			case <-quit:
				return
			case <-want:
			}
			line, err := in.ReadString('\n')
			lines <- answer{line, err}
			if err != nil {
				return
			}
		}
	}
	ask = func(ctx context.Context, q string) (bool, error) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(env.Stdout, "%s [y/N] ", q)
		if ended != nil {
			return false, fmt.Errorf("read the answer: %w", ended)
		}
		if !pending {
			start.Do(func() { go read() })
			select {
			case want <- struct{}{}:
				pending = true
			case <-ctx.Done():
				fmt.Fprintln(env.Stdout)
				return false, ctx.Err()
			case <-quit:
				return false, errors.New("read the answer: the prompt is closed")
			}
		}
		var a answer
		select {
		case <-ctx.Done():
			fmt.Fprintln(env.Stdout)
			return false, ctx.Err()
		case a = <-lines:
			pending = false
		}
		if a.err != nil {
			ended = a.err // the reader is gone
			if !errors.Is(a.err, io.EOF) || a.line == "" {
				return false, fmt.Errorf("read the answer: %w", a.err)
			}
		}
		reply := strings.ToLower(strings.TrimSpace(a.line))
		return reply == "y" || reply == "yes", nil
	}
	stop = func() { stopOnce.Do(func() { close(quit) }) }
	return ask, stop
}

// exitOnSecondInterrupt watches for the interrupt that cancels ctx (the
// first Ctrl-C: apply stops waiting and cleans up) and exits at once on a
// second one. The returned func stops watching and returns once the
// watching goroutine has ended, so that nothing writes to env.Stderr after
// it.
func exitOnSecondInterrupt(ctx context.Context, env *Env) (stop func()) {
	done := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	wg.Go(func() {
		select {
		case <-done:
			return
		case <-ctx.Done():
		}
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
		defer signal.Stop(sig)
		fmt.Fprintln(env.Stderr, "cicdgen: interrupted; cleaning up and stopping (Ctrl-C again to exit at once)")
		select {
		case <-done:
		case <-sig:
			fmt.Fprintln(env.Stderr, "cicdgen: interrupted again; exiting now (stacks may still be changing in AWS)")
			os.Exit(command.ExitInterrupted)
		}
	})
	return func() {
		once.Do(func() { close(done) })
		wg.Wait()
	}
}
