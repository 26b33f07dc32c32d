package deploy

// scheduler runs one job per name, each once the names it waits for are
// finished, up to limit at once: the one scheduler of Apply (a stack waits
// for what it depends on) and Destroy (a stack waits for what depends on
// it).
type scheduler struct {
	names []string // in the order jobs are considered
	limit int      // how many jobs run at once
	// waitsFor returns the names n waits for; those not among names are
	// ignored.
	waitsFor func(n string) []string
	// succeeded reports whether finished name n lets those that wait for
	// it start.
	succeeded func(n string) bool
	// skip is asked before n starts, once all it waits for are finished;
	// blocked is the last of them that did not succeed, or "". It records
	// n's outcome and returns true when n is not to start (blocked,
	// interrupted ...).
	skip func(n, blocked string) bool
	// run is n's job; it runs in a goroutine of its own.
	run func(n string)
	// finished is called, in the scheduler's goroutine, once n's job has
	// returned or n was skipped.
	finished func(n string)
}

// schedule runs the jobs and returns when every name is finished.
func (sc *scheduler) schedule() {
	among := map[string]bool{}
	for _, n := range sc.names {
		among[n] = true
	}
	done := make(chan string)
	running := 0
	started := map[string]bool{}
	finished := map[string]bool{}
	finish := func(n string) {
		finished[n] = true
		sc.finished(n)
	}
	for len(finished) < len(sc.names) {
		for _, n := range sc.names {
			if started[n] || finished[n] {
				continue
			}
			ready, blocked := true, ""
			for _, d := range sc.waitsFor(n) {
				if !among[d] {
					continue
				}
				if !finished[d] {
					ready = false
					break
				}
				if !sc.succeeded(d) {
					blocked = d
				}
			}
			if !ready {
				continue
			}
			if sc.skip(n, blocked) {
				finish(n)
				continue
			}
			if running >= sc.limit {
				continue
			}
			started[n] = true
			running++
			go func() {
				sc.run(n)
				done <- n
			}()
		}
		if len(finished) == len(sc.names) {
			break
		}
		n := <-done
		running--
		finish(n)
	}
}
