package deploy

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/cicdgen/cicdgen/diag"
)

// Reporter shows the progress of an apply. Its methods are called from
// several goroutines.
type Reporter interface {
	// Start is called when a stack begins.
	Start(stack string)
	// Status reports a step of a stack ("creating change set").
	Status(stack, msg string)
	// Event reports one stack event, in the order CloudFormation wrote them.
	Event(stack string, e Event)
	// Done reports a finished (or skipped) stack.
	Done(r StackResult)
	// Pause stops output (for a prompt) until the returned func is called.
	Pause() (resume func())
	// Close ends the progress display.
	Close()
}

type nopReporter struct{}

func (nopReporter) Start(string)          {}
func (nopReporter) Status(string, string) {}
func (nopReporter) Event(string, Event)   {}
func (nopReporter) Done(StackResult)      {}
func (nopReporter) Pause() func()         { return func() {} }
func (nopReporter) Close()                {}

// Events says which stack events the progress shows (apply --events).
type Events string

// The choices of Events.
const (
	EventsAll    Events = "all"    // every resource event
	EventsFailed Events = "failed" // only the events of resources that failed
	EventsNone   Events = "none"   // no events: steps and results only
)

// ParseEvents reads the value of --events.
func ParseEvents(s string) (Events, error) {
	switch e := Events(s); e {
	case EventsAll, EventsFailed, EventsNone:
		return e, nil
	}
	return "", fmt.Errorf("invalid --events %q: give all, failed or none", s)
}

// shows reports whether e is shown under the choice.
func (choice Events) shows(e Event) bool {
	switch choice {
	case EventsNone:
		return false
	case EventsFailed:
		return strings.HasSuffix(e.Status, "_FAILED")
	}
	return true
}

// ReporterOptions configures NewReporterWith.
type ReporterOptions struct {
	// Terminal picks the live view; else plain lines.
	Terminal bool
	// Now is the clock (elapsed times, timestamps); nil means time.Now.
	Now func() time.Time
	// Events says which stack events are shown; "" means all.
	Events Events
	// Timestamps starts each plain line with the time (UTC, to the
	// second), for logs that outlive the run.
	Timestamps bool
	// Width is the terminal's width in columns (live view); 0: unknown.
	Width int
}

// NewReporter returns the live view when w is a terminal, plain lines
// otherwise, showing every event, without timestamps.
func NewReporter(w io.Writer, terminal bool, now func() time.Time) Reporter {
	return NewReporterWith(w, ReporterOptions{Terminal: terminal, Now: now})
}

// NewReporterWith returns the live view or plain lines, as o says.
func NewReporterWith(w io.Writer, o ReporterOptions) Reporter {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Events == "" {
		o.Events = EventsAll
	}
	if o.Terminal {
		l := NewLiveReporter(w, o.Now)
		l.events = o.Events
		l.width = o.Width
		return l
	}
	p := NewPlainReporter(w)
	p.events = o.Events
	if o.Timestamps {
		p.now = o.Now
	}
	return p
}

// PlainReporter writes one line per event or step, for logs and CI: each
// line names its stack, and with timestamps starts with the time, so that
// the interleaved lines of many stacks stay readable.
type PlainReporter struct {
	mu     sync.Mutex
	w      io.Writer
	now    func() time.Time // nil: no timestamps
	events Events
}

// NewPlainReporter returns a PlainReporter writing to w, every event, no
// timestamps.
func NewPlainReporter(w io.Writer) *PlainReporter { return &PlainReporter{w: w, events: EventsAll} }

func (p *PlainReporter) line(stack, msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.now != nil {
		fmt.Fprintf(p.w, "%s %s: %s\n", p.now().UTC().Format("15:04:05Z"), stack, msg)
		return
	}
	fmt.Fprintf(p.w, "%s: %s\n", stack, msg)
}

// Start implements Reporter.
func (p *PlainReporter) Start(stack string) { p.line(stack, "started") }

// Status implements Reporter.
func (p *PlainReporter) Status(stack, msg string) { p.line(stack, msg) }

// Event implements Reporter.
func (p *PlainReporter) Event(stack string, e Event) {
	if p.events.shows(e) {
		p.line(stack, e.String())
	}
}

// Done implements Reporter.
func (p *PlainReporter) Done(r StackResult) { p.line(r.Stack, doneText(r)) }

// Pause implements Reporter.
func (p *PlainReporter) Pause() func() { return func() {} }

