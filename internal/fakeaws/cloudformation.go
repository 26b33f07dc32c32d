// CloudFormation: the dispatch of its actions and the state of a stack.

package fakeaws

import (
	"net/http"
	"time"
)

// EmptyChangeSetReason is the StatusReason AWS gives a change set without changes.
const EmptyChangeSetReason = "The submitted information didn't contain changes. Submit different information to create a change set."

// stack is one CloudFormation stack.
type stack struct {
	scope      scope
	name, id   string
	status     string
	reason     string
	created    time.Time
	updated    time.Time
	protection bool
	tmpl       *parsedTemplate
	body       string // the template as submitted (GetTemplate)
	params     map[string]string
	tags       map[string]string
	caps       []string
	resources  map[string]resource
	outputs    []output
	events     []event // oldest first
	timeline   []step  // pending changes, by time
	changeSets []*changeSet
	failed     []event // resources the last operation failed on, as DescribeStackResources lists them
}

type resource struct {
	Type     string
	Props    any // with parameter references resolved
	Physical string
}

type output struct{ Key, Value, Export string }

type event struct {
	id, logical, physical, typ, status, reason string
	at                                         time.Time
}

type step struct {
	at time.Time
	fn func()
}

// --- dispatch ---

func (s *Server) cloudFormation(req *request, action string) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sc := scope{req.account, req.region}
	f := req.form
	switch action {
	case "DescribeStacks":
		return s.describeStacks(sc, f.Get("StackName"))
	case "DescribeStackEvents":
		if s.quirks.NoStackEvents {
			break
		}
		return s.describeStackEvents(sc, f.Get("StackName"), f.Get("NextToken"))
	case "CreateChangeSet":
		return s.createChangeSet(sc, f)
	case "DescribeChangeSet":
		return s.describeChangeSet(sc, f.Get("ChangeSetName"), f.Get("StackName"), f.Get("NextToken"))
	case "ExecuteChangeSet":
		return s.executeChangeSet(sc, f.Get("ChangeSetName"), f.Get("StackName"))
	case "DeleteChangeSet":
		st, cs, err := s.findChangeSet(sc, f.Get("ChangeSetName"), f.Get("StackName"))
		if err != nil {
			return nil, err
		}
		st.dropChangeSet(cs)
		if s.quirks.HiddenReview && st.status == "REVIEW_IN_PROGRESS" && len(st.changeSets) == 0 {
			// The stack existed only through its change set.
			delete(s.stacks[sc], st.name)
		}
		return nil, nil
	case "GetTemplate":
		return s.getTemplate(sc, f.Get("StackName"))
	case "DescribeStackResources":
		return s.describeStackResources(sc, f.Get("StackName"))
	case "DeleteStack":
		if st := s.find(sc, f.Get("StackName")); s.quirks.HiddenReview && st != nil && st.status == "REVIEW_IN_PROGRESS" {
			return nil, validation("Stack [%s] does not exist", st.name)
		}
		return nil, s.deleteStack(sc, f.Get("StackName"), members(f, "RetainResources", ""))
	case "UpdateTerminationProtection":
		if s.quirks.NoTerminationProtection {
			break
		}
		st := s.find(sc, f.Get("StackName"))
		if st == nil {
			return nil, validation("Stack [%s] does not exist", f.Get("StackName"))
		}
		st.protection = f.Get("EnableTerminationProtection") == "true"
		return &stackIDResult{StackId: st.id}, nil
	}
	return nil, &apiError{http.StatusBadRequest, "InvalidAction", "fakeaws does not implement cloudformation " + action}
}
