package fakeaws

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"
)

// The calls that status, destroy and preflight make, beside the ones apply
// makes: CloudFormation DeleteStack's failures (deleteStack and GetTemplate
// are in cfn_stacks.go), S3 object
// versions (ListObjectVersions, DeleteObjects), ECR ListImages and
// BatchDeleteImage, Secrets Manager ListSecretVersionIds, SSM GetParameter
// and CodePipeline GetPipelineState.

// opsState is the state of those services. It is guarded by Server.mu.
type opsState struct {
	versions   map[string][]objectVersion // bucket -> versions and delete markers, oldest first
	params     map[string]string          // account/region/name -> SSM parameter value
	pipelines  map[string][]StageState    // account/region/name -> stages
	deleteFail map[string]string          // stack/logicalID -> reason DeleteStack fails it with
	orphans    map[string][]string        // stack -> logical ids retained by RetainResources
	replace    map[string]bool            // stack/logicalID -> a Modify of it replaces it
	taken      map[string]string          // account/region/physical id -> the stack that left it behind
	versionSeq int
}

func newOpsState() *opsState {
	return &opsState{
		versions: map[string][]objectVersion{}, params: map[string]string{}, pipelines: map[string][]StageState{},
		deleteFail: map[string]string{}, orphans: map[string][]string{}, replace: map[string]bool{},
		taken: map[string]string{},
	}
}

// objectVersion is one version of an S3 object, or a delete marker.
type objectVersion struct {
	key, id      string
	deleteMarker bool
}

// StageState is the last execution of a pipeline stage, as GetPipelineState
// reports it.
type StageState struct {
	Name        string
	Status      string // InProgress, Succeeded, Failed, Stopped, Cancelled; "" never ran
	ExecutionID string
	Updated     time.Time
}

// --- configuration and inspection ---

// PutObjectVersions adds n versions of the object key to bucket (which the
// fake then holds as a versioned bucket), and a delete marker on top when
// deleteMarker is set.
func (s *Server) PutObjectVersions(bucket, key string, n int, deleteMarker bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := 0; i < n; i++ {
		s.ops.versionSeq++
		s.ops.versions[bucket] = append(s.ops.versions[bucket], objectVersion{key: key, id: fmt.Sprintf("v%06d", s.ops.versionSeq)})
	}
	if deleteMarker {
		s.ops.versionSeq++
		s.ops.versions[bucket] = append(s.ops.versions[bucket], objectVersion{key: key, id: fmt.Sprintf("v%06d", s.ops.versionSeq), deleteMarker: true})
	}
}

// ObjectVersions returns how many object versions and delete markers bucket
// holds, with the objects PutObject wrote to it.
func (s *Server) ObjectVersions(bucket string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bucketSize(bucket)
}

// bucketSize counts the versions and objects of bucket. The caller holds mu.
func (s *Server) bucketSize(bucket string) int {
	n := len(s.ops.versions[bucket])
	for k := range s.objects {
		if strings.HasPrefix(k, bucket+"/") {
			n++
		}
	}
	return n
}

// PutParameter sets an SSM parameter.
func (s *Server) PutParameter(account, region, name, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ops.params[account+"/"+region+"/"+name] = value
}

// DeleteParameter deletes an SSM parameter.
func (s *Server) DeleteParameter(account, region, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.ops.params, account+"/"+region+"/"+name)
}

// SetPipelineState sets what GetPipelineState returns for the pipeline name.
func (s *Server) SetPipelineState(account, region, name string, stages []StageState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ops.pipelines[account+"/"+region+"/"+name] = append([]StageState(nil), stages...)
}

// FailDelete makes DeleteStack of stack leave it DELETE_FAILED on the
// resource logicalID, with reason, until the resource is retained
// (RetainResources).
func (s *Server) FailDelete(stack, logicalID, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ops.deleteFail[stack+"/"+logicalID] = reason
}

// Orphans returns the logical ids of stack's resources that a DeleteStack
// with RetainResources left behind.
func (s *Server) Orphans(stack string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.ops.orphans[stack]...)
}

// ForceReplacement makes every change set that modifies the resource
// logicalID of stack report its replacement (Replacement True), as AWS does
// for a property that cannot be updated in place.
func (s *Server) ForceReplacement(stack, logicalID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ops.replace[stack+"/"+logicalID] = true
}

// PhysicalID returns the physical id of a resource of a live stack.
func (s *Server) PhysicalID(account, region, stack, logicalID string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.find(scope{account, region}, stack)
	if st == nil {
		return "", false
	}
	r, ok := st.resources[logicalID]
	return r.Physical, ok
}

// --- serving ---