// Close implements Reporter.
func (p *PlainReporter) Close() {}

func doneText(r StackResult) string {
	s := string(r.Outcome)
	if r.Error != "" {
		s += ": " + r.Error
	} else if r.Note != "" {
		s += " (" + r.Note + ")"
	}
	return s
}

// LiveReporter redraws one line per running stack in place on a terminal
// (its latest event and elapsed time) and prints a line when a stack ends.
type LiveReporter struct {
	mu      sync.Mutex
	w       io.Writer
	now     func() time.Time
	running []string
	latest  map[string]string
	started map[string]time.Time
	drawn   int // lines of the live block on screen
	width   int // columns of the terminal; 0: unknown
	events  Events
	paused  bool
	stop    chan struct{}
	stopped chan struct{}
}

// NewLiveReporter returns a LiveReporter writing to w, redrawn every second.
func NewLiveReporter(w io.Writer, now func() time.Time) *LiveReporter {
	l := &LiveReporter{w: w, now: now, events: EventsAll, latest: map[string]string{}, started: map[string]time.Time{}, stop: make(chan struct{}), stopped: make(chan struct{})}
	go func() {
		defer close(l.stopped)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-l.stop:
				return
			case <-t.C:
				l.mu.Lock()
				l.redraw()
				l.mu.Unlock()
			}
		}
	}()
	return l
}

// clear removes the live block; the caller holds mu.
func (l *LiveReporter) clear() {
	for ; l.drawn > 0; l.drawn-- {
		fmt.Fprint(l.w, "\x1b[1A\x1b[2K")
	}
}

// redraw draws the live block again; the caller holds mu.
func (l *LiveReporter) redraw() {
	if l.paused {
		return
	}
	l.clear()
	for _, s := range l.running {
		elapsed := l.now().Sub(l.started[s]).Truncate(time.Second)
		line := fmt.Sprintf("  %-40s %6s  %s", s, elapsed, l.latest[s])
		fmt.Fprintln(l.w, truncate(line, l.width))
		l.drawn++
	}
}

// SetWidth tells the reporter how many columns the terminal has: a line of
// the live block longer than that would wrap, and the block would not be
// erased cleanly. 0 means unknown (lines are cut at 160).
func (l *LiveReporter) SetWidth(columns int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.width = columns
}

// truncate cuts line to fit in width columns (160 when width is unknown),
// short of the last column so that the terminal never wraps it.
func truncate(line string, width int) string {
	if width <= 0 {
		width = 161
	}
	room := width - 1
	runes := []rune(line)
	if len(runes) <= room {
		return line
	}
	if room <= 3 {
		return string(runes[:max(room, 0)])
	}
	return string(runes[:room-3]) + "..."
}

// Start implements Reporter.
func (l *LiveReporter) Start(stack string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.running = append(l.running, stack)
	l.started[stack] = l.now()
	l.latest[stack] = "starting"
	l.redraw()
}

// Status implements Reporter.
func (l *LiveReporter) Status(stack, msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.latest[stack] = msg
	l.redraw()
}

// Event implements Reporter.
func (l *LiveReporter) Event(stack string, e Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.events == EventsNone {
		return
	}
	l.latest[stack] = e.String()
	if strings.HasSuffix(e.Status, "_FAILED") && !l.paused {
		l.clear()
		fmt.Fprintf(l.w, "%s: %s\n", stack, e.String())
	}
	l.redraw()
}

// Done implements Reporter.
func (l *LiveReporter) Done(r StackResult) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, s := range l.running {
		if s == r.Stack {
			l.running = append(l.running[:i], l.running[i+1:]...)
			break
		}
	}
	l.clear()
	mark := "✓"
	switch r.Outcome {
	case Failed, Interrupted:
		mark = "✗"
	case Unknown:
		mark = "?"
	case Skipped:
		mark = "-"
	}
	fmt.Fprintf(l.w, "%s %s: %s\n", mark, r.Stack, doneText(r))
	l.redraw()
}

// Pause implements Reporter.
func (l *LiveReporter) Pause() func() {
	l.mu.Lock()
	l.clear()
	l.paused = true
	l.mu.Unlock()
	return func() {
		l.mu.Lock()
		l.paused = false
		l.redraw()
		l.mu.Unlock()
	}
}

// Close implements Reporter.
func (l *LiveReporter) Close() {
	select {
	case <-l.stop:
		return
	default:
	}
	close(l.stop)
	<-l.stopped
	l.mu.Lock()
	l.clear()
	l.mu.Unlock()
}

