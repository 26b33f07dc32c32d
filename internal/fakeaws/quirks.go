package fakeaws

import "time"

// Quirks make the fake answer like a simpler or different implementation of
// the same APIs (another fake, an emulator, an older region), so that tests
// can check that cicdgen relies only on what every implementation does. The
// zero value is the fake's ordinary, AWS-like behaviour.
type Quirks struct {
	// NoStackEvents: DescribeStackEvents is not implemented.
	NoStackEvents bool
	// OldestEventsFirst: DescribeStackEvents lists events oldest first
	// (AWS lists them newest first).
	OldestEventsFirst bool
	// BareEvents: events carry no EventId and no PhysicalResourceId.
	BareEvents bool
	// NoChangeSetID: CreateChangeSet answers without an Id or StackId.
	NoChangeSetID bool
	// NoChanges: DescribeChangeSet lists no Changes.
	NoChanges bool
	// PendingChangeSets is how many DescribeChangeSet calls see a new
	// change set CREATE_PENDING, then CREATE_IN_PROGRESS, before it is
	// ready (0: it is ready at once).
	PendingChangeSets int
	// EmptyChangeSetReason replaces the StatusReason of a change set
	// without changes ("" keeps the reason AWS gives).
	EmptyChangeSetReason string
	// NoTerminationProtection: UpdateTerminationProtection is not
	// implemented.
	NoTerminationProtection bool
	// Caller is the account GetCallerIdentity returns, whatever the
	// credentials ("" is the credentials' account). AssumeRole still
	// returns credentials of the role's account.
	Caller string
	// NoCallerIdentity: GetCallerIdentity is not implemented.
	NoCallerIdentity bool
	// HiddenReview: a stack that only has a change set (REVIEW_IN_PROGRESS)
	// is not shown: DescribeStacks, DescribeStackEvents and DeleteStack say
	// it does not exist, and deleting its last change set removes it (an
	// implementation that creates stacks when their change set runs).
	HiddenReview bool
	// StaleStatus is how long DescribeStacks keeps showing the status a
	// stack had before ExecuteChangeSet (an implementation that starts
	// executions in the background).
	StaleStatus time.Duration
}

// SetQuirks changes how the fake answers from now on.
func (s *Server) SetQuirks(q Quirks) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.quirks = q
}

// SetLatency makes every request of action (e.g. "CreateChangeSet") take d
// before it is answered, or until the client goes away.
func (s *Server) SetLatency(action string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency[action] = d
}
