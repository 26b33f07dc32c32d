// What tests read of the fake: the requests it served, role sessions,
// executions, and uploaded objects.

package fakeaws

// Calls returns every request served so far.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// CallCount returns how many requests of action were served.
func (s *Server) CallCount(action string) int {
	n := 0
	for _, c := range s.Calls() {
		if c.Action == action {
			n++
		}
	}
	return n
}

// Sessions returns the session names AssumeRole was called with.
func (s *Server) Sessions() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.sessions...)
}

// Executions returns every change set execution, in order.
func (s *Server) Executions() []Execution {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Execution(nil), s.executions...)
}

// MaxConcurrent returns the largest number of executions that overlapped.
func (s *Server) MaxConcurrent() int {
	ex := s.Executions()
	best := 0
	for _, a := range ex {
		n := 0
		for _, b := range ex {
			if !b.Start.After(a.Start) && b.End.After(a.Start) {
				n++
			}
		}
		best = max(best, n)
	}
	return best
}
