package main

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
	"github.com/cicdgen/cicdgen/manifest"
	"github.com/cicdgen/cicdgen/schema"
)

// applyCommand is `cicdgen apply [FILE|DIR]`: deploy every stack through a
// change set, in dependency order, independent stacks in parallel.
func applyCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "apply",
		Usage:     "deploy the system through CloudFormation change sets, in dependency order",
		ArgsUsage: "[FILE|DIR]",
		Description: "Deploys FILE (a system.yaml, compiled in memory; default system.yaml) or DIR\n" +
			"(the output of cicdgen build: its manifest.json and templates). Each stack\n" +
			"goes through a change set; a stack starts when the stacks it depends on are\n" +
			"done, up to --concurrency at once across accounts and regions. An empty\n" +
			"change set means no changes. Credentials come from the AWS SDK's default\n" +
			"chain (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL_<SERVICE>, OIDC web\n" +
			"identity); other accounts are reached through their role or profile.\n\n" +
			"Exit status: 0 deployed, 1 input errors (placeholders included), 2 usage,\n" +
			"3 a stack failed, 130 interrupted. Once stacks were deployed, the status is\n" +
			"the deployment's: 3 when a stack failed and 130 when interrupted, even if\n" +
			"the summary (or --summary-json) could not be written; when every stack\n" +
			"succeeded, a summary that could not be written exits 1, with a message.",
		Flags: append(append(deployFlags(),
			&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "consent to deleting a stack left in ROLLBACK_COMPLETE to create it again, and approve the changes --require-approval asks about, without asking"},
			&cli.BoolFlag{Name: "dry-run", Usage: "show what would change (as cicdgen diff) and execute nothing"},
		), approvalFlags()...),
		Action: func(c *cli.Context) error { return runDeploy(c, env, false) },
	}
}

// deployFlags are the flags apply and diff share.
func deployFlags() []cli.Flag {
	format := diagFormatFlag()
	format.Usage += "; github also turns failed stacks into workflow annotations"
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "env", Usage: "only the stacks of environment `E` (repeatable), with the stacks they depend on"},
		&cli.StringSliceFlag{Name: "stack", Usage: "only stack `S`, by name or kind such as ecs-dev (repeatable), with the stacks it depends on"},
		&cli.BoolFlag{Name: "no-deps", Usage: "with --env or --stack: leave out the stacks the selected ones depend on"},
		&cli.IntFlag{Name: "concurrency", Value: 4, Usage: "deploy up to `N` stacks at once"},
		&cli.StringFlag{Name: "template-bucket", Usage: "upload templates over 51,200 bytes to S3 `BUCKET`"},
		&cli.StringFlag{Name: "summary-json", Usage: "also write the JSON document of --format json (docs/json.md) to `FILE`"},
		&cli.StringFlag{Name: "events", Value: string(deploy.EventsAll), Usage: "stack events shown in the progress: all, failed or none"},
		&cli.DurationFlag{Name: "poll-interval", Value: deploy.DefaultPollMin, Usage: "shortest wait between two polls of CloudFormation, a `DURATION` such as 1s; on long operations the waits grow to 3s, or to this when longer"},
		format,
		strictFlag(), maxSizeFlag(),
		colorFlag(),
	}
}

// runDeploy is apply, apply --dry-run and diff (forceDryRun).
func runDeploy(c *cli.Context, env *Env, forceDryRun bool) error {
	args, err := fileArgs(c, env, 1) // also parses the flags after FILE
	if err != nil {
		return err
	}
	if n := c.Int("concurrency"); n < 1 {
		return usageError(c, env, "invalid --concurrency %d: give 1 or more", n)
	}
	if c.Duration("poll-interval") <= 0 {
		return usageError(c, env, "invalid --poll-interval %s: give a duration such as 500ms or 2s", c.Duration("poll-interval"))
	}
	if _, err := deploy.ParseEvents(c.String("events")); err != nil {
		return usageError(c, env, "%v", err)
	}
	r, err := newReporter(c, env, formatFlagName)
	if err != nil {
		return usageError(c, env, "%v", err)
	}
	doc := newDeployDocument(forceDryRun || c.Bool("dry-run"))
	return r.conclude(doc, deployBundle(c, env, r, args[0], doc))
}

