// CloudFormation change sets: creating, describing and finding them, and
// the resource changes they list.

package fakeaws

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

type changeSet struct {
	id, name, typ        string
	status, reason, exec string
	created              time.Time
	tmpl                 *parsedTemplate
	body                 string
	params, tags         map[string]string
	caps                 []string
	changes              []change
	resources            map[string]resource // the stack's resources once executed
	pending              int                 // describes left before it shows its status (Quirks.PendingChangeSets)
}

type change struct{ Action, LogicalID, Type, Replacement, Physical string }

var changeSetNameRE = regexp.MustCompile(`^[a-zA-Z][-a-zA-Z0-9]{0,127}$`)

func (s *Server) createChangeSet(sc scope, f url.Values) (any, *apiError) {
	name, csName := f.Get("StackName"), f.Get("ChangeSetName")
	typ := f.Get("ChangeSetType")
	if typ == "" {
		typ = "UPDATE"
	}
	if !changeSetNameRE.MatchString(csName) {
		return nil, validation("1 validation error detected: Value '%s' at 'changeSetName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*", csName)
	}
	var body []byte
	switch {
	case f.Get("TemplateBody") != "":
		body = []byte(f.Get("TemplateBody"))
	case f.Get("TemplateURL") != "":
		obj, ok := s.templateObject(f.Get("TemplateURL"))
		if !ok {
			return nil, validation("S3 error: Access Denied or the object %s does not exist", f.Get("TemplateURL"))
		}
		body = obj
	default:
		return nil, validation("Either Template URL or Template Body must be specified.")
	}
	if len(body) > 51200 && f.Get("TemplateBody") != "" {
		return nil, validation("1 validation error detected: Value '...' at 'templateBody' failed to satisfy constraint: Member must have length less than or equal to 51200")
	}
	tmpl, perr := parseTemplate(body)
	if perr != nil {
		return nil, perr
	}
	caps := members(f, "Capabilities", "")
	if err := checkCapabilities(tmpl, caps); err != nil {
		return nil, err
	}
	st := s.find(sc, name)
	params := map[string]string{}
	for i := 1; ; i++ {
		prefix := fmt.Sprintf("Parameters.member.%d.", i)
		k := f.Get(prefix + "ParameterKey")
		if k == "" {
			break
		}
		if _, ok := tmpl.Parameters[k]; !ok {
			return nil, validation("Parameters: [%s] do not exist in the template", k)
		}
		if f.Get(prefix+"UsePreviousValue") != "true" {
			params[k] = f.Get(prefix + "ParameterValue")
			continue
		}
		var prev string
		ok := st != nil
		if ok {
			prev, ok = st.params[k]
		}
		if !ok {
			return nil, validation("Invalid input for parameter key %s. Cannot specify usePreviousValue as true for non-existing parameter key", k)
		}
		params[k] = prev
	}
	var missing []string
	for _, k := range slices.Sorted(maps.Keys(tmpl.Parameters)) {
		if _, ok := params[k]; !ok {
			if d := tmpl.Parameters[k].Default; d != nil {
				params[k] = fmt.Sprint(d)
			} else {
				missing = append(missing, k)
			}
		}
	}
	if len(missing) > 0 {
		return nil, validation("Parameters: [%s] must have values", strings.Join(missing, ", "))
	}
	tags := map[string]string{}
	tkeys, tvalues := members(f, "Tags", "Key"), members(f, "Tags", "Value")
	for i, k := range tkeys {
		if i < len(tvalues) {
			tags[k] = tvalues[i]
		}
	}

	switch typ {
	case "CREATE":
		if st != nil && st.status != "REVIEW_IN_PROGRESS" {
			return nil, &apiError{http.StatusBadRequest, "AlreadyExistsException", fmt.Sprintf("Stack [%s] already exists and cannot be created again with the changeSet [%s].", name, csName)}
		}
		if st == nil {
			s.seq++
			now := s.now()
			st = &stack{scope: sc, name: name, id: fmt.Sprintf("arn:aws:cloudformation:%s:%s:stack/%s/fake-%06d", sc.region, sc.account, name, s.seq),
				status: "REVIEW_IN_PROGRESS", created: now, resources: map[string]resource{}, params: map[string]string{}, tags: map[string]string{}}
			if s.stacks[sc] == nil {
				s.stacks[sc] = map[string]*stack{}
			}
			s.stacks[sc][name] = st
			s.byID[st.id] = st
			s.addEvent(st, now, st.name, st.id, "AWS::CloudFormation::Stack", "REVIEW_IN_PROGRESS", "User Initiated")
		}
	case "UPDATE":
		if st == nil {
			return nil, validation("Stack [%s] does not exist", name)
		}
		if !updatable(st.status) {
			return nil, validation("Stack:%s is in %s state and can not be updated.", st.id, st.status)
		}
	default:
		return nil, validation("ChangeSetType %s is not supported by fakeaws", typ)
	}
	for _, cs := range st.changeSets {
		if cs.name == csName {
			return nil, &apiError{http.StatusBadRequest, "AlreadyExistsException", fmt.Sprintf("ChangeSet [%s] already exists", csName)}
		}
	}
	s.seq++
	cs := &changeSet{id: fmt.Sprintf("arn:aws:cloudformation:%s:%s:changeSet/%s/fake-%06d", sc.region, sc.account, csName, s.seq),
		name: csName, typ: typ, created: s.now(), tmpl: tmpl, body: string(body), params: params, tags: tags, caps: caps, exec: "AVAILABLE", status: "CREATE_COMPLETE"}
	cs.resources, cs.changes = s.diffResources(st, tmpl, params, tags)
	if typ == "UPDATE" && len(cs.changes) == 0 {
		cs.status, cs.reason, cs.exec = "FAILED", EmptyChangeSetReason, "UNAVAILABLE"
		if s.quirks.EmptyChangeSetReason != "" {
			cs.reason = s.quirks.EmptyChangeSetReason
		}
	}
	cs.pending = s.quirks.PendingChangeSets
	st.changeSets = append(st.changeSets, cs)
	if s.quirks.NoChangeSetID {
		return &createChangeSetResult{}, nil
	}
	return &createChangeSetResult{Id: cs.id, StackId: st.id}, nil
}

