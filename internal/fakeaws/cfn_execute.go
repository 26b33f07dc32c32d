// Executing change sets: each execution plans a timeline of events and
// statuses that observations of the stack advance through.

package fakeaws

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

func (s *Server) delayOf(name string) time.Duration {
	if d, ok := s.delays[name]; ok {
		return d
	}
	return s.delay
}

// plan schedules fn at t on the stack's timeline.
type planner struct {
	s  *Server
	st *stack
	t  time.Time
}

func (p *planner) at(t time.Time, fn func()) {
	if t.Before(p.t) {
		t = p.t
	}
	p.t = t
	p.st.timeline = append(p.st.timeline, step{at: t, fn: fn})
}

func (p *planner) event(t time.Time, logical, physical, typ, status, reason string) {
	p.at(t, func() { p.s.addEvent(p.st, t, logical, physical, typ, status, reason) })
}

func (p *planner) stackStatus(t time.Time, status, reason string) {
	p.at(t, func() {
		p.st.status, p.st.reason = status, reason
		p.s.addEvent(p.st, t, p.st.name, p.st.id, "AWS::CloudFormation::Stack", status, reason)
	})
}

func (s *Server) executeChangeSet(sc scope, csName, stackName string) (any, *apiError) {
	st, cs, err := s.findChangeSet(sc, csName, stackName)
	if err != nil {
		return nil, err
	}
	if cs.status != "CREATE_COMPLETE" || cs.exec != "AVAILABLE" {
		return nil, &apiError{http.StatusBadRequest, "InvalidChangeSetStatus", fmt.Sprintf("ChangeSet [%s] cannot be executed in its current status of [%s]", cs.id, cs.status)}
	}
	if strings.HasSuffix(st.status, "_IN_PROGRESS") && st.status != "REVIEW_IN_PROGRESS" {
		return nil, validation("Stack:%s is in %s state and can not be updated.", st.id, st.status)
	}
	st.changeSets = nil // AWS deletes every change set of a stack it executes one of
	t0 := s.now().Add(s.quirks.StaleStatus)
	d := s.delayOf(st.name)
	s.executions = append(s.executions, Execution{Account: sc.account, Region: sc.region, Stack: st.name, Start: t0, End: t0.Add(d)})
	p := &planner{s: s, st: st, t: t0}
	create := cs.typ == "CREATE"
	verb := "UPDATE"
	if create {
		verb = "CREATE"
	}
	p.stackStatus(t0, verb+"_IN_PROGRESS", "User Initiated")
	p.at(t0, func() { st.failed = nil })
	var work, removes []change
	for _, c := range cs.changes {
		if c.Action == "Remove" {
			removes = append(removes, c)
		} else {
			work = append(work, c)
		}
	}
	slot := d / time.Duration(len(work)+len(removes)+1)
	oldResources := st.resources
	failedAt, reason := -1, ""
	for i, c := range work {
		if r, ok := s.failureOf(st, cs, c); ok { // ops.go
			failedAt, reason = i, r
			break
		}
	}
	done := 0
	for i, c := range work {
		if failedAt >= 0 && i > failedAt {
			break
		}
		op := "UPDATE"
		if c.Action == "Add" {
			op = "CREATE"
		}
		phys := cs.resources[c.LogicalID].Physical
		p.event(t0.Add(slot*time.Duration(i)+slot/2), c.LogicalID, phys, c.Type, op+"_IN_PROGRESS", "")
		if i == failedAt {
			p.event(t0.Add(slot*time.Duration(i+1)), c.LogicalID, phys, c.Type, op+"_FAILED", reason)
			break
		}
		p.event(t0.Add(slot*time.Duration(i+1)), c.LogicalID, phys, c.Type, op+"_COMPLETE", "")
		done++
	}
	end := t0.Add(d)
	if failedAt >= 0 {
		failed := work[failedAt]
		mid := t0.Add(slot * time.Duration(failedAt+1))
		op := "UPDATE"
		if failed.Action == "Add" {
			op = "CREATE"
		}
		p.at(mid, func() {
			st.failed = []event{{logical: failed.LogicalID, typ: failed.Type, status: op + "_FAILED", reason: reason, at: mid}}
		})
		if create {
			p.stackStatus(mid, "ROLLBACK_IN_PROGRESS", fmt.Sprintf("The following resource(s) failed to create: [%s]. Rollback requested by user.", failed.LogicalID))
			for i := failedAt; i >= 0; i-- {
				c := work[i]
				p.event(mid, c.LogicalID, cs.resources[c.LogicalID].Physical, c.Type, "DELETE_COMPLETE", "")
			}
			p.stackStatus(end, "ROLLBACK_COMPLETE", "")
			created := work[:failedAt]
			p.at(end, func() { s.keepRetained(st, cs, created); st.resources = map[string]resource{} }) // ops.go
		} else {
			p.stackStatus(mid, "UPDATE_ROLLBACK_IN_PROGRESS", fmt.Sprintf("The following resource(s) failed to update: [%s]. ", failed.LogicalID))
			p.stackStatus(end, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", "")
			p.stackStatus(end, "UPDATE_ROLLBACK_COMPLETE", "")
			p.at(end, func() { st.resources = oldResources; st.updated = end })
		}
		return nil, nil
	}
	if len(removes) > 0 {
		cleanup := t0.Add(slot * time.Duration(len(work)))
		p.stackStatus(cleanup, verb+"_COMPLETE_CLEANUP_IN_PROGRESS", "")
		for i, c := range removes {
			p.event(cleanup.Add(slot*time.Duration(i)+slot/2), c.LogicalID, c.Physical, c.Type, "DELETE_IN_PROGRESS", "")
			p.event(cleanup.Add(slot*time.Duration(i+1)), c.LogicalID, c.Physical, c.Type, "DELETE_COMPLETE", "")
		}
	}
	p.at(end, func() {
		st.resources, st.tmpl, st.body, st.params, st.tags, st.caps = cs.resources, cs.tmpl, cs.body, cs.params, cs.tags, cs.caps
		if !create {
			st.updated = end
		}
		s.setOutputs(st)
	})
	p.stackStatus(end, verb+"_COMPLETE", "")
	return nil, nil
}
