// CloudFormation stacks: describing, listing resources, their template,
// deleting, and what tests read of them.

package fakeaws

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
)

// find returns the live stack called nameOrID, or any stack by id, after
// advancing its timeline. The caller holds mu.
func (s *Server) find(sc scope, nameOrID string) *stack {
	var st *stack
	if strings.HasPrefix(nameOrID, "arn:") {
		st = s.byID[nameOrID]
		if st != nil && st.scope != sc {
			st = nil
		}
	} else {
		st = s.stacks[sc][nameOrID]
	}
	if st != nil {
		s.advance(st)
		if st.status == "DELETE_COMPLETE" && !strings.HasPrefix(nameOrID, "arn:") {
			return nil
		}
	}
	return st
}

// advance runs the steps of the stack's timeline that are due.
func (s *Server) advance(st *stack) {
	now := s.now()
	for len(st.timeline) > 0 && !st.timeline[0].at.After(now) {
		next := st.timeline[0]
		st.timeline = st.timeline[1:]
		next.fn()
	}
}

// SetStackStatus forces the status of a stack (for states that are hard to
// reach, such as UPDATE_ROLLBACK_FAILED or UPDATE_IN_PROGRESS).
func (s *Server) SetStackStatus(account, region, name, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.find(scope{account, region}, name); st != nil {
		st.status = status
		st.reason = "set by the test"
		st.timeline = nil
	}
}

// StackInfo is what a test can read of a stack.
type StackInfo struct {
	Name, ID, Status, StatusReason string
	TerminationProtection          bool
	Parameters, Tags, Outputs      map[string]string
	Capabilities                   []string
	Resources                      []string // logical ids, sorted
	ChangeSets                     []string // names of the change sets it has
	Events                         int
}

// Stack returns the live stack called name in account and region.
func (s *Server) Stack(account, region, name string) (StackInfo, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.find(scope{account, region}, name)
	if st == nil {
		return StackInfo{}, false
	}
	info := StackInfo{Name: st.name, ID: st.id, Status: st.status, StatusReason: st.reason, TerminationProtection: st.protection,
		Parameters: copyMap(st.params), Tags: copyMap(st.tags), Outputs: map[string]string{}, Capabilities: append([]string(nil), st.caps...), Events: len(st.events)}
	for _, o := range st.outputs {
		info.Outputs[o.Key] = o.Value
	}
	for id := range st.resources {
		info.Resources = append(info.Resources, id)
	}
	sort.Strings(info.Resources)
	for _, cs := range st.changeSets {
		info.ChangeSets = append(info.ChangeSets, cs.name)
	}
	return info, true
}

