package fakeaws

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
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

type parsedTemplate struct {
	Parameters map[string]struct {
		Type    string
		Default any
	}
	Resources map[string]struct {
		Type       string
		Properties any
	}
	Outputs map[string]struct {
		Value  any
		Export *struct{ Name any }
	}
}

// --- XML shapes ---

type xmlParam struct{ ParameterKey, ParameterValue string }
type xmlTag struct{ Key, Value string }
type xmlOutput struct {
	OutputKey, OutputValue string
	ExportName             string `xml:",omitempty"`
}

type xmlStack struct {
	StackId                     string
	StackName                   string
	Parameters                  []xmlParam `xml:"Parameters>member"`
	CreationTime                string
	LastUpdatedTime             string `xml:",omitempty"`
	StackStatus                 string
	StackStatusReason           string      `xml:",omitempty"`
	Capabilities                []string    `xml:"Capabilities>member"`
	Outputs                     []xmlOutput `xml:"Outputs>member"`
	Tags                        []xmlTag    `xml:"Tags>member"`
	EnableTerminationProtection bool
}

type describeStacksResult struct {
	XMLName xml.Name   `xml:"r"`
	Stacks  []xmlStack `xml:"Stacks>member"`
}

type xmlEvent struct {
	StackId, EventId, StackName, LogicalResourceId, PhysicalResourceId, ResourceType, Timestamp, ResourceStatus string
	ResourceStatusReason                                                                                        string `xml:",omitempty"`
}

type describeEventsResult struct {
	XMLName     xml.Name   `xml:"r"`
	StackEvents []xmlEvent `xml:"StackEvents>member"`
	NextToken   string     `xml:",omitempty"`
}

type createChangeSetResult struct {
	XMLName xml.Name `xml:"r"`
	Id      string
	StackId string
}

type xmlChange struct {
	Type           string
	ResourceChange struct {
		Action             string
		LogicalResourceId  string
		PhysicalResourceId string `xml:",omitempty"`
		ResourceType       string
		Replacement        string      `xml:",omitempty"`
		Details            []xmlDetail `xml:"Details>member"` // ops.go
	}
}

type describeChangeSetResult struct {
	XMLName         xml.Name `xml:"r"`
	ChangeSetName   string
	ChangeSetId     string
	StackId         string
	StackName       string
	Description     string     `xml:",omitempty"`
	Parameters      []xmlParam `xml:"Parameters>member"`
	CreationTime    string
	ExecutionStatus string
	Status          string
	StatusReason    string      `xml:",omitempty"`
	Capabilities    []string    `xml:"Capabilities>member"`
	Tags            []xmlTag    `xml:"Tags>member"`
	Changes         []xmlChange `xml:"Changes>member"`
	NextToken       string      `xml:",omitempty"`
}

type stackIDResult struct {
	XMLName xml.Name `xml:"r"`
	StackId string
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
	case "DescribeStackResources":
		return s.describeStackResources(sc, f.Get("StackName"))
	case "DeleteStack":
		if st := s.find(sc, f.Get("StackName")); s.quirks.HiddenReview && st != nil && st.status == "REVIEW_IN_PROGRESS" {
			return nil, validation("Stack [%s] does not exist", st.name)
		}
		return nil, s.deleteStackChecked(sc, f.Get("StackName"), members(f, "RetainResources", ""))
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

type xmlResource struct {
	StackName, StackId, LogicalResourceId   string
	PhysicalResourceId                      string `xml:",omitempty"`
	ResourceType, Timestamp, ResourceStatus string
	ResourceStatusReason                    string `xml:",omitempty"`
}

type describeResourcesResult struct {
	XMLName        xml.Name      `xml:"r"`
	StackResources []xmlResource `xml:"StackResources>member"`
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

var changeSetNameRE = regexp.MustCompile(`^[a-zA-Z][-a-zA-Z0-9]{0,127}$`)

// members reads the list parameter prefix.member.N (or prefix.member.N.field).
func members(f url.Values, prefix, field string) []string {
	var out []string
	for i := 1; ; i++ {
		k := fmt.Sprintf("%s.member.%d", prefix, i)
		if field != "" {
			k += "." + field
		}
		v, ok := f[k]
		if !ok {
			return out
		}
		out = append(out, v[0])
	}
}

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
	cs.resources, cs.changes = diffResources(st, tmpl, params, tags)
	s.forceReplacements(st.name, cs.changes) // ops.go
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

// templateObject returns the S3 object a TemplateURL names (virtual-hosted
// or path-style).
func (s *Server) templateObject(raw string) ([]byte, bool) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, false
	}
	path := strings.TrimPrefix(u.Path, "/")
	host := u.Hostname()
	if i := strings.Index(host, ".s3."); i > 0 {
		path = host[:i] + "/" + path
	}
	b, ok := s.objects[path]
	return b, ok
}

