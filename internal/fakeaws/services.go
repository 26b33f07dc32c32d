package fakeaws

import (
	"bufio"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// --- STS (awsQuery) ---

type callerIdentityResult struct {
	XMLName xml.Name `xml:"r"`
	Arn     string
	UserId  string
	Account string
}

type assumeRoleResult struct {
	XMLName     xml.Name `xml:"r"`
	Credentials struct {
		AccessKeyId     string
		SecretAccessKey string
		SessionToken    string
		Expiration      string
	}
	AssumedRoleUser struct {
		Arn           string
		AssumedRoleId string
	}
}

func (s *Server) sts(req *request, action string) (any, *apiError) {
	switch action {
	case "GetCallerIdentity":
		key := req.account
		s.mu.Lock()
		if s.quirks.Caller != "" {
			key = s.quirks.Caller
		}
		missing := s.quirks.NoCallerIdentity
		s.mu.Unlock()
		if missing {
			return nil, &apiError{http.StatusBadRequest, "InvalidAction", "fakeaws does not implement sts GetCallerIdentity"}
		}
		arn := fmt.Sprintf("arn:aws:iam::%s:user/fake", key)
		if strings.HasPrefix(credentialRE.FindStringSubmatch(req.Header.Get("Authorization"))[1], "ASIA") {
			arn = fmt.Sprintf("arn:aws:sts::%s:assumed-role/fake/session", key)
		}
		return &callerIdentityResult{Arn: arn, UserId: "AIDAFAKE" + key, Account: key}, nil
	case "AssumeRole":
		role := req.form.Get("RoleArn")
		session := req.form.Get("RoleSessionName")
		parts := strings.Split(role, ":")
		if len(parts) < 6 || !strings.HasPrefix(parts[5], "role/") || len(parts[4]) != 12 {
			return nil, validation("%s is not a valid role ARN", role)
		}
		s.mu.Lock()
		denied := s.denied[role]
		s.sessions = append(s.sessions, session)
		s.mu.Unlock()
		if denied {
			return nil, &apiError{http.StatusForbidden, "AccessDenied",
				fmt.Sprintf("User: arn:aws:iam::%s:user/fake is not authorized to perform: sts:AssumeRole on resource: %s", req.account, role)}
		}
		out := &assumeRoleResult{}
		out.Credentials.AccessKeyId = "ASIAFAKE" + parts[4]
		out.Credentials.SecretAccessKey = "fake-secret"
		out.Credentials.SessionToken = "fake-session-" + session
		out.Credentials.Expiration = timestamp(s.now().Add(time.Hour))
		out.AssumedRoleUser.Arn = fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", parts[4], strings.TrimPrefix(parts[5], "role/"), session)
		out.AssumedRoleUser.AssumedRoleId = "AROAFAKE:" + session
		return out, nil
	}
	return nil, &apiError{http.StatusBadRequest, "InvalidAction", "fakeaws does not implement sts " + action}
}

// --- S3 (REST-XML, path-style PutObject) ---

func (s *Server) s3(req *request) *apiError {
	if req.Method != http.MethodPut {
		return &apiError{http.StatusMethodNotAllowed, "MethodNotAllowed", "fakeaws serves only PutObject"}
	}
	path := strings.TrimPrefix(req.URL.Path, "/")
	bucket, key, ok := strings.Cut(path, "/")
	if !ok || bucket == "" || key == "" {
		return &apiError{http.StatusBadRequest, "InvalidRequest", "path-style /bucket/key expected, got " + req.URL.Path}
	}
	body := req.body
	if strings.Contains(req.Header.Get("Content-Encoding"), "aws-chunked") || req.Header.Get("X-Amz-Decoded-Content-Length") != "" {
		var err error
		body, err = decodeChunked(body)
		if err != nil {
			return &apiError{http.StatusBadRequest, "IncompleteBody", err.Error()}
		}
	}
	s.mu.Lock()
	s.objects[bucket+"/"+key] = body
	s.mu.Unlock()
	return nil
}

// decodeChunked decodes an aws-chunked body (chunk signatures and trailers
// ignored).
func decodeChunked(b []byte) ([]byte, error) {
	r := bufio.NewReader(bytes.NewReader(b))
	var out bytes.Buffer
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return nil, fmt.Errorf("aws-chunked body: %w", err)
		}
		sizeText, _, _ := strings.Cut(strings.TrimSpace(line), ";")
		size, err := strconv.ParseInt(sizeText, 16, 64)
		if err != nil {
			return nil, fmt.Errorf("aws-chunked body: bad chunk size %q", sizeText)
		}
		if size == 0 {
			return out.Bytes(), nil
		}
		if _, err := io.CopyN(&out, r, size); err != nil {
			return nil, fmt.Errorf("aws-chunked body: %w", err)
		}
		if _, err := r.ReadString('\n'); err != nil {
			return nil, fmt.Errorf("aws-chunked body: %w", err)
		}
	}
}

