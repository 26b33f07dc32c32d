package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
)

// Defaults of SPEC.md, applied by decode when a key is absent. The schema's
// "default" keywords say the same (a test keeps them in step).
const (
	defaultBranch          = "main"
	defaultBuildCompute    = "small"
	defaultBuildspec       = "buildspec.yml"
	defaultBuildDockerfile = "build.Dockerfile"
	defaultBuildRegCreds   = false
	defaultTimeoutMinutes  = 60
	defaultCacheDays       = 7
	defaultTestBuildspec   = "buildspec-test.yml"
	defaultRetentionDays   = 30
	defaultCPU             = 256
	defaultMemory          = 512
	defaultDesiredCount    = 2
	defaultHealthCheck     = "/"
	defaultBakeMinutes     = 5
	defaultCIDR            = "10.0.0.0/16"
	defaultAZs             = 2
	defaultNATGateways     = 1
	defaultAlertOnState    = "FAILED"
	defaultDetectChanges   = true
	defaultPrivileged      = true
	defaultFlowLogs        = true
	defaultDashboard       = true
	defaultApproval        = false
	defaultProtect         = false
	defaultDeploymentValue = DeploymentBlueGreen
	defaultTrafficValue    = TrafficAllAtOnce
)

// Keys of the service mapping that per-environment overrides merge entry by
// entry rather than replace.
const (
	serviceEnvironmentKey = "environment"
	serviceSecretsKey     = "secrets"
)

// object is a mapping of a schema-valid system.yaml, read with defaults.
// Its methods trust the schema: a present key has the right type.
type object map[string]any

func (o object) has(key string) bool { _, ok := o[key]; return ok }

func (o object) str(key, def string) string {
	if s, ok := o[key].(string); ok {
		return s
	}
	return def
}

func (o object) integer(key string, def int) int {
	switch v := o[key].(type) {
	case int64:
		return int(v)
	case uint64:
		if v > math.MaxInt {
			return math.MaxInt
		}
		return int(v)
	case float64:
		return int(v)
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return int(n)
		}
	}
	return def
}

func (o object) boolean(key string, def bool) bool {
	if b, ok := o[key].(bool); ok {
		return b
	}
	return def
}

func (o object) obj(key string) object {
	if m, ok := o[key].(map[string]any); ok {
		return object(m)
	}
	return nil
}

func (o object) strings(key string) []string {
	list, _ := o[key].([]any)
	if list == nil {
		return nil
	}
	out := make([]string, 0, len(list))
	for _, v := range list {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func (o object) stringMap(key string) map[string]string {
	m, _ := o[key].(map[string]any)
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = scalarText(v)
	}
	return out
}

// scalarText writes a scalar the way a string field wants it.
func scalarText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	return fmt.Sprint(v)
}

// decode builds the System of a schema-valid value, applying every default
// and merging each environment's overrides.
func decode(value any, doc *Document) (*System, error) {
	root, ok := value.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("decode: the document is a %T, not a mapping", value)
	}
	o := object(root)
	sys := &System{
		Version:       o.integer("version", 1),
		Name:          o.str("name", ""),
		Suffix:        o.str("suffix", ""),
		Region:        o.str("region", ""),
		Tags:          o.stringMap("tags"),
		Accounts:      decodeAccounts(o.obj("accounts")),
		Organization:  o.str("organization", ""),
		Source:        decodeSource(o.obj("source")),
		Build:         decodeBuild(o.obj("build")),
		Test:          decodeTest(o.obj("test")),
		Artifacts:     Artifacts{RetentionDays: o.obj("artifacts").integer("retention_days", defaultRetentionDays)},
		Notifications: decodeNotifications(o.obj("notifications")),
		Service:       decodeService(o.obj("service")),
		Network:       decodeNetwork(o.obj("network")),
		Roles:         Roles{Deny: o.obj("roles").strings("deny")},
		Monitoring:    decodeMonitoring(o.obj("monitoring")),
		Doc:           doc,
	}
	if sys.Tags == nil {
		sys.Tags = map[string]string{}
	}
	envs, _ := o["environments"].([]any)
	sys.Environments = make([]Environment, 0, len(envs))
	for i, e := range envs {
		m, _ := e.(map[string]any)
		sys.Environments = append(sys.Environments, decodeEnvironment(i, object(m), o, sys.Region))
	}
	overrides, err := decodeOverrides(o.obj("overrides"))
	if err != nil {
		return nil, err
	}
	sys.Overrides = overrides
	return sys, nil
}

func decodeAccounts(o object) map[string]Account {
	out := make(map[string]Account, len(o))
	for key, v := range o {
		switch a := v.(type) {
		case string:
			out[key] = Account{Key: key, ID: a}
		case map[string]any:
			ao := object(a)
			out[key] = Account{Key: key, ID: ao.str("id", ""), Role: ao.str("role", ""), Profile: ao.str("profile", "")}
		}
	}
	return out
}

func decodeSource(o object) Source {
	return Source{
		Connection:    o.str("connection", ""),
		Repository:    o.str("repository", ""),
		Branch:        o.str("branch", defaultBranch),
		DetectChanges: o.boolean("detect_changes", defaultDetectChanges),
	}
}

