// Package fakeaws is a local fake of the AWS APIs cicdgen uses —
// CloudFormation and STS (awsQuery: form-encoded POST, XML responses),
// CodeConnections, ECR and Secrets Manager (awsJson), and S3 PutObject
// (REST-XML, path-style) — for tests. The real AWS SDK talks to it through
// AWS_ENDPOINT_URL_<SERVICE> (see Server.Setenv).
//
// State is kept per account (read from the request's access key: keys end
// with the 12-digit account id, and AssumeRole returns keys of the role's
// account) and region (from the SigV4 credential scope). Stack operations
// progress with time, lazily: each observation advances a stack's timeline,
// so nothing runs in the background and nothing outlives the test.
//
// Files by concern: server.go (the server, requests, the wire's errors),
// cloudformation.go and cfn_*.go (stacks, change sets, their execution,
// events, templates, the awsQuery shapes), services.go (STS, S3,
// CodeConnections, ECR, Secrets Manager), ops.go (what status and destroy
// use), inject.go (throttling, failures, delays, the clock), inspect.go
// (what tests read back), quirks.go (answering like other implementations).
package fakeaws

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// Server is a running fake. Its methods are safe for concurrent use.
type Server struct {
	// URL is the base URL of the fake, http://127.0.0.1:PORT.
	URL string
	srv *httptest.Server

	mu         sync.Mutex
	now        func() time.Time
	seq        int
	throttle   int
	throttled  int
	failCalls  map[string][]*apiError // FailCall: the errors the next requests of an action get
	throttleN  int                    // ThrottleEach: throttles before each request is answered
	throttles  map[string]int         // ThrottleEach: throttles so far, by request
	calls      []Call
	stacks     map[scope]map[string]*stack // by name: live stacks
	byID       map[string]*stack           // every stack ever, by id
	exports    map[scope]map[string]string
	fails      map[string]string // stack/logicalID -> status reason
	delays     map[string]time.Duration
	delay      time.Duration
	executions []Execution
	objects    map[string][]byte // bucket/key
	conns      map[string]string // connection ARN -> status
	repos      map[string]map[string]bool
	secrets    map[string]bool // account/region/name -> has a value
	denied     map[string]bool // role ARNs AssumeRole refuses
	sessions   []string        // AssumeRole session names, in order
	quirks     Quirks
	latency    map[string]time.Duration // action -> time taken to answer
	holds      holdState                // requests kept unanswered (hold.go)
	ops        *opsState                // S3 versions, SSM, CodePipeline, deletion failures (ops.go)
	// EventPageSize and ChangePageSize are the page sizes of
	// DescribeStackEvents and DescribeChangeSet.
	EventPageSize, ChangePageSize int
}

type scope struct{ account, region string }

// Call is one request the fake served.
type Call struct {
	Service string // cloudformation, sts, s3, codeconnections, ecr, secretsmanager
	Action  string
	Account string
	Region  string
	Stack   string // StackName of a CloudFormation call, as sent
	Time    time.Time
	Form    url.Values // the request's form (query protocols) or nil
}

// Execution is one change set execution: when it started and when the
// stack's timeline ends.
type Execution struct {
	Account, Region, Stack string
	Start, End             time.Time
}

// Start starts a fake on 127.0.0.1 and stops it when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s := New()
	t.Cleanup(s.Close)
	return s
}

