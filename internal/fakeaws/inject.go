// Failure injection and timing: throttling, failing resources, delays,
// refused roles, and the fake's clock.

package fakeaws

import (
	"net/http"
	"time"
)

// Throttle makes the next n requests fail with a throttling error.
func (s *Server) Throttle(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttle = n
}

// ThrottleEach makes every request fail with a throttling error n times in a
// row before it is answered: the same request sent again (a retry: same
// service, action, account, region and body) is throttled until it has been
// refused n times, then answered, and the count starts again. 0 turns it
// off.
func (s *Server) ThrottleEach(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttleN = n
	s.throttles = map[string]int{}
}

// FailCall makes the next n requests of action (e.g. "ExecuteChangeSet")
// fail with the error code and message, an HTTP 400, without doing
// anything.
func (s *Server) FailCall(action string, n int, code, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failCalls == nil {
		s.failCalls = map[string][]*apiError{}
	}
	for range n {
		s.failCalls[action] = append(s.failCalls[action], &apiError{http.StatusBadRequest, code, message})
	}
}

// injectedLocked returns the error FailCall set for this request of
// action, or nil; the caller holds mu.
func (s *Server) injectedLocked(action string) *apiError {
	errs := s.failCalls[action]
	if len(errs) == 0 {
		return nil
	}
	s.failCalls[action] = errs[1:]
	return errs[0]
}

// SetClock makes the fake read the time from now (stack timelines, event
// times), so that tests with a virtual clock see stacks progress with it.
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// Throttled returns how many requests were throttled.
func (s *Server) Throttled() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.throttled
}

// throttleLocked reports whether the request identified by key (its
// service, action, account, region, path and body) is throttled, as
// Throttle and ThrottleEach say; the caller holds mu.
func (s *Server) throttleLocked(key string) bool {
	if s.throttle > 0 {
		s.throttle--
		s.throttled++
		return true
	}
	if s.throttleN == 0 {
		return false
	}
	if s.throttles[key] < s.throttleN {
		s.throttles[key]++
		s.throttled++
		return true
	}
	delete(s.throttles, key)
	return false
}

// FailResource makes every operation that creates or updates the resource
// logicalID of stack fail with reason, until ClearFailures.
func (s *Server) FailResource(stack, logicalID, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fails[stack+"/"+logicalID] = reason
}

// ClearFailures forgets the resources FailResource made fail.
func (s *Server) ClearFailures() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fails = map[string]string{}
}

// SetDelay makes every operation on stack take d (all stacks when stack is "").
func (s *Server) SetDelay(stack string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if stack == "" {
		s.delay = d
		return
	}
	s.delays[stack] = d
}

// DenyRole makes AssumeRole of roleARN fail with AccessDenied.
func (s *Server) DenyRole(roleARN string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.denied[roleARN] = true
}