// --- CodeConnections, ECR, Secrets Manager, SSM, CodePipeline (awsJson) ---

// jsonService answers the awsJson services: the calls apply makes here, the
// ones status and destroy make in opsJSON (ops.go).
func (s *Server) jsonService(req *request, action string) (any, *apiError) {
	var in map[string]any
	if len(req.body) > 0 {
		if err := json.Unmarshal(req.body, &in); err != nil {
			return nil, &apiError{http.StatusBadRequest, "SerializationException", err.Error()}
		}
	}
	str := func(k string) string { v, _ := in[k].(string); return v }
	s.mu.Lock()
	defer s.mu.Unlock()
	notFound := func(code, format string, args ...any) *apiError {
		return &apiError{http.StatusBadRequest, code, fmt.Sprintf(format, args...)}
	}
	switch req.service + "." + action {
	case "codeconnections.GetConnection":
		arn := str("ConnectionArn")
		status, ok := s.conns[arn]
		if !ok {
			return nil, notFound("ResourceNotFoundException", "Connection %s not found", arn)
		}
		parts := strings.Split(arn, ":")
		owner := ""
		if len(parts) > 4 {
			owner = parts[4]
		}
		return map[string]any{"Connection": map[string]any{
			"ConnectionArn": arn, "ConnectionName": arn[strings.LastIndex(arn, "/")+1:], "ConnectionStatus": status,
			"OwnerAccountId": owner, "ProviderType": "GitHub",
		}}, nil
	case "ecr.DescribeImages":
		repo := str("repositoryName")
		tags, aerr := s.repository(req, repo)
		if aerr != nil {
			return nil, aerr
		}
		var details []any
		ids, _ := in["imageIds"].([]any)
		for _, id := range ids {
			m, _ := id.(map[string]any)
			tag, _ := m["imageTag"].(string)
			if !tags[tag] {
				return nil, notFound("ImageNotFoundException", "The image with imageId {imageDigest:'null', imageTag:'%s'} does not exist within the repository with name '%s' in the registry with id '%s'", tag, repo, req.account)
			}
			details = append(details, map[string]any{"registryId": req.account, "repositoryName": repo, "imageDigest": "sha256:" + strings.Repeat("0", 64), "imageTags": []string{tag}})
		}
		return map[string]any{"imageDetails": details}, nil
	case "secretsmanager.DescribeSecret":
		name, arn, has, aerr := s.secret(req, str("SecretId"))
		if aerr != nil {
			return nil, aerr
		}
		out := map[string]any{"ARN": arn, "Name": name}
		if has {
			out["VersionIdsToStages"] = map[string][]string{"00000000-0000-0000-0000-000000000001": {"AWSCURRENT"}}
		}
		return out, nil
	}
	return s.opsJSON(req, action, in, str) // ops.go
}

// secret looks up the secret id names (its name or ARN) in the request's
// account and region: its name, its ARN, and whether it has a value. The
// caller holds mu.
func (s *Server) secret(req *request, id string) (name, arn string, hasValue bool, aerr *apiError) {
	name = id
	if strings.HasPrefix(id, "arn:") {
		name = id[strings.LastIndex(id, ":")+1:]
	}
	hasValue, ok := s.secrets[req.account+"/"+req.region+"/"+name]
	if !ok {
		return "", "", false, &apiError{http.StatusBadRequest, "ResourceNotFoundException", "Secrets Manager can't find the specified secret."}
	}
	return name, fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-AbCdEf", req.region, req.account, name), hasValue, nil
}

// PutConnection sets the status of a connection (AVAILABLE, PENDING, ERROR).
func (s *Server) PutConnection(arn, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.conns[arn] = status
}

// PutRepository creates an ECR repository with images of the given tags.
func (s *Server) PutRepository(account, region, name string, tags ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := account + "/" + region + "/" + name
	if s.repos[k] == nil {
		s.repos[k] = map[string]bool{}
	}
	for _, t := range tags {
		s.repos[k][t] = true
	}
}

// PutSecret creates a secret, with or without a value.
func (s *Server) PutSecret(account, region, name string, hasValue bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.secrets[account+"/"+region+"/"+name] = hasValue
}