// New starts a fake on 127.0.0.1; Close stops it.
func New() *Server {
	s := &Server{
		now:       time.Now,
		stacks:    map[scope]map[string]*stack{},
		byID:      map[string]*stack{},
		exports:   map[scope]map[string]string{},
		fails:     map[string]string{},
		delays:    map[string]time.Duration{},
		objects:   map[string][]byte{},
		conns:     map[string]string{},
		repos:     map[string]map[string]bool{},
		secrets:   map[string]bool{},
		denied:    map[string]bool{},
		latency:   map[string]time.Duration{},
		ops:       newOpsState(),
		throttles: map[string]int{},

		EventPageSize: 10, ChangePageSize: 10,
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// AccessKey returns the access key id the fake maps to account.
func AccessKey(account string) string { return "AKIAFAKE" + account }

// Setenv points the AWS SDK at the fake for the rest of the test: endpoint
// URLs of every service, the caller's credentials (of account callerAccount),
// region, and empty shared config files, with one profile per entry of
// profiles (profile name -> account id).
func (s *Server) Setenv(t testing.TB, callerAccount, region string, profiles map[string]string) {
	t.Helper()
	for k, v := range s.Environ(callerAccount, region) {
		t.Setenv(k, v)
	}
	dir := t.TempDir()
	var cfg, creds strings.Builder
	names := make([]string, 0, len(profiles))
	for n := range profiles {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(&cfg, "[profile %s]\nregion = %s\n\n", n, region)
		fmt.Fprintf(&creds, "[%s]\naws_access_key_id = %s\naws_secret_access_key = fake-secret\n\n", n, AccessKey(profiles[n]))
	}
	cfgPath, credsPath := filepath.Join(dir, "config"), filepath.Join(dir, "credentials")
	if err := os.WriteFile(cfgPath, []byte(cfg.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(credsPath, []byte(creds.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CONFIG_FILE", cfgPath)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", credsPath)
}

// Environ returns the environment variables that point the AWS SDK at the
// fake, with the caller's credentials in callerAccount.
func (s *Server) Environ(callerAccount, region string) map[string]string {
	return map[string]string{
		"AWS_ENDPOINT_URL_CLOUDFORMATION":     s.URL,
		"AWS_ENDPOINT_URL_STS":                s.URL,
		"AWS_ENDPOINT_URL_S3":                 s.URL,
		"AWS_ENDPOINT_URL_CODECONNECTIONS":    s.URL,
		"AWS_ENDPOINT_URL_ECR":                s.URL,
		"AWS_ENDPOINT_URL_SECRETS_MANAGER":    s.URL,
		"AWS_ENDPOINT_URL_CODEPIPELINE":       s.URL,
		"AWS_ENDPOINT_URL_SSM":                s.URL,
		"AWS_ACCESS_KEY_ID":                   AccessKey(callerAccount),
		"AWS_SECRET_ACCESS_KEY":               "fake-secret",
		"AWS_SESSION_TOKEN":                   "",
		"AWS_REGION":                          region,
		"AWS_DEFAULT_REGION":                  "",
		"AWS_PROFILE":                         "",
		"AWS_EC2_METADATA_DISABLED":           "true",
		"AWS_ENDPOINT_URL":                    "",
		"AWS_WEB_IDENTITY_TOKEN_FILE":         "",
		"AWS_ROLE_ARN":                        "",
		"AWS_RETRY_MODE":                      "",
		"AWS_MAX_ATTEMPTS":                    "",
		"AWS_USE_FIPS_ENDPOINT":               "",
		"AWS_USE_DUALSTACK_ENDPOINT":          "",
		"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "",
	}
}

var credentialRE = regexp.MustCompile(`Credential=([^/]+)/[0-9]{8}/([^/]+)/([^/]+)/aws4_request`)

// request is one parsed request.
type request struct {
	*http.Request
	account, region, service string
	form                     url.Values
	body                     []byte
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	m := credentialRE.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil {
		http.Error(w, "missing SigV4 authorization", http.StatusForbidden)
		return
	}
	key := m[1]
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req := &request{Request: r, region: m[2], service: m[3], body: body}
	if len(key) >= 12 {
		req.account = key[len(key)-12:]
	}
	action := ""
	target := r.Header.Get("X-Amz-Target")
	switch {
	case target != "":
		action = target[strings.LastIndex(target, ".")+1:]
	case req.service == "s3":
		action = map[string]string{http.MethodPut: "PutObject", http.MethodGet: "GetObject", http.MethodDelete: "DeleteObject"}[r.Method]
	default:
		req.form, err = url.ParseQuery(string(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		action = req.form.Get("Action")
	}

	s.mu.Lock()
	s.calls = append(s.calls, Call{Service: req.service, Action: action, Account: req.account, Region: req.region,
		Stack: req.form.Get("StackName"), Time: s.now(), Form: req.form})
	throttle := s.throttleLocked(strings.Join([]string{req.service, action, req.account, req.region, r.URL.Path, string(body)}, "\x00"))
	latency := s.latency[action]
	injected := s.injectedLocked(action)
	s.mu.Unlock()

	if latency > 0 {
		t := time.NewTimer(latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	if !s.waitHeld(r.Context(), action) {
		return
	}

	if !regexp.MustCompile(`^[0-9]{12}$`).MatchString(req.account) {
		s.fail(w, req, http.StatusForbidden, "InvalidClientTokenId", "The security token included in the request is invalid.")
		return
	}
	if injected != nil {
		s.fail(w, req, injected.status, injected.code, injected.message)
		return
	}
	if throttle {
		switch req.service {
		case "s3":
			s.fail(w, req, http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate.")
		case "cloudformation", "sts":
			s.fail(w, req, http.StatusBadRequest, "Throttling", "Rate exceeded")
		default:
			s.fail(w, req, http.StatusBadRequest, "ThrottlingException", "Rate exceeded")
		}
		return
	}
	if req.service == "s3" && s.serveS3Versions(w, req) { // ops.go
		return
	}
	var out any
	var aerr *apiError
	switch req.service {
	case "cloudformation":
		out, aerr = s.cloudFormation(req, action)
	case "sts":
		out, aerr = s.sts(req, action)
	case "s3":
		aerr = s.s3(req)
		if aerr == nil {
			w.Header().Set("ETag", `"fake"`)
			w.WriteHeader(http.StatusOK)
			return
		}
	case "codeconnections", "ecr", "secretsmanager", "ssm", "codepipeline":
		out, aerr = s.jsonService(req, action)
	default:
		aerr = &apiError{http.StatusBadRequest, "UnknownOperation", "fakeaws does not serve " + req.service}
	}
	if aerr != nil {
		s.fail(w, req, aerr.status, aerr.code, aerr.message)
		return
	}
	if target != "" {
		w.Header().Set("Content-Type", r.Header.Get("Content-Type"))
		data, err := json.Marshal(out)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Write(data)
		return
	}
	s.writeQuery(w, action, out)
}

// apiError is an error response.
type apiError struct {
	status        int
	code, message string
}

func validation(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, "ValidationError", fmt.Sprintf(format, args...)}
}

func (s *Server) requestID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	return fmt.Sprintf("fake-request-%06d", s.seq)
}

func (s *Server) fail(w http.ResponseWriter, req *request, status int, code, message string) {
	switch {
	case req.Header.Get("X-Amz-Target") != "":
		w.Header().Set("Content-Type", req.Header.Get("Content-Type"))
		w.Header().Set("X-Amzn-Errortype", code)
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": message})
	case req.service == "s3":
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(status)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n<Error><Code>%s</Code><Message>%s</Message><RequestId>%s</RequestId></Error>", code, xmlText(message), s.requestID())
	default:
		typ := "Sender"
		if status >= 500 {
			typ = "Receiver"
		}
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(status)
		fmt.Fprintf(w, "<ErrorResponse xmlns=\"http://cloudformation.amazonaws.com/doc/2010-05-15/\">\n  <Error>\n    <Type>%s</Type>\n    <Code>%s</Code>\n    <Message>%s</Message>\n  </Error>\n  <RequestId>%s</RequestId>\n</ErrorResponse>\n",
			typ, code, xmlText(message), s.requestID())
	}
}

func xmlText(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// writeQuery writes an awsQuery response: <ActionResponse><ActionResult>…
func (s *Server) writeQuery(w http.ResponseWriter, action string, result any) {
	var inner []byte
	if result != nil {
		var err error
		inner, err = xml.Marshal(result)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
	}
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, "<%sResponse xmlns=\"http://cloudformation.amazonaws.com/doc/2010-05-15/\">\n", action)
	if result != nil {
		fmt.Fprintf(w, "  <%sResult>%s</%sResult>\n", action, inner[len("<r>"):len(inner)-len("</r>")], action)
	} else {
		fmt.Fprintf(w, "  <%sResult/>\n", action)
	}
	fmt.Fprintf(w, "  <ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata>\n</%sResponse>\n", s.requestID(), action)
}

// timestamp formats t as the query protocols do.
func timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