func parseTemplate(body []byte) (*parsedTemplate, *apiError) {
	var t parsedTemplate
	var err error
	if trimmed := strings.TrimSpace(string(body)); strings.HasPrefix(trimmed, "{") {
		err = json.Unmarshal(body, &t)
	} else {
		err = yaml.Unmarshal(body, &t)
	}
	if err != nil {
		return nil, validation("Template format error: %v", err)
	}
	if len(t.Resources) == 0 {
		return nil, validation("Template format error: At least one Resources member must be defined.")
	}
	for id, r := range t.Resources {
		if r.Type == "" {
			return nil, validation("Template format error: [/Resources/%s] Every Resources object must contain a Type member.", id)
		}
	}
	return &t, nil
}

// checkCapabilities asks for CAPABILITY_IAM / CAPABILITY_NAMED_IAM as AWS does.
func checkCapabilities(t *parsedTemplate, caps []string) *apiError {
	has := map[string]bool{}
	for _, c := range caps {
		has[c] = true
	}
	needIAM, needNamed := false, false
	for _, r := range t.Resources {
		if !strings.HasPrefix(r.Type, "AWS::IAM::") {
			continue
		}
		needIAM = true
		props, _ := r.Properties.(map[string]any)
		for _, k := range []string{"RoleName", "UserName", "GroupName", "ManagedPolicyName"} {
			if _, ok := props[k]; ok {
				needNamed = true
			}
		}
	}
	switch {
	case needNamed && !has["CAPABILITY_NAMED_IAM"]:
		return &apiError{http.StatusBadRequest, "InsufficientCapabilitiesException", "Requires capabilities : [CAPABILITY_NAMED_IAM]"}
	case needIAM && !has["CAPABILITY_IAM"] && !has["CAPABILITY_NAMED_IAM"]:
		return &apiError{http.StatusBadRequest, "InsufficientCapabilitiesException", "Requires capabilities : [CAPABILITY_IAM]"}
	}
	return nil
}

// resolveParams replaces {"Ref": P} of a parameter P by its value.
func resolveParams(v any, params map[string]string) any {
	switch x := v.(type) {
	case map[string]any:
		if ref, ok := x["Ref"].(string); ok && len(x) == 1 {
			if p, ok := params[ref]; ok {
				return p
			}
		}
		out := map[string]any{}
		for k, e := range x {
			out[k] = resolveParams(e, params)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = resolveParams(e, params)
		}
		return out
	}
	return v
}