// opsJSON answers the awsJson calls of this file, for jsonService. The
// caller holds mu.
func (s *Server) opsJSON(req *request, action string, in map[string]any, str func(string) string) (any, *apiError) {
	where := req.account + "/" + req.region + "/"
	switch req.service + "." + action {
	case "ecr.ListImages":
		tags, aerr := s.repository(req, str("repositoryName"))
		if aerr != nil {
			return nil, aerr
		}
		var ids []any
		for _, t := range slices.Sorted(maps.Keys(tags)) {
			ids = append(ids, map[string]any{"imageTag": t, "imageDigest": "sha256:" + fmt.Sprintf("%064x", len(t))})
		}
		return map[string]any{"imageIds": ids}, nil
	case "ecr.BatchDeleteImage":
		tags, aerr := s.repository(req, str("repositoryName"))
		if aerr != nil {
			return nil, aerr
		}
		var deleted []any
		ids, _ := in["imageIds"].([]any)
		for _, id := range ids {
			m, _ := id.(map[string]any)
			tag, _ := m["imageTag"].(string)
			if tags[tag] {
				delete(tags, tag)
				deleted = append(deleted, map[string]any{"imageTag": tag})
			}
		}
		return map[string]any{"imageIds": deleted, "failures": []any{}}, nil
	case "secretsmanager.ListSecretVersionIds":
		name, arn, has, aerr := s.secret(req, str("SecretId"))
		if aerr != nil {
			return nil, aerr
		}
		versions := []any{}
		if has {
			versions = append(versions, map[string]any{"VersionId": "00000000-0000-0000-0000-000000000001", "VersionStages": []string{"AWSCURRENT"}})
		}
		return map[string]any{"ARN": arn, "Name": name, "Versions": versions}, nil
	case "ssm.GetParameter":
		name := str("Name")
		v, ok := s.ops.params[where+name]
		if !ok {
			return nil, &apiError{http.StatusBadRequest, "ParameterNotFound", ""}
		}
		return map[string]any{"Parameter": map[string]any{"Name": name, "Type": "String", "Value": v, "Version": 1,
			"ARN": fmt.Sprintf("arn:aws:ssm:%s:%s:parameter/%s", req.region, req.account, strings.TrimPrefix(name, "/"))}}, nil
	case "codepipeline.GetPipelineState":
		name := str("name")
		stages, ok := s.ops.pipelines[where+name]
		if !ok {
			return nil, &apiError{http.StatusBadRequest, "PipelineNotFoundException", fmt.Sprintf("Account '%s' does not have a pipeline with name '%s'", req.account, name)}
		}
		var out []any
		for _, st := range stages {
			state := map[string]any{"stageName": st.Name}
			if st.Status != "" {
				state["latestExecution"] = map[string]any{"pipelineExecutionId": st.ExecutionID, "status": st.Status}
				state["actionStates"] = []any{map[string]any{"actionName": st.Name, "latestExecution": map[string]any{
					"status": st.Status, "lastStatusChange": float64(st.Updated.Unix()),
				}}}
			}
			out = append(out, state)
		}
		return map[string]any{"pipelineName": name, "pipelineVersion": 1, "stageStates": out}, nil
	}
	return nil, &apiError{http.StatusBadRequest, "UnknownOperationException", "fakeaws does not implement " + req.service + " " + action}
}

// repository returns the image tags of an ECR repository of the request's
// account and region. The caller holds mu.
func (s *Server) repository(req *request, repo string) (map[string]bool, *apiError) {
	tags, ok := s.repos[req.account+"/"+req.region+"/"+repo]
	if !ok {
		return nil, &apiError{http.StatusBadRequest, "RepositoryNotFoundException", fmt.Sprintf("The repository with name '%s' does not exist in the registry with id '%s'", repo, req.account)}
	}
	return tags, nil
}

// --- S3 object versions (REST-XML, path-style) ---

type listVersionsResult struct {
	XMLName             xml.Name `xml:"ListVersionsResult"`
	Name                string
	IsTruncated         bool
	MaxKeys             int
	Versions            []xmlVersion `xml:"Version"`
	DeleteMarkers       []xmlVersion `xml:"DeleteMarker"`
	NextKeyMarker       string       `xml:",omitempty"`
	NextVersionIdMarker string       `xml:",omitempty"`
}

type xmlVersion struct {
	Key          string
	VersionId    string
	IsLatest     bool
	LastModified string
}

type deleteRequest struct {
	Objects []struct {
		Key       string
		VersionId string
	} `xml:"Object"`
}

type deleteResult struct {
	XMLName xml.Name `xml:"DeleteResult"`
	Deleted []struct {
		Key       string
		VersionId string `xml:",omitempty"`
	} `xml:"Deleted"`
}

