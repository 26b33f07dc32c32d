package diag

import (
	"fmt"
	"io"
	"strings"
)

// Rule ids: the stable names of the problems cicdgen reports, each with a
// one-line summary in Rules. SARIF's rule descriptions, `cicdgen rules` and
// docs/rules.md read them from here; a test keeps every id the code reports
// registered.
const (
	// The file as text, before YAML.

	RuleIO               = "io"
	RuleSizeLimit        = "size-limit"
	RuleEncoding         = "encoding"
	RuleControlCharacter = "control-character"

	// YAML.

	RuleYAMLSyntax    = "yaml-syntax"
	RuleYAMLTab       = "yaml-tab"
	RuleYAMLIndent    = "yaml-indent"
	RuleYAMLTag       = "yaml-tag"
	RuleYAMLDirective = "yaml-directive"
	RuleDuplicateKey  = "duplicate-key"
	RuleDepthLimit    = "depth-limit"
	RuleNodeLimit     = "node-limit"

	// The JSON Schema.

	RuleType       = "type"
	RuleConst      = "const"
	RuleEnum       = "enum"
	RulePattern    = "pattern"
	RuleRange      = "range"
	RuleMissingKey = "missing-key"
	RuleUnknownKey = "unknown-key"
	RuleSchema     = "schema"

	// Semantic checks.

	RuleUnknownAccount       = "unknown-account"
	RuleDuplicateEnvironment = "duplicate-environment"
	RuleRegion               = "region"
	RuleFargateSize          = "fargate-size"
	RuleBlueGreenOnly        = "blue-green-only"
	RuleEnvConflict          = "env-conflict"
	RuleHealthCheck          = "health-check"
	RuleDeprecatedKey        = "deprecated-key"
	RuleIgnoredKey           = "ignored-key"
	RuleManagedSecretID      = "managed-secret-id"
	RuleNATGateways          = "nat-gateways"
	RuleNoEgress             = "no-egress"
	RuleAZs                  = "azs"
	RuleCIDR                 = "cidr"
	RuleWaveOrder            = "wave-order"
	RulePipelineLimits       = "pipeline-limits"
	RuleOverrideStack        = "override-stack"
	RuleOverrideOp           = "override-op"
	RuleReservedTag          = "reserved-tag"
	RuleTagLength            = "tag-length"
	RuleTagChars             = "tag-chars"
	RuleTagCount             = "tag-count"
	RuleDenyAction           = "deny-action"
	RuleARN                  = "arn"
	RuleRoleAccount          = "role-account"
	RuleConnectionScope      = "connection-scope"
	RuleCertificateScope     = "certificate-scope"
	RuleOrganization         = "organization"
	RuleBranch               = "branch"
	RuleEmail                = "email"
	RuleNameLength           = "name-length"
	RulePlaceholder          = "placeholder"

	// Compiling.

	RuleOverrideFailed     = "override-failed"
	RuleOverrideInvalid    = "override-invalid"
	RuleTemplateEncode     = "template-encode"
	RuleTemplateSize       = "template-size"
	RuleTemplateResources  = "template-resources"
	RuleTemplateParameters = "template-parameters"
	RuleTemplateOutputs    = "template-outputs"
	RulePolicySize         = "policy-size"
)

// RuleInfo is a registered rule: its id and a one-line summary of the
// problem it names.
type RuleInfo struct {
	ID      string `json:"id"`
	Summary string `json:"summary"`
}