// deployBundle loads path and applies it (doc.DryRun: plans it), printing
// progress and the summary where the reporter's output goes and recording
// the result in doc.
func deployBundle(c *cli.Context, env *Env, r *reporter, path string, doc *deployDocument) error {
	b, err := loadBundle(r, path)
	if err != nil {
		return err
	}
	ctx := c.Context
	stopSecond := exitOnSecondInterrupt(ctx, env)
	defer stopSecond()

	factory, err := deploy.NewAWS(ctx, deploy.AWSOptions{Getenv: env.Getenv})
	if err != nil {
		return r.fail(exitDeployFail, "%v", err)
	}
	out := r.out()
	events, _ := deploy.ParseEvents(c.String("events")) // checked by runDeploy
	progress := deploy.NewReporterWith(out, deploy.ReporterOptions{
		Terminal: r.outIsTerminal(), Events: events, Timestamps: !r.outIsTerminal(), Width: env.Width,
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
	if ee := (exitError{}); errors.As(err, &ee) {
		return err // the review stopped it and said why
	}
	if err != nil {
		// A selection naming nothing, templates too large without
		// --template-bucket, or AWS out of reach: nothing was touched.
		if errors.As(err, new(*deploy.EndpointError)) {
			return r.fail(exitDeployFail, "%v", err)
		}
		return r.fail(exitUsage, "%v", err)
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
	if r.format == diag.FormatGitHub {
		report(deploy.WriteGitHubAnnotations(env.Stdout, res))
	}
	// The failures again on stderr, the stream for what went wrong.
	for _, s := range res.Stacks {
		if s.Outcome == deploy.Failed {
			fmt.Fprintf(env.Stderr, "cicdgen %s: stack %s (%s, %s) failed: %s\n", c.Command.Name, s.Stack, s.AccountID, s.Region, s.Error)
		}
	}
	if path := c.String("summary-json"); path != "" {
		report(writeSummaryJSON(path, r, doc))
	}
	switch {
	case res.Interrupted:
		return exitWith(exitInterrupted)
	case res.Failed():
		return exitWith(exitDeployFail)
	case writeErr != nil:
		return exitWith(exitInputErrors)
	}
	return nil
}

// writeSummaryJSON writes to path the document that --format json prints.
func writeSummaryJSON(path string, r *reporter, doc *deployDocument) error {
	summary := *doc
	summary.fill(r.command, r.kept)
	var buf bytes.Buffer
	if err := writeDocument(&buf, &summary); err != nil {
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
func loadBundle(r *reporter, path string) (*deploy.Bundle, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		b, err := deploy.LoadDir(path)
		if err != nil {
			return nil, r.fail(exitInputErrors, "%v", err)
		}
		if ps := b.Placeholders(); len(ps) > 0 {
			err := r.fail(exitInputErrors, "%s was built from a system.yaml with %s; apply refuses placeholders: write the real values in system.yaml and build again", path, diag.Plural(len(ps), "placeholder value"))
			for _, p := range ps {
				fmt.Fprintf(r.env.Stderr, "  %s\n", p)
			}
			return nil, err
		}
		return b, nil
	}
	a, ds := compileSystem(r.env, r, path)
	if err := r.emit(ds); err != nil {
		return nil, err
	}
	if a == nil {
		return nil, exitWith(exitInputErrors)
	}
	placeholders := 0
	for _, d := range ds {
		if d.Rule == schema.RulePlaceholder {
			placeholders++
		}
	}
	if placeholders > 0 {
		return nil, r.fail(exitInputErrors, "%s holds %s (listed with the diagnostics); apply refuses placeholders: replace them with real values", path, diag.Plural(placeholders, "placeholder value"))
	}
	o, err := compiler.Outputs(a, manifest.FormatJSON)
	if err != nil {
		return nil, r.fail(exitInputErrors, "%v", err)
	}
	b, err := deploy.FromOutput(o)
	if err != nil {
		return nil, r.fail(exitInputErrors, "%v", err)
	}
	return b, nil
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
			os.Exit(exitInterrupted)
		}
	})
	return func() {
		once.Do(func() { close(done) })
		wg.Wait()
	}
}