// serveS3Versions serves ListObjectVersions (GET /bucket?versions) and
// DeleteObjects (POST /bucket?delete).
func (s *Server) serveS3Versions(w http.ResponseWriter, req *request) bool {
	q := req.URL.Query()
	bucket := strings.Trim(req.URL.Path, "/")
	if strings.Contains(bucket, "/") {
		return false
	}
	write := func(v any) {
		data, err := xml.Marshal(v)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/xml")
		w.Write([]byte(xml.Header))
		w.Write(data)
	}
	switch {
	case req.Method == http.MethodGet && q.Has("versions"):
		s.mu.Lock()
		if !s.bucketKnown(bucket) {
			s.mu.Unlock() // fail takes mu for the request id
			s.fail(w, req, http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist")
			return true
		}
		defer s.mu.Unlock()
		// One page at a time (of at most MaxKeys, default 2 here to page),
		// from the entry after the markers.
		all := s.bucketEntries(bucket)
		start := 0
		if km := q.Get("key-marker"); km != "" {
			for i, v := range all {
				if v.key == km && v.id == q.Get("version-id-marker") {
					start = i + 1
				}
			}
		}
		const page = 2
		out := &listVersionsResult{Name: bucket, MaxKeys: page}
		end := min(start+page, len(all))
		latest := map[string]string{}
		for _, v := range all {
			latest[v.key] = v.id
		}
		for _, v := range all[start:end] {
			x := xmlVersion{Key: v.key, VersionId: v.id, IsLatest: latest[v.key] == v.id, LastModified: timestamp(s.now())}
			if v.deleteMarker {
				out.DeleteMarkers = append(out.DeleteMarkers, x)
			} else {
				out.Versions = append(out.Versions, x)
			}
		}
		if end < len(all) {
			out.IsTruncated = true
			out.NextKeyMarker, out.NextVersionIdMarker = all[end-1].key, all[end-1].id
		}
		write(out)
		return true
	case req.Method == http.MethodPost && q.Has("delete"):
		var in deleteRequest
		if err := xml.Unmarshal(req.body, &in); err != nil {
			s.fail(w, req, http.StatusBadRequest, "MalformedXML", err.Error())
			return true
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		out := &deleteResult{}
		for _, o := range in.Objects {
			if o.VersionId == "null" || o.VersionId == "" {
				delete(s.objects, bucket+"/"+o.Key)
			}
			vs := s.ops.versions[bucket]
			for i, v := range vs {
				if v.key == o.Key && v.id == o.VersionId {
					s.ops.versions[bucket] = append(vs[:i:i], vs[i+1:]...)
					break
				}
			}
			out.Deleted = append(out.Deleted, struct {
				Key       string
				VersionId string `xml:",omitempty"`
			}{o.Key, o.VersionId})
		}
		write(out)
		return true
	}
	return false
}

// bucketKnown reports whether the fake knows bucket: it holds versions or
// objects, or is a live stack's bucket. The caller holds mu.
func (s *Server) bucketKnown(bucket string) bool {
	if s.bucketSize(bucket) > 0 {
		return true
	}
	for _, stacks := range s.stacks {
		for _, st := range stacks {
			for _, r := range st.resources {
				if r.Type == "AWS::S3::Bucket" && r.Physical == bucket {
					return true
				}
			}
		}
	}
	return false
}

// bucketEntries lists the versions of bucket, the objects PutObject wrote
// (version "null") first, sorted by key then age. The caller holds mu.
func (s *Server) bucketEntries(bucket string) []objectVersion {
	var out []objectVersion
	for _, k := range slices.Sorted(maps.Keys(s.objects)) {
		if key, ok := strings.CutPrefix(k, bucket+"/"); ok {
			out = append(out, objectVersion{key: key, id: "null"})
		}
	}
	vs := append([]objectVersion(nil), s.ops.versions[bucket]...)
	sort.SliceStable(vs, func(i, j int) bool { return vs[i].key < vs[j].key })
	return append(out, vs...)
}

// --- DeleteStack, as AWS fails it ---

// deleteBlockers returns the resources of st whose deletion fails, with
// the reason AWS gives: a bucket that holds objects, a repository that
// holds images (without EmptyOnDelete) and a resource FailDelete names.
// The caller holds mu.
func (s *Server) deleteBlockers(sc scope, st *stack) map[string]string {
	blocked := map[string]string{}
	for id, r := range st.resources {
		if reason, ok := s.ops.deleteFail[st.name+"/"+id]; ok {
			blocked[id] = reason
			continue
		}
		switch r.Type {
		case "AWS::S3::Bucket":
			if s.bucketSize(r.Physical) > 0 {
				blocked[id] = fmt.Sprintf("The bucket you tried to delete is not empty. You must delete all versions in the bucket. (Service: S3, Status Code: 409, Bucket: %s)", r.Physical)
			}
		case "AWS::ECR::Repository":
			props, _ := r.Props.(map[string]any)
			if empty, _ := props["EmptyOnDelete"].(bool); !empty && len(s.repos[sc.account+"/"+sc.region+"/"+r.Physical]) > 0 {
				blocked[id] = fmt.Sprintf("The repository with name '%s' in registry with id '%s' cannot be deleted because it still contains images", r.Physical, sc.account)
			}
		}
	}
	return blocked
}

// --- property-level changes of a change set ---

// xmlDetail is a ResourceChangeDetail.
type xmlDetail struct {
	Evaluation   string
	ChangeSource string
	Target       struct {
		Attribute           string
		Name                string `xml:",omitempty"`
		RequiresRecreation  string
		AttributeChangeType string `xml:",omitempty"`
		BeforeValue         string `xml:",omitempty"`
		AfterValue          string `xml:",omitempty"`
	}
}

// changeDetails lists the property changes of a Modify, as a change set
// described with IncludePropertyValues shows them: one per top-level
// property that differs (replacing the resource when replaces says so),
// and Tags when the stack's tags change. The caller holds mu.
func (s *Server) changeDetails(st *stack, cs *changeSet, c change) []xmlDetail {
	if c.Action != "Modify" {
		return nil
	}
	oldProps, _ := st.resources[c.LogicalID].Props.(map[string]any)
	newProps, _ := cs.resources[c.LogicalID].Props.(map[string]any)
	var out []xmlDetail
	names := map[string]bool{}
	for k := range oldProps {
		names[k] = true
	}
	for k := range newProps {
		names[k] = true
	}
	for _, k := range slices.Sorted(maps.Keys(names)) {
		before, hadBefore := oldProps[k]
		after, hasAfter := newProps[k]
		if reflect.DeepEqual(before, after) {
			continue
		}
		var d xmlDetail
		d.Evaluation, d.ChangeSource = "Static", "DirectModification"
		d.Target.Attribute, d.Target.Name = "Properties", k
		d.Target.RequiresRecreation = "Never"
		if s.replaces(st, c.LogicalID, map[string]any{k: before}, map[string]any{k: after}) {
			d.Target.RequiresRecreation = "Always"
		}
		switch {
		case !hadBefore:
			d.Target.AttributeChangeType = "Add"
		case !hasAfter:
			d.Target.AttributeChangeType = "Remove"
		default:
			d.Target.AttributeChangeType = "Modify"
		}
		d.Target.BeforeValue, d.Target.AfterValue = jsonText(before, hadBefore), jsonText(after, hasAfter)
		out = append(out, d)
	}
	if !reflect.DeepEqual(st.tags, cs.tags) {
		var d xmlDetail
		d.Evaluation, d.ChangeSource = "Static", "DirectModification"
		d.Target.Attribute, d.Target.RequiresRecreation, d.Target.AttributeChangeType = "Tags", "Never", "Modify"
		out = append(out, d)
	}
	return out
}

// jsonText is v as CloudFormation shows a property value: a string as is,
// anything else as JSON; "" when there is no value.
func jsonText(v any, present bool) string {
	if !present {
		return ""
	}
	if s, ok := v.(string); ok {
		return s
	}
	data, _ := json.Marshal(v)
	return string(data)
}

// --- resources a failed create leaves behind ---

// failureOf returns why creating or updating the resource of change c of a
// change set of st fails: FailResource's reason, or, for a resource to
// create, a resource of the same physical id that the rollback of an
// earlier failed create retained (its DeletionPolicy was Retain; AWS
// deletes RetainExceptOnCreate resources on such a rollback). The caller
// holds mu.
func (s *Server) failureOf(st *stack, cs *changeSet, c change) (string, bool) {
	if r, ok := s.fails[st.name+"/"+c.LogicalID]; ok {
		return r, true
	}
	if c.Action != "Add" {
		return "", false
	}
	physical := cs.resources[c.LogicalID].Physical
	if from, ok := s.ops.taken[st.scope.account+"/"+st.scope.region+"/"+physical]; ok {
		return fmt.Sprintf("Resource handler returned message: \"%s already exists (retained by the rollback of %s)\"", physical, from), true
	}
	return "", false
}

// keepRetained records the resources of a failed create that its rollback
// keeps: those created whose DeletionPolicy is Retain. The caller holds mu.
func (s *Server) keepRetained(st *stack, cs *changeSet, created []change) {
	for _, c := range created {
		if cs.tmpl.Resources[c.LogicalID].DeletionPolicy == "Retain" {
			s.ops.taken[st.scope.account+"/"+st.scope.region+"/"+cs.resources[c.LogicalID].Physical] = st.name
		}
	}
}