func decodeBuild(o object) Build {
	return Build{
		Image:               o.str("image", BuildImageECR),
		Dockerfile:          o.str("dockerfile", defaultBuildDockerfile),
		RegistryCredentials: o.boolean("registry_credentials", defaultBuildRegCreds),
		Compute:             o.str("compute", defaultBuildCompute),
		Buildspec:           o.str("buildspec", defaultBuildspec),
		Privileged:          o.boolean("privileged", defaultPrivileged),
		TimeoutMinutes:      o.integer("timeout_minutes", defaultTimeoutMinutes),
		CacheDays:           o.integer("cache_days", defaultCacheDays),
	}
}

func decodeTest(o object) *Test {
	if o == nil {
		return nil
	}
	return &Test{
		Buildspec: o.str("buildspec", defaultTestBuildspec),
		Compute:   o.str("compute", defaultBuildCompute),
	}
}

func decodeNotifications(o object) Notifications {
	return Notifications{Approvals: o.strings("approvals"), Failures: o.strings("failures")}
}

// decodeService reads a service mapping (the top-level one merged with an
// environment's overrides) with its defaults. Traffic and bake_minutes get
// their defaults only with blue-green; with rolling they stay as written so
// that the semantic checks can report them.
func decodeService(o object) Service {
	s := Service{
		Name:         o.str("name", ""),
		Port:         o.integer("port", 0),
		CPU:          o.integer("cpu", defaultCPU),
		Memory:       o.integer("memory", defaultMemory),
		DesiredCount: o.integer("desired_count", defaultDesiredCount),
		HealthCheck:  o.str("health_check", defaultHealthCheck),
		Deployment:   o.str("deployment", defaultDeploymentValue),
		Certificate:  o.str("certificate", ""),
		Environment:  o.stringMap(serviceEnvironmentKey),
		Secrets:      o.stringMap(serviceSecretsKey),
		// registry_credentials is deprecated and read by nothing (checkService warns).
	}
	if s.Deployment == DeploymentBlueGreen {
		s.Traffic = o.str("traffic", defaultTrafficValue)
		s.BakeMinutes = o.integer("bake_minutes", defaultBakeMinutes)
	} else {
		s.Traffic = o.str("traffic", "")
		s.BakeMinutes = o.integer("bake_minutes", 0)
	}
	if s.Environment == nil {
		s.Environment = map[string]string{}
	}
	if s.Secrets == nil {
		s.Secrets = map[string]string{}
	}
	return s
}

func decodeNetwork(o object) Network {
	return Network{
		CIDR:        o.str("cidr", defaultCIDR),
		AZs:         o.integer("azs", defaultAZs),
		NATGateways: o.integer("nat_gateways", defaultNATGateways),
		FlowLogs:    o.boolean("flow_logs", defaultFlowLogs),
	}
}

func decodeMonitoring(o object) Monitoring {
	m := Monitoring{Dashboard: o.boolean("dashboard", defaultDashboard), AlertOn: o.strings("alert_on")}
	if !o.has("alert_on") {
		m.AlertOn = []string{defaultAlertOnState}
	}
	if m.AlertOn == nil {
		m.AlertOn = []string{}
	}
	return m
}

// decodeEnvironment reads environment i; root is the whole document, whose
// service and network the environment's own entries are merged over.
func decodeEnvironment(i int, e, root object, region string) Environment {
	return Environment{
		Index:    i,
		Name:     e.str("name", ""),
		Account:  e.str("account", ""),
		Region:   e.str("region", region),
		Approval: e.boolean("approval", defaultApproval),
		Protect:  e.boolean("protect", defaultProtect),
		Wave:     e.str("wave", ""),
		Service:  decodeService(mergeService(root.obj("service"), e.obj("service"))),
		Network:  decodeNetwork(mergeObjects(root.obj("network"), e.obj("network"))),
	}
}

// mergeService lays an environment's service entries over the top-level
// service. Its environment variables and secrets are merged name by name.
func mergeService(base, over object) object {
	out := mergeObjects(base, over)
	for _, key := range []string{serviceEnvironmentKey, serviceSecretsKey} {
		if over.has(key) && base.has(key) {
			out[key] = map[string]any(mergeObjects(base.obj(key), over.obj(key)))
		}
	}
	return out
}

// mergeObjects returns a copy of base with every entry of over set on it.
func mergeObjects(base, over object) object {
	out := make(object, len(base)+len(over))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		out[k] = v
	}
	return out
}

// decodeOverrides keeps each JSON Patch operation as canonical JSON (keys
// sorted, no spaces).
func decodeOverrides(o object) (map[string][]json.RawMessage, error) {
	out := make(map[string][]json.RawMessage, len(o))
	kinds := make([]string, 0, len(o))
	for k := range o {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		ops, _ := o[k].([]any)
		list := make([]json.RawMessage, 0, len(ops))
		for i, op := range ops {
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(op); err != nil {
				return nil, fmt.Errorf("encode override %d of %s as JSON: %w", i, k, err)
			}
			list = append(list, json.RawMessage(bytes.TrimRight(buf.Bytes(), "\n")))
		}
		out[k] = list
	}
	return out, nil
}