func updatable(status string) bool {
	switch status {
	case "CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE", "IMPORT_ROLLBACK_COMPLETE":
		return true
	}
	return false
}

// diffResources returns the resources of the stack once the template is
// applied, and the changes from its current resources. The caller holds
// mu.
func (s *Server) diffResources(st *stack, t *parsedTemplate, params, tags map[string]string) (map[string]resource, []change) {
	next := map[string]resource{}
	var changes []change
	tagsChanged := !reflect.DeepEqual(tags, st.tags) && len(st.resources) > 0
	for _, id := range slices.Sorted(maps.Keys(t.Resources)) {
		r := t.Resources[id]
		props := resolveParams(r.Properties, params)
		old, ok := st.resources[id]
		switch {
		case !ok:
			next[id] = resource{Type: r.Type, Props: props, Physical: fmt.Sprintf("%s-%s-fake", st.name, id)}
			changes = append(changes, change{Action: "Add", LogicalID: id, Type: r.Type})
		case old.Type != r.Type:
			next[id] = resource{Type: r.Type, Props: props, Physical: old.Physical + "-r"}
			changes = append(changes, change{Action: "Modify", LogicalID: id, Type: r.Type, Replacement: "True", Physical: old.Physical})
		case !reflect.DeepEqual(old.Props, props) || tagsChanged:
			next[id] = resource{Type: r.Type, Props: props, Physical: old.Physical}
			repl := "False"
			if s.replaces(st, id, old.Props, props) {
				repl = "True"
			}
			changes = append(changes, change{Action: "Modify", LogicalID: id, Type: r.Type, Replacement: repl, Physical: old.Physical})
		default:
			next[id] = old
		}
	}
	for _, id := range slices.Sorted(maps.Keys(st.resources)) {
		if _, ok := t.Resources[id]; !ok {
			changes = append(changes, change{Action: "Remove", LogicalID: id, Type: st.resources[id].Type, Physical: st.resources[id].Physical})
		}
	}
	return next, changes
}