// WriteSummary writes the table of results: stack, account/region, result,
// resources changed, duration. It returns the first error writing to w.
func WriteSummary(w io.Writer, r *Result) error {
	bw := bufio.NewWriter(w) // keeps the first write error
	tw := tabwriter.NewWriter(bw, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STACK\tACCOUNT/REGION\tRESULT\tCHANGES\tDURATION")
	for _, s := range r.Stacks {
		changes := "-"
		if s.Outcome != Skipped {
			changes = fmt.Sprint(len(s.Changes))
		}
		took := "-"
		if s.Outcome != Skipped {
			took = formatDuration(s.Duration)
		}
		fmt.Fprintf(tw, "%s\t%s/%s\t%s\t%s\t%s\n", s.Stack, s.Account, s.Region, s.Outcome, changes, took)
	}
	tw.Flush()
	counts := r.Counts()
	var parts []string
	for _, o := range []Outcome{Created, Updated, Unchanged, Planned, Failed, Unknown, Skipped, Interrupted} {
		if counts[o] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[o], o))
		}
	}
	fmt.Fprintf(bw, "%s: %s\n", diag.Plural(len(r.Stacks), "stack"), strings.Join(parts, ", "))
	// Stacks failed for one cause (an endpoint out of reach, expired
	// credentials) are listed together, the cause once.
	var causes []string
	byCause := map[string][]string{}
	for _, s := range r.Stacks {
		if s.Outcome == Failed || s.Outcome == Unknown {
			k := string(s.Outcome) + "\x00" + s.Error
			if byCause[k] == nil {
				causes = append(causes, k)
			}
			byCause[k] = append(byCause[k], fmt.Sprintf("%s (%s, %s)", s.Stack, s.AccountID, s.Region))
		}
	}
	for _, k := range causes {
		outcome, msg, _ := strings.Cut(k, "\x00")
		title := "Failed"
		if Outcome(outcome) == Unknown {
			title = "Outcome unknown"
		}
		fmt.Fprintf(bw, "\n%s: %s\n  %s\n", title, strings.Join(byCause[k], ", "), msg)
	}
	var skipped []string
	for _, s := range r.Stacks {
		if s.Outcome == Skipped {
			skipped = append(skipped, s.Stack)
		}
	}
	if len(skipped) > 0 {
		fmt.Fprintf(bw, "\nSkipped (not started): %s\n", strings.Join(skipped, ", "))
	}
	if len(r.InProgress) > 0 {
		fmt.Fprintf(bw, "\nMay be still in progress in AWS (CloudFormation goes on without cicdgen; a later apply waits for them): %s\n", strings.Join(r.InProgress, ", "))
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	return nil
}

// formatDuration rounds d for the summary: tenths of a second under ten
// seconds, whole seconds above.
func formatDuration(d time.Duration) string {
	if d < 10*time.Second {
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// WriteGitHubAnnotations writes one ::error workflow command per failed
// stack, so GitHub Actions shows the failure on the run.
func WriteGitHubAnnotations(w io.Writer, r *Result) error {
	var as []diag.Annotation
	for _, s := range r.Stacks {
		if s.Outcome == Failed {
			as = append(as, diag.Annotation{Level: "error", Title: "Stack " + s.Stack + " failed", Message: s.Error})
		}
	}
	return diag.WriteAnnotations(w, as)
}

// WriteSummaryJSON writes the result's document (ApplyDocument) as
// indented JSON to the file at path.
func WriteSummaryJSON(path string, r *Result) error {
	data, err := json.MarshalIndent(r.Document(), "", "  ")
	if err != nil {
		return fmt.Errorf("encode summary: %w", err)
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	return nil
}

// WriteDocument writes doc to w as one indented JSON document (apply
// --format json). It returns the first error writing to w.
func WriteDocument(w io.Writer, doc ApplyDocument) error {
	data, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("encode result: %w", err)
	}
	if _, err := w.Write(append(data, '\n')); err != nil {
		return fmt.Errorf("write result: %w", err)
	}
	return nil
}

// WriteChanges writes the changes of each stack (diff, apply --dry-run)
// as WritePlan does, without the review of the deployed templates. It
// returns the first error writing to w.
func WriteChanges(w io.Writer, r *Result) error {
	return WritePlan(w, NewPlan(r, nil, nil), PlanStyle{})
}
