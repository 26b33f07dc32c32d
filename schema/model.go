package schema

import (
	"encoding/json"
	"strings"
)

// System is a loaded, validated and defaulted system.yaml. Every default of
// SPEC.md has been applied; per-environment overrides have been merged into
// each Environment's Service and Network.
type System struct {
	Version       int
	Name          string
	Suffix        string
	Region        string            // home region of the tooling account
	Tags          map[string]string // on every stack
	Accounts      map[string]Account
	Organization  string // "" when absent
	Source        Source
	Build         Build
	Test          *Test // nil: no Test stage
	Artifacts     Artifacts
	Notifications Notifications
	Service       Service // the top-level service, before per-environment overrides
	Network       Network // the top-level network, before per-environment overrides
	Environments  []Environment
	Roles         Roles
	Monitoring    Monitoring
	// Overrides maps a stack kind (pipeline, monitoring, artifacts-<region>,
	// roles-<env>, secrets-<env>, ecs-<env>) to its RFC 6902 operations, each
	// kept as the JSON of one operation object. The YAML path of operation i
	// of kind k is PathIndex(PathKey(PathKey("$", "overrides"), k), i).
	Overrides map[string][]json.RawMessage

	// Doc locates YAML paths in the source; never nil after Load.
	Doc *Document
}

// Account is one entry of accounts.
type Account struct {
	Key     string // the key under accounts: tooling, dev, ...
	ID      string // 12 digits
	Role    string // role ARN that apply assumes; "" when absent
	Profile string // named profile that apply uses; "" when absent
}

// Tooling returns the tooling account.
func (s *System) Tooling() Account { return s.Accounts["tooling"] }

// AccountOf returns the account an environment deploys into.
func (s *System) AccountOf(env *Environment) Account { return s.Accounts[env.Account] }

// environment returns the environment called name, or nil.
func (s *System) environment(name string) *Environment {
	for i := range s.Environments {
		if s.Environments[i].Name == name {
			return &s.Environments[i]
		}
	}
	return nil
}

// Source is the repository the pipeline builds.
type Source struct {
	Connection    string // CodeStar / CodeConnections connection ARN
	Repository    string // owner/name
	Branch        string // default "main"
	DetectChanges bool   // default true
}

// BuildImageECR is the value of Build.Image that means "the build-image ECR
// repository the system creates".
const BuildImageECR = "ecr"

// Build configures the CodeBuild build project.
type Build struct {
	Image string // "ecr" (default) or an image URI / curated image
	// Dockerfile is the path in the source repository of the build image's
	// Dockerfile, which the BuildImage stage builds (Image "ecr" only);
	// default build.Dockerfile.
	Dockerfile string
	// RegistryCredentials gives the builds the Docker Hub credentials of the
	// tooling secret Names.DockerCredentialsSecret; default false.
	RegistryCredentials bool
	Compute             string // small | medium | large | xlarge | 2xlarge; default small
	Buildspec           string // default buildspec.yml
	Privileged          bool   // default true
	TimeoutMinutes      int    // 5..480; default 60
	CacheDays           int    // 1..365; default 7
}

// Test configures the CodeBuild test project.
type Test struct {
	Buildspec string // default buildspec-test.yml
	Compute   string // default small
}

// Artifacts configures the artifact buckets.
type Artifacts struct {
	RetentionDays int // 1..3650; default 30
}

// Notifications lists e-mail subscribers of the SNS topics.
type Notifications struct {
	Approvals []string
	Failures  []string
}

// Deployment strategies of Service.Deployment.
const (
	DeploymentBlueGreen = "blue-green"
	DeploymentRolling   = "rolling"
)

// Traffic shifts of Service.Traffic.
const (
	TrafficAllAtOnce = "all-at-once"
	TrafficCanary    = "canary-10-5"
	TrafficLinear    = "linear-10-1"
)

// Service is the ECS service every environment runs.
type Service struct {
	Name         string
	Port         int               // container port; required
	CPU          int               // default 256
	Memory       int               // default 512
	DesiredCount int               // default 2
	HealthCheck  string            // default "/"
	Deployment   string            // blue-green (default) | rolling
	Traffic      string            // all-at-once (default with blue-green) | canary-10-5 | linear-10-1; "" with rolling
	BakeMinutes  int               // 0..1440; default 5 with blue-green
	Certificate  string            // ACM ARN; "" for HTTP only
	Environment  map[string]string // plain environment variables
	// Secrets maps a variable name to a Secrets Manager or SSM parameter
	// ARN, or to SecretManaged.
	Secrets map[string]string
}

// SecretManaged is the value of a service.secrets entry whose secret
// cicdgen creates, without a value, in the environment's secrets-<env>
// stack: <name>/<env>/<suffix>/<KEY> (Names.ManagedSecret).
const SecretManaged = "managed"

// ManagedSecrets returns the variable names of the managed secrets, sorted.
func (s Service) ManagedSecrets() []string {
	var out []string
	for k, v := range s.Secrets {
		if v == SecretManaged {
			out = append(out, k)
		}
	}
	sortStrings(out)
	return out
}

// HasManagedSecrets reports whether the environment's service has a managed
// secret, and so whether the environment has a secrets-<env> stack, which
// the pipeline deploys before its ecs-<env> stack.
func (e *Environment) HasManagedSecrets() bool {
	for _, v := range e.Service.Secrets {
		if v == SecretManaged {
			return true
		}
	}
	return false
}

// SecretID returns the part of the logical ids and output names of the
// managed secret of variable key: the key without underscores, each part
// after one capitalised (DB_PASSWORD gives DBPASSWORD, api_key ApiKey).
// Keys with the same SecretID cannot both be managed (the semantic checks
// report it).
func SecretID(key string) string {
	var b strings.Builder
	for _, part := range strings.Split(key, "_") {
		if part == "" {
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// HTTPS reports whether the service is served over HTTPS: it has a
// certificate, and not an elided placeholder one (arn:aws:acm:…), which
// validate reports and with which the build serves HTTP only, so that its
// templates stay deployable.
func (s Service) HTTPS() bool { return s.Certificate != "" && !IsElided(s.Certificate) }

// Network is the VPC of an environment.
type Network struct {
	CIDR        string // default 10.0.0.0/16
	AZs         int    // 2..6; default 2
	NATGateways int    // 0..AZs; default 1
	FlowLogs    bool   // default true
}

// Environment is one entry of environments, with its overrides merged.
type Environment struct {
	Index    int    // position in environments, 0-based
	Name     string // ^[a-z][a-z0-9]{0,9}$
	Account  string // a key of System.Accounts
	Region   string // default System.Region
	Approval bool
	Protect  bool
	Wave     string  // "" when absent
	Service  Service // System.Service with this environment's overrides applied
	Network  Network // System.Network with this environment's overrides applied
}

// Roles configures the deploy and execution roles.
type Roles struct {
	// Deny lists the actions denied explicitly, as written (ec2:TerminateInstances
	// is added by EffectiveDeny, not here).
	Deny []string
}

// AlwaysDenied is denied in every deploy and execution role.
const AlwaysDenied = "ec2:TerminateInstances"

// EffectiveDeny returns Deny plus AlwaysDenied, sorted, without repeats.
func (r Roles) EffectiveDeny() []string {
	seen := map[string]bool{AlwaysDenied: true}
	out := []string{AlwaysDenied}
	for _, a := range r.Deny {
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	sortStrings(out)
	return out
}

// Monitoring configures the monitoring stack.
type Monitoring struct {
	Dashboard bool     // default true
	AlertOn   []string // pipeline execution states; default [FAILED]
}