// replaces reports whether a modification of the resource logicalID of st,
// from the properties old to next, replaces it: always when
// ForceReplacement names the resource (ops.go), else when a property whose
// name ends in "Name" changes. A change's Replacement and its details'
// RequiresRecreation both come from it. The caller holds mu.
func (s *Server) replaces(st *stack, logicalID string, old, next any) bool {
	return s.ops.replace[st.name+"/"+logicalID] || namesChange(old, next)
}

// namesChange reports whether a property whose name ends in "Name" differs
// between the properties old and next.
func namesChange(old, next any) bool {
	o, _ := old.(map[string]any)
	n, _ := next.(map[string]any)
	for k := range n {
		if strings.HasSuffix(k, "Name") && !reflect.DeepEqual(o[k], n[k]) {
			return true
		}
	}
	for k := range o {
		if _, ok := n[k]; !ok && strings.HasSuffix(k, "Name") {
			return true
		}
	}
	return false
}

func (s *Server) findChangeSet(sc scope, csName, stackName string) (*stack, *changeSet, *apiError) {
	if strings.HasPrefix(csName, "arn:") {
		for _, st := range s.byID {
			if st.scope != sc {
				continue
			}
			s.advance(st)
			for _, cs := range st.changeSets {
				if cs.id == csName {
					return st, cs, nil
				}
			}
		}
		return nil, nil, &apiError{http.StatusNotFound, "ChangeSetNotFound", fmt.Sprintf("ChangeSet [%s] does not exist", csName)}
	}
	st := s.find(sc, stackName)
	if st != nil {
		for _, cs := range st.changeSets {
			if cs.name == csName {
				return st, cs, nil
			}
		}
	}
	return nil, nil, &apiError{http.StatusNotFound, "ChangeSetNotFound", fmt.Sprintf("ChangeSet [%s] does not exist", csName)}
}

func (st *stack) dropChangeSet(cs *changeSet) {
	for i, c := range st.changeSets {
		if c == cs {
			st.changeSets = append(st.changeSets[:i], st.changeSets[i+1:]...)
			return
		}
	}
}

func (s *Server) describeChangeSet(sc scope, csName, stackName, token string) (any, *apiError) {
	st, cs, err := s.findChangeSet(sc, csName, stackName)
	if err != nil {
		return nil, err
	}
	out := &describeChangeSetResult{ChangeSetName: cs.name, ChangeSetId: cs.id, StackId: st.id, StackName: st.name, CreationTime: timestamp(cs.created),
		ExecutionStatus: cs.exec, Status: cs.status, StatusReason: cs.reason, Capabilities: cs.caps}
	if cs.pending > 0 {
		out.Status, out.StatusReason, out.ExecutionStatus = "CREATE_IN_PROGRESS", "", "UNAVAILABLE"
		if cs.pending > 1 {
			out.Status = "CREATE_PENDING"
		}
		cs.pending--
		return out, nil
	}
	for _, k := range slices.Sorted(maps.Keys(cs.params)) {
		out.Parameters = append(out.Parameters, xmlParam{k, cs.params[k]})
	}
	for _, k := range slices.Sorted(maps.Keys(cs.tags)) {
		out.Tags = append(out.Tags, xmlTag{k, cs.tags[k]})
	}
	start := 0
	if token != "" {
		start, _ = strconv.Atoi(token)
	}
	for i := start; i < len(cs.changes) && len(out.Changes) < s.ChangePageSize && !s.quirks.NoChanges; i++ {
		c := cs.changes[i]
		var x xmlChange
		x.Type = "Resource"
		x.ResourceChange.Action, x.ResourceChange.LogicalResourceId, x.ResourceChange.ResourceType = c.Action, c.LogicalID, c.Type
		x.ResourceChange.PhysicalResourceId, x.ResourceChange.Replacement = c.Physical, c.Replacement
		x.ResourceChange.Details = s.changeDetails(st, cs, c) // ops.go
		out.Changes = append(out.Changes, x)
	}
	if next := start + len(out.Changes); next < len(cs.changes) {
		out.NextToken = strconv.Itoa(next)
	}
	return out, nil
}
