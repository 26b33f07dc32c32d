// CloudFormation stack events.

package fakeaws

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

func (s *Server) describeStackEvents(sc scope, name, token string) (any, *apiError) {
	st := s.find(sc, name)
	if st == nil || s.quirks.HiddenReview && st.status == "REVIEW_IN_PROGRESS" {
		return nil, validation("Stack [%s] does not exist", name)
	}
	start := 0
	if token != "" {
		n, err := strconv.Atoi(token)
		if err != nil {
			return nil, validation("Invalid NextToken")
		}
		start = n
	}
	out := &describeEventsResult{}
	for n := start; n < len(st.events) && len(out.StackEvents) < s.EventPageSize; n++ {
		i := len(st.events) - 1 - n // newest first
		if s.quirks.OldestEventsFirst {
			i = n
		}
		e := st.events[i]
		x := xmlEvent{StackId: st.id, EventId: e.id, StackName: st.name, LogicalResourceId: e.logical,
			PhysicalResourceId: e.physical, ResourceType: e.typ, Timestamp: timestamp(e.at), ResourceStatus: e.status, ResourceStatusReason: e.reason}
		if s.quirks.BareEvents {
			x.EventId, x.PhysicalResourceId = "", ""
		}
		out.StackEvents = append(out.StackEvents, x)
	}
	if next := start + len(out.StackEvents); next < len(st.events) {
		out.NextToken = strconv.Itoa(next)
	}
	return out, nil
}

func (s *Server) addEvent(st *stack, at time.Time, logical, physical, typ, status, reason string) {
	s.seq++
	st.events = append(st.events, event{id: fmt.Sprintf("%s-%s-%06d", logical, strings.ToLower(status), s.seq), logical: logical, physical: physical,
		typ: typ, status: status, reason: reason, at: at})
}