// rules is the registry, in the order a file is read: text, YAML, schema,
// semantic checks, compiling.
var rules = []RuleInfo{
	{RuleIO, "the file cannot be read"},
	{RuleSizeLimit, "the file is larger than the size limit (--max-size)"},
	{RuleEncoding, "the file is not UTF-8: UTF-16, UTF-32 or bytes that begin no character"},
	{RuleControlCharacter, "a control or bidirectional formatting character in the file, or written as an escape sequence in a key or a value"},
	{RuleYAMLSyntax, "the file is not well-formed YAML, or not exactly one document"},
	{RuleYAMLTab, "a tab in indentation"},
	{RuleYAMLIndent, "a non-breaking or other Unicode space in indentation"},
	{RuleYAMLTag, "a tag that is not one of YAML's core tags, or a value not of its tag's type"},
	{RuleYAMLDirective, "a %YAML or %TAG directive cicdgen cannot honour"},
	{RuleDuplicateKey, "a key written twice in one mapping"},
	{RuleDepthLimit, "collections nested deeper than the limit, directly or through aliases"},
	{RuleNodeLimit, "more values than the limit, in the file, in one collection or through aliases"},
	{RuleType, "a value of the wrong type"},
	{RuleConst, "a value that can only be one thing, such as version: 1"},
	{RuleEnum, "a value that is not one of the allowed words"},
	{RulePattern, "a value that does not have the required form"},
	{RuleRange, "a number, text or list outside its bounds"},
	{RuleMissingKey, "a required key is absent"},
	{RuleUnknownKey, "a key system.yaml does not have"},
	{RuleSchema, "the schema could not judge a value"},
	{RuleUnknownAccount, "an environment names an account that accounts does not declare"},
	{RuleDuplicateEnvironment, "two environments share a name"},
	{RuleRegion, "a region AWS does not have, or one of another partition"},
	{RuleFargateSize, "cpu and memory are not a Fargate task size"},
	{RuleBlueGreenOnly, "traffic or bake_minutes given with a rolling deployment"},
	{RuleEnvConflict, "a variable named in both environment and secrets"},
	{RuleHealthCheck, "a health check path that is not an absolute URL path"},
	{RuleDeprecatedKey, "a key that is still accepted but does nothing; the message names its replacement"},
	{RuleIgnoredKey, "(warning) a key that the rest of the file makes ineffective, such as build.dockerfile without build.image: ecr"},
	{RuleManagedSecretID, "two managed secrets whose variable names give the same logical id"},
	{RuleNATGateways, "more NAT gateways than availability zones"},
	{RuleNoEgress, "no NAT gateway in an environment outside the home region: tasks cannot pull the image"},
	{RuleAZs, "more availability zones than the environment's region has"},
	{RuleCIDR, "a VPC CIDR that is malformed, reserved, or too small for /27 subnets in every zone"},
	{RuleWaveOrder, "environments of one wave that are not consecutive"},
	{RulePipelineLimits, "more than 50 stages, or more than 50 actions in one stage"},
	{RuleOverrideStack, "an overrides key that names no stack of this system"},
	{RuleOverrideOp, "an overrides entry that is not a valid RFC 6902 operation"},
	{RuleReservedTag, "a tag key in a prefix AWS or cicdgen reserves"},
	{RuleTagLength, "a tag key over 128 or a value over 256 characters"},
	{RuleTagChars, "a tag key or value with characters AWS refuses"},
	{RuleTagCount, "more tags than fit beside cicdgen's own"},
	{RuleDenyAction, "a roles.deny entry not shaped service:Action"},
	{RuleARN, "an ARN of the wrong shape (connection, certificate, secret, role)"},
	{RuleRoleAccount, "an account's role in another account than the account's id"},
	{RuleConnectionScope, "a connection outside the tooling account or home region"},
	{RuleCertificateScope, "a certificate outside the account or region of an environment that uses it"},
	{RuleOrganization, "an organization id not shaped o-xxxxxxxxxx"},
	{RuleBranch, "a source branch that git would not accept"},
	{RuleEmail, "a notification address that is not an e-mail address"},
	{RuleNameLength, "a physical name over its AWS length limit"},
	{RulePlaceholder, "a value copied from the documentation's example"},
	{RuleOverrideFailed, "an override that cannot be applied to its template"},
	{RuleOverrideInvalid, "an override that makes its template invalid for CloudFormation"},
	{RuleTemplateEncode, "a template that cannot be written"},
	{RuleTemplateSize, "a template over CloudFormation's size limit (or over 51,200 bytes: apply needs a bucket)"},
	{RuleTemplateResources, "a template with more resources than CloudFormation accepts"},
	{RuleTemplateParameters, "a template with more parameters than CloudFormation accepts"},
	{RuleTemplateOutputs, "a template with more outputs than CloudFormation accepts"},
	{RulePolicySize, "a policy over its AWS size limit"},
}

// Rules returns every registered rule, in the order a file is checked.
func Rules() []RuleInfo { return append([]RuleInfo(nil), rules...) }

// RuleSummary returns the summary of the rule with id, and whether it is
// registered.
func RuleSummary(id string) (string, bool) {
	for _, r := range rules {
		if r.ID == id {
			return r.Summary, true
		}
	}
	return "", false
}

// WriteRulesMarkdown writes the registry as the Markdown of docs/rules.md.
func WriteRulesMarkdown(w io.Writer) error {
	var b strings.Builder
	b.WriteString("# Rules\n\n")
	b.WriteString("Every diagnostic of cicdgen names one of these rules (`error[fargate-size]`).\n")
	b.WriteString("The ids are stable; `cicdgen rules` prints this list. Generated from\n")
	b.WriteString("diag/rules.go by `go test ./diag -run TestRulesDoc -update`.\n\n")
	b.WriteString("| rule | problem |\n|---|---|\n")
	for _, r := range rules {
		fmt.Fprintf(&b, "| `%s` | %s |\n", r.ID, strings.ReplaceAll(r.Summary, "|", "\\|"))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// DidYouMean returns `did you mean "x"?` when one of candidates is close to
// got (see Closest), else "". Callers put it after their own separator.
func DidYouMean(got string, candidates []string) string {
	if best := Closest(got, candidates); best != "" {
		return fmt.Sprintf("did you mean %q?", best)
	}
	return ""
}

// IOError is the diagnostic of a file that cannot be read: rule io, naming
// the file and the cause, with hint as its advice (may be empty).
func IOError(filename string, err error, hint string) Diagnostic {
	d := Errorf(RuleIO, Range{Filename: filename}, "", "cannot read %s: %v", filename, err)
	if hint != "" {
		d.Hint = hint
	}
	return d
}