// diffResources returns the resources of the stack once the template is
// applied, and the changes from its current resources.
func diffResources(st *stack, t *parsedTemplate, params, tags map[string]string) (map[string]resource, []change) {
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
			if replaces(old.Props, props) {
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

// replaces reports whether a change of properties replaces the resource:
// in the fake, when a property whose name ends in "Name" changes.
func replaces(old, next any) bool {
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
		x.ResourceChange.Details = s.changeDetails(st, cs, c)
		out.Changes = append(out.Changes, x)
	}
	if next := start + len(out.Changes); next < len(cs.changes) {
		out.NextToken = strconv.Itoa(next)
	}
	return out, nil
}

func (s *Server) addEvent(st *stack, at time.Time, logical, physical, typ, status, reason string) {
	s.seq++
	st.events = append(st.events, event{id: fmt.Sprintf("%s-%s-%06d", logical, strings.ToLower(status), s.seq), logical: logical, physical: physical,
		typ: typ, status: status, reason: reason, at: at})
}

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

// setOutputs evaluates the template's outputs with fake values for
// resources and registers exports.
func (s *Server) setOutputs(st *stack) {
	st.outputs = nil
	if s.exports[st.scope] == nil {
		s.exports[st.scope] = map[string]string{}
	}
	for _, k := range slices.Sorted(maps.Keys(st.tmpl.Outputs)) {
		o := st.tmpl.Outputs[k]
		out := output{Key: k, Value: s.evaluate(st, o.Value)}
		if o.Export != nil {
			out.Export = s.evaluate(st, o.Export.Name)
			s.exports[st.scope][out.Export] = out.Value
		}
		st.outputs = append(st.outputs, out)
	}
}

// evaluate gives an intrinsic function a fake but stable value.
func (s *Server) evaluate(st *stack, v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = s.evaluate(st, e)
		}
		return strings.Join(parts, ",")
	case map[string]any:
		if ref, ok := x["Ref"].(string); ok {
			switch ref {
			case "AWS::Region":
				return st.scope.region
			case "AWS::AccountId":
				return st.scope.account
			case "AWS::StackName":
				return st.name
			case "AWS::StackId":
				return st.id
			case "AWS::Partition":
				return "aws"
			case "AWS::URLSuffix":
				return "amazonaws.com"
			}
			if p, ok := st.params[ref]; ok {
				return p
			}
			if r, ok := st.resources[ref]; ok {
				return r.Physical
			}
			return ref
		}
		if ga, ok := x["Fn::GetAtt"]; ok {
			var parts []string
			switch g := ga.(type) {
			case string:
				parts = strings.SplitN(g, ".", 2)
			case []any:
				for _, e := range g {
					parts = append(parts, s.evaluate(st, e))
				}
			}
			if len(parts) == 2 {
				return fmt.Sprintf("arn:aws:fake:%s:%s:%s/%s", st.scope.region, st.scope.account, parts[0], parts[1])
			}
		}
		if sub, ok := x["Fn::Sub"]; ok {
			text := ""
			vars := map[string]string{}
			switch y := sub.(type) {
			case string:
				text = y
			case []any:
				if len(y) > 0 {
					text, _ = y[0].(string)
				}
				if len(y) > 1 {
					if m, ok := y[1].(map[string]any); ok {
						for k, e := range m {
							vars[k] = s.evaluate(st, e)
						}
					}
				}
			}
			return regexp.MustCompile(`\$\{([^}]+)\}`).ReplaceAllStringFunc(text, func(m string) string {
				name := m[2 : len(m)-1]
				if v, ok := vars[name]; ok {
					return v
				}
				if i := strings.Index(name, "."); i > 0 {
					return s.evaluate(st, map[string]any{"Fn::GetAtt": name})
				}
				return s.evaluate(st, map[string]any{"Ref": name})
			})
		}
		if j, ok := x["Fn::Join"].([]any); ok && len(j) == 2 {
			sep, _ := j[0].(string)
			items, _ := j[1].([]any)
			parts := make([]string, len(items))
			for i, e := range items {
				parts[i] = s.evaluate(st, e)
			}
			return strings.Join(parts, sep)
		}
		if iv, ok := x["Fn::ImportValue"]; ok {
			return s.exports[st.scope][s.evaluate(st, iv)]
		}
	}
	return "fake-value"
}

func (s *Server) deleteStack(sc scope, name string) *apiError {
	st := s.find(sc, name)
	if st == nil || st.status == "DELETE_COMPLETE" || st.status == "DELETE_IN_PROGRESS" {
		return nil
	}
	if st.protection {
		return validation("Stack [%s] cannot be deleted while TerminationProtection is enabled", st.name)
	}
	st.changeSets = nil
	t0 := s.now()
	d := s.delayOf(st.name)
	p := &planner{s: s, st: st, t: t0}
	p.stackStatus(t0, "DELETE_IN_PROGRESS", "User Initiated")
	ids := slices.Sorted(maps.Keys(st.resources))
	for i := len(ids) - 1; i >= 0; i-- {
		r := st.resources[ids[i]]
		p.event(t0.Add(d/2), ids[i], r.Physical, r.Type, "DELETE_COMPLETE", "")
	}
	p.stackStatus(t0.Add(d), "DELETE_COMPLETE", "")
	p.at(t0.Add(d), func() {
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
