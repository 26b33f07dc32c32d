// Holding requests: a test makes the fake keep the requests of an action
// unanswered until it lets them go, and reads how many it holds at once, to
// see calls made at the same time without timing them.

package fakeaws

import "context"

// holdState is what Hold keeps; its maps are made on first use, under mu.
type holdState struct {
	gates map[string]chan struct{} // action -> closed when released
	held  map[string]int           // action -> requests waiting now
}

// Hold makes the requests of action (e.g. "AssumeRole") wait, unanswered,
// until release is called or their client gives up. Held says how many
// wait.
func (s *Server) Hold(action string) (release func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.holds.gates == nil {
		s.holds.gates, s.holds.held = map[string]chan struct{}{}, map[string]int{}
	}
	gate := make(chan struct{})
	s.holds.gates[action] = gate
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.holds.gates[action] == gate {
			delete(s.holds.gates, action)
			close(gate)
		}
	}
}

// Held returns how many requests of action Hold keeps waiting now.
func (s *Server) Held(action string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.holds.held[action]
}

// waitHeld keeps a request of action while Hold holds the action. It
// reports whether the request is to be answered: false when its client
// gave up.
func (s *Server) waitHeld(ctx context.Context, action string) bool {
	s.mu.Lock()
	gate := s.holds.gates[action]
	if gate == nil {
		s.mu.Unlock()
		return true
	}
	s.holds.held[action]++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.holds.held[action]--
		s.mu.Unlock()
	}()
	select {
	case <-gate:
		return true
	case <-ctx.Done():
		return false
	}
}