// Stacks returns the names of the live stacks of account and region, sorted.
func (s *Server) Stacks(account, region string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for name := range s.stacks[scope{account, region}] {
		if s.find(scope{account, region}, name) != nil {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

func copyMap(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (s *Server) xmlStack(st *stack) xmlStack {
	x := xmlStack{StackId: st.id, StackName: st.name, CreationTime: timestamp(st.created), StackStatus: st.status,
		StackStatusReason: st.reason, Capabilities: st.caps, EnableTerminationProtection: st.protection}
	if !st.updated.IsZero() {
		x.LastUpdatedTime = timestamp(st.updated)
	}
	for _, k := range slices.Sorted(maps.Keys(st.params)) {
		x.Parameters = append(x.Parameters, xmlParam{k, st.params[k]})
	}
	for _, k := range slices.Sorted(maps.Keys(st.tags)) {
		x.Tags = append(x.Tags, xmlTag{k, st.tags[k]})
	}
	for _, o := range st.outputs {
		x.Outputs = append(x.Outputs, xmlOutput{o.Key, o.Value, o.Export})
	}
	return x
}

func (s *Server) describeStacks(sc scope, name string) (any, *apiError) {
	out := &describeStacksResult{}
	if name == "" {
		for _, n := range slices.Sorted(maps.Keys(s.stacks[sc])) {
			if st := s.find(sc, n); st != nil {
				out.Stacks = append(out.Stacks, s.xmlStack(st))
			}
		}
		return out, nil
	}
	st := s.find(sc, name)
	if st == nil || s.quirks.HiddenReview && st.status == "REVIEW_IN_PROGRESS" {
		return nil, validation("Stack with id %s does not exist", name)
	}
	out.Stacks = append(out.Stacks, s.xmlStack(st))
	return out, nil
}

// describeStackResources lists the stack's resources, and the resource its
// last operation failed on with its failed status.
func (s *Server) describeStackResources(sc scope, name string) (any, *apiError) {
	st := s.find(sc, name)
	if st == nil {
		return nil, validation("Stack with id %s does not exist", name)
	}
	out := &describeResourcesResult{}
	at := timestamp(st.updated)
	if st.updated.IsZero() {
		at = timestamp(st.created)
	}
	for _, id := range slices.Sorted(maps.Keys(st.resources)) {
		r := st.resources[id]
		out.StackResources = append(out.StackResources, xmlResource{StackName: st.name, StackId: st.id, LogicalResourceId: id,
			PhysicalResourceId: r.Physical, ResourceType: r.Type, Timestamp: at, ResourceStatus: "CREATE_COMPLETE"})
	}
	for _, e := range st.failed {
		out.StackResources = append(out.StackResources, xmlResource{StackName: st.name, StackId: st.id, LogicalResourceId: e.logical,
			ResourceType: e.typ, Timestamp: timestamp(e.at), ResourceStatus: e.status, ResourceStatusReason: e.reason})
	}
	return out, nil
}

// getTemplate returns the template of a stack as it was submitted.
func (s *Server) getTemplate(sc scope, name string) (any, *apiError) {
	st := s.find(sc, name)
	if st == nil {
		return nil, validation("Stack with id %s does not exist", name)
	}
	if st.body == "" {
		// A stack that only has a change set: AWS returns the template of
		// the change set asked for, and none without one.
		return nil, validation("Stack with id %s has no template: it was never created", name)
	}
	return &getTemplateResult{TemplateBody: st.body, StagesAvailable: []string{"Original", "Processed"}}, nil
}

// deleteStack deletes a stack as AWS does. A resource deleteBlockers names
// (ops.go) fails the deletion, which leaves the stack DELETE_FAILED with
// those resources; retain lists resources to leave behind, allowed only on
// a DELETE_FAILED stack. The caller holds mu.
func (s *Server) deleteStack(sc scope, name string, retain []string) *apiError {
	st := s.find(sc, name)
	if st == nil || st.status == "DELETE_COMPLETE" || st.status == "DELETE_IN_PROGRESS" {
		return nil
	}
	if len(retain) > 0 && st.status != "DELETE_FAILED" {
		return validation("Invalid operation on stack [%s]: RetainResources can only be specified when the stack is in the DELETE_FAILED state", st.name)
	}
	if st.protection {
		return validation("Stack [%s] cannot be deleted while TerminationProtection is enabled", st.name)
	}
	for _, id := range retain {
		if _, ok := st.resources[id]; !ok {
			return validation("Resource [%s] does not exist in stack [%s]", id, st.name)
		}
	}
	for _, id := range retain {
		delete(st.resources, id)
		s.ops.orphans[st.name] = append(s.ops.orphans[st.name], id)
	}
	blocked := s.deleteBlockers(sc, st)
	st.changeSets = nil
	t0 := s.now()
	d := s.delayOf(st.name)
	end := t0.Add(d)
	p := &planner{s: s, st: st, t: t0}
	p.stackStatus(t0, "DELETE_IN_PROGRESS", "User Initiated")
	p.at(t0, func() { st.failed = nil })
	ids := slices.Sorted(maps.Keys(st.resources))
	if len(blocked) == 0 {
		// The events of a deletion that succeeds come in reverse logical id
		// order, those of one that fails in logical id order: the orders
		// the deploy and command tests have always observed.
		slices.Reverse(ids)
	}
	var failedIDs []string
	for _, id := range ids {
		r := st.resources[id]
		if reason, ok := blocked[id]; ok {
			failedIDs = append(failedIDs, id)
			p.event(t0.Add(d/2), id, r.Physical, r.Type, "DELETE_FAILED", reason)
			continue
		}
		p.event(t0.Add(d/2), id, r.Physical, r.Type, "DELETE_COMPLETE", "")
	}
	if len(blocked) > 0 {
		p.at(end, func() {
			st.failed = nil
			for _, id := range ids {
				if reason, ok := blocked[id]; ok {
					st.failed = append(st.failed, event{logical: id, typ: st.resources[id].Type, status: "DELETE_FAILED", reason: reason, at: end})
				} else {
					delete(st.resources, id)
				}
			}
		})
		p.stackStatus(end, "DELETE_FAILED", fmt.Sprintf("The following resource(s) failed to delete: [%s]. ", strings.Join(failedIDs, ", ")))
		return nil
	}
	for _, r := range st.resources {
		if r.Type == "AWS::ECR::Repository" {
			delete(s.repos, sc.account+"/"+sc.region+"/"+r.Physical)
		}
	}
	p.stackStatus(end, "DELETE_COMPLETE", "")
	p.at(end, func() {
		st.resources = map[string]resource{}
		for _, o := range st.outputs {
			if o.Export != "" {
				delete(s.exports[sc], o.Export)
			}
		}
		if s.stacks[sc][st.name] == st {
			delete(s.stacks[sc], st.name)
		}
	})
	return nil
}
