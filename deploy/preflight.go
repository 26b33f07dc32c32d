package deploy

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeconnections"
	cctypes "github.com/aws/aws-sdk-go-v2/service/codeconnections/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/cicdgen/cicdgen/diag"
	"github.com/cicdgen/cicdgen/manifest"
	"github.com/cicdgen/cicdgen/schema"
)

// SSMAPI reads SSM parameters (the roles' version of roles-<env>).
type SSMAPI interface {
	GetParameter(context.Context, *ssm.GetParameterInput, ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

// CheckStatus is the verdict of one preflight check.
type CheckStatus string

// Verdicts of a check. A warning does not fail preflight.
const (
	Pass CheckStatus = "pass"
	Warn CheckStatus = "warn"
	Fail CheckStatus = "fail"
)

// Check is one preflight check.
type Check struct {
	Name   string      `json:"name"`
	Status CheckStatus `json:"status"`
	Detail string      `json:"detail"`
	Fix    string      `json:"fix,omitempty"` // what to do when it does not pass
}

// PreflightInput is what preflight checks.
type PreflightInput struct {
	// Connection is the source connection ARN (codestar-connections or
	// codeconnections).
	Connection string
	// Tooling is the tooling account and HomeRegion its region.
	Tooling    manifest.Account
	HomeRegion string
	// BuildImageRepo is the build-image ECR repository when build.image is
	// ecr, "" otherwise.
	BuildImageRepo string
	// Secrets are the secrets that need a value before the pipeline runs:
	// the docker-credentials secret of the tooling account (when
	// build.registry_credentials) and every managed secret of
	// service.secrets, in its environment's account. Their values are never
	// read.
	Secrets []SecretRef
	// Roles are the roles stacks whose version parameter must be recent
	// enough (RolesVersionsFrom fills Want from the build).
	Roles []RolesRef
	// Accounts are every account the system deploys to, with the region
	// to reach it in.
	Accounts []AccountRef
	// Placeholders are the placeholder values left, one message each.
	Placeholders []string
}

// SecretRef is a secret in an account and region.
type SecretRef struct {
	Account manifest.Account
	Region  string
	Name    string
	// Purpose says what needs the value, for the check's message.
	Purpose string
}

// RolesRef is the version parameter of a roles stack: the SSM parameter
// the roles-<env> stack writes and the value this build of it writes.
type RolesRef struct {
	Account   manifest.Account
	Region    string
	Stack     string // the roles stack
	Kind      string // roles-<env>, for the command that updates it
	Parameter string // the SSM parameter's name
	Want      string // the version the build writes
}

// AccountRef is an account and a region to reach it in.
type AccountRef struct {
	Account manifest.Account
	Region  string
}

// manifestAccount converts a schema account.
func manifestAccount(a schema.Account) manifest.Account {
	return manifest.Account{Key: a.Key, ID: a.ID, Role: a.Role, Profile: a.Profile}
}

// dockerLoginPurpose is the purpose of the secret holding the build's
// Docker Hub login.
const dockerLoginPurpose = "the build's Docker Hub login (build.registry_credentials)"

// managedSecretPurpose is the purpose of the secret key of environment env.
func managedSecretPurpose(key, env string) string {
	return fmt.Sprintf("the service's %s in %s", key, env)
}

// PreflightFor returns the checks of a loaded system; placeholders are the
// messages of its placeholder diagnostics.
func PreflightFor(sys *schema.System, placeholders []string) PreflightInput {
	names := schema.NamesOf(sys)
	in := PreflightInput{
		Connection:   sys.Source.Connection,
		Tooling:      manifestAccount(sys.Tooling()),
		HomeRegion:   sys.Region,
		Placeholders: placeholders,
	}
	if sys.Build.Image == schema.BuildImageECR {
		in.BuildImageRepo = names.BuildImageRepo()
	}
	if sys.Build.RegistryCredentials {
		in.Secrets = append(in.Secrets, SecretRef{Account: in.Tooling, Region: sys.Region, Name: names.DockerCredentialsSecret(),
			Purpose: dockerLoginPurpose})
	}
	seen := map[string]bool{sys.Tooling().ID: true}
	in.Accounts = append(in.Accounts, AccountRef{Account: in.Tooling, Region: sys.Region})
	for i := range sys.Environments {
		e := &sys.Environments[i]
		acct := manifestAccount(sys.AccountOf(e))
		for _, key := range e.Service.ManagedSecrets() {
			in.Secrets = append(in.Secrets, SecretRef{Account: acct, Region: e.Region, Name: names.ManagedSecret(e.Name, key),
				Purpose: managedSecretPurpose(key, e.Name)})
		}
		if !seen[acct.ID] {
			seen[acct.ID] = true
			in.Accounts = append(in.Accounts, AccountRef{Account: acct, Region: e.Region})
		}
	}
	return in
}

// Preflight runs the checks of in. Each check passes, warns or fails, and
// says how to fix what does not pass.
func Preflight(ctx context.Context, in PreflightInput, f ClientFactory) []Check {
	var out []Check
	out = append(out, checkPlaceholders(in.Placeholders))
	reachable := map[string]bool{}
	for _, a := range in.Accounts {
		c := checkAccount(ctx, a, f)
		reachable[a.Account.ID] = c.Status == Pass
		out = append(out, c)
	}
	if in.Connection != "" {
		out = append(out, checkConnection(ctx, in, f))
	}
	if in.BuildImageRepo != "" {
		out = append(out, checkBuildImage(ctx, in, f))
	}
	for _, s := range in.Secrets {
		out = append(out, checkSecret(ctx, s, f))
	}
	for _, r := range in.Roles {
		out = append(out, checkRolesVersion(ctx, r, f))
	}
	return out
}

// RolesVersionsFrom returns the roles stacks of b whose template writes a
// version parameter (an AWS::SSM::Parameter with a literal Name and
// Value), with that value: preflight checks that each account's deployed
// one is as recent.
func RolesVersionsFrom(b *Bundle) []RolesRef {
	var out []RolesRef
	for _, s := range b.Manifest.Stacks {
		if !strings.HasPrefix(s.Kind, "roles-") {
			continue
		}
		for _, r := range templateResourceMap(mustDecode(b.Templates[s.Name])) {
			name, _ := r.props["Name"].(string)
			value := r.props["Value"]
			if r.typ != "AWS::SSM::Parameter" || name == "" {
				continue
			}
			var want string
			switch v := value.(type) {
			case string:
				want = v
			case float64:
				want = strconv.FormatFloat(v, 'f', -1, 64)
			default: // computed: nothing to compare with
				continue
			}
			out = append(out, RolesRef{Account: s.Account, Region: s.Region, Stack: s.Name, Kind: s.Kind, Parameter: name, Want: want})
		}
	}
	return out
}

// SecretsWithoutValue returns the secrets the templates of b create without
// a value (an AWS::SecretsManager::Secret with a literal Name and neither
// SecretString nor GenerateSecretString): the docker-credentials secret of
// the tooling secrets stack and the managed secrets of each secrets-<env>
// stack, which someone must give a value before the pipeline runs.
func SecretsWithoutValue(b *Bundle) []SecretRef {
	var out []SecretRef
	for _, s := range b.Manifest.Stacks {
		resources := templateResourceMap(mustDecode(b.Templates[s.Name]))
		for _, id := range slices.Sorted(maps.Keys(resources)) {
			r := resources[id]
			name, _ := r.props["Name"].(string)
			_, hasValue := r.props["SecretString"]
			_, generated := r.props["GenerateSecretString"]
			if r.typ != "AWS::SecretsManager::Secret" || name == "" || hasValue || generated {
				continue
			}
			purpose := fmt.Sprintf("%s (stack %s)", id, s.Name)
			switch {
			case strings.Contains(name, "docker-credentials"):
				purpose = dockerLoginPurpose
			case s.Environment != "":
				purpose = managedSecretPurpose(name[strings.LastIndex(name, "/")+1:], s.Environment)
			}
			out = append(out, SecretRef{Account: s.Account, Region: s.Region, Name: name, Purpose: purpose})
		}
	}
	return out
}

// AddSecrets adds to in the secrets of refs it does not have yet (by
// account, region and name).
func (in *PreflightInput) AddSecrets(refs []SecretRef) {
	for _, r := range refs {
		if !slices.ContainsFunc(in.Secrets, func(s SecretRef) bool {
			return s.Account.ID == r.Account.ID && s.Region == r.Region && s.Name == r.Name
		}) {
			in.Secrets = append(in.Secrets, r)
		}
	}
}

// mustDecode decodes a template, or returns nil.
func mustDecode(body []byte) any {
	v, err := decodeTemplate(body)
	if err != nil {
		return nil
	}
	return v
}

// accessHint says how cicdgen reaches an account, for a fix that an
// account's user runs: its role or profile.
func accessHint(a manifest.Account) string {
	switch {
	case a.Profile != "":
		return fmt.Sprintf("with profile %s (account %s %s)", a.Profile, a.Key, a.ID)
	case a.Role != "":
		return fmt.Sprintf("as role %s (account %s %s)", a.Role, a.Key, a.ID)
	}
	return fmt.Sprintf("with the caller's credentials (account %s %s)", a.Key, a.ID)
}

// profileFlag is the --profile of an AWS CLI command for account a.
func profileFlag(a manifest.Account) string {
	if a.Profile != "" {
		return " --profile " + a.Profile
	}
	return ""
}

// checkRolesVersion checks that an account's roles stack is as recent as
// the build's: its version parameter holds the build's version or more.
func checkRolesVersion(ctx context.Context, r RolesRef, f ClientFactory) Check {
	c := Check{Name: fmt.Sprintf("roles stack %s is recent enough (%s, %s)", r.Stack, r.Account.Key, r.Region)}
	update := fmt.Sprintf("run `cicdgen apply --stack %s` %s", r.Kind, accessHint(r.Account))
	cl, err := f.Clients(ctx, r.Account, r.Region)
	if err != nil {
		notReachable(&c, r.Account.Key, err)
		return c
	}
	if cl.SSM == nil {
		c.Status, c.Detail = Warn, "no SSM client to read "+r.Parameter
		return c
	}
	out, err := cl.SSM.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(r.Parameter)})
	var nf *ssmtypes.ParameterNotFound
	switch {
	case errors.As(err, &nf):
		st, derr := describeStack(ctx, cl.CloudFormation, r.Stack)
		if derr == nil && st == nil {
			c.Status, c.Detail = Warn, fmt.Sprintf("%s is not deployed yet; the first apply creates it (version %s)", r.Stack, r.Want)
			c.Fix = update
			return c
		}
		c.Status, c.Detail = Fail, fmt.Sprintf("%s has no version parameter %s: it was deployed by an older cicdgen, and the pipeline's deploy actions will refuse this account", r.Stack, r.Parameter)
		c.Fix = update
	case err != nil:
		c.Status, c.Detail = Fail, fmt.Sprintf("cannot read %s: %v", r.Parameter, err)
		c.Fix = fmt.Sprintf("allow ssm:GetParameter on %s %s", r.Parameter, accessHint(r.Account))
	case olderVersion(aws.ToString(out.Parameter.Value), r.Want):
		c.Status, c.Detail = Fail, fmt.Sprintf("%s is at version %s, this build needs %s: the pipeline's deploy actions will refuse this account", r.Stack, aws.ToString(out.Parameter.Value), r.Want)
		c.Fix = update
	default:
		c.Status, c.Detail = Pass, fmt.Sprintf("%s is at version %s", r.Parameter, aws.ToString(out.Parameter.Value))
	}
	return c
}

// olderVersion reports whether have is older than want: numerically when
// both are numbers, else when they differ.
func olderVersion(have, want string) bool {
	h, herr := strconv.ParseFloat(have, 64)
	w, werr := strconv.ParseFloat(want, 64)
	if herr == nil && werr == nil {
		return h < w
	}
	return have != want
}

// PreflightFailed reports whether any check failed.
func PreflightFailed(checks []Check) bool {
	for _, c := range checks {
		if c.Status == Fail {
			return true
		}
	}
	return false
}

func checkPlaceholders(ps []string) Check {
	c := Check{Name: "no placeholder left"}
	if len(ps) == 0 {
		c.Status, c.Detail = Pass, "system.yaml holds no placeholder value"
		return c
	}
	c.Status = Fail
	c.Detail = fmt.Sprintf("%d placeholder value(s): %s", len(ps), strings.Join(ps, "; "))
	c.Fix = "replace each with the real value (`cicdgen validate --strict` lists them with their lines)"
	return c
}

func checkAccount(ctx context.Context, a AccountRef, f ClientFactory) Check {
	c := Check{Name: fmt.Sprintf("account %s (%s) is reachable", a.Account.Key, a.Account.ID)}
	cl, err := f.Clients(ctx, a.Account, a.Region)
	if err == nil {
		var out *sts.GetCallerIdentityOutput
		out, err = cl.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err == nil && aws.ToString(out.Account) != a.Account.ID {
			err = fmt.Errorf("the credentials used belong to account %s", aws.ToString(out.Account))
		}
		if err == nil {
			c.Status, c.Detail = Pass, "reached as "+aws.ToString(out.Arn)
			return c
		}
	}
	c.Status, c.Detail = Fail, err.Error()
	var ae *AccountError
	switch {
	case errors.As(err, &ae) && ae.Err == nil:
		c.Fix = fmt.Sprintf("give account %q a `role:` that the caller may assume, or a `profile:`, in system.yaml", a.Account.Key)
	case a.Account.Role != "":
		c.Fix = fmt.Sprintf("let the caller assume %s (its trust policy must allow the caller's account) or use `profile:` instead", a.Account.Role)
	case a.Account.Profile != "":
		c.Fix = fmt.Sprintf("configure profile %q in ~/.aws/config for account %s (aws configure --profile %s)", a.Account.Profile, a.Account.ID, a.Account.Profile)
	default:
		c.Fix = "check the AWS credentials (AWS_PROFILE, aws sso login, or the CI's OIDC role)"
	}
	return c
}

// arnRegion returns the region field of an ARN.
func arnRegion(arn string) string {
	parts := strings.Split(arn, ":")
	if len(parts) > 3 {
		return parts[3]
	}
	return ""
}

func checkConnection(ctx context.Context, in PreflightInput, f ClientFactory) Check {
	c := Check{Name: "source connection is AVAILABLE"}
	region := arnRegion(in.Connection)
	if region == "" {
		region = in.HomeRegion
	}
	cl, err := f.Clients(ctx, in.Tooling, region)
	if err != nil {
		notReachable(&c, "tooling", err)
		return c
	}
	out, err := cl.Connections.GetConnection(ctx, &codeconnections.GetConnectionInput{ConnectionArn: aws.String(in.Connection)})
	if err != nil {
		var nf *cctypes.ResourceNotFoundException
		c.Status, c.Detail = Fail, fmt.Sprintf("cannot read %s: %v", in.Connection, err)
		if errors.As(err, &nf) {
			c.Detail = fmt.Sprintf("connection %s does not exist", in.Connection)
		}
		c.Fix = "create the connection in the tooling account (Developer Tools > Settings > Connections) and write its ARN under source.connection"
		return c
	}
	status := cctypes.ConnectionStatus("")
	if out.Connection != nil {
		status = out.Connection.ConnectionStatus
	}
	if status == cctypes.ConnectionStatusAvailable {
		c.Status, c.Detail = Pass, in.Connection+" is AVAILABLE"
		return c
	}
	c.Status, c.Detail = Fail, fmt.Sprintf("%s is %s", in.Connection, status)
	c.Fix = fmt.Sprintf("finish the handshake: open https://%s.console.aws.amazon.com/codesuite/settings/connections, choose the connection and \"Update pending connection\"", region)
	return c
}

func checkBuildImage(ctx context.Context, in PreflightInput, f ClientFactory) Check {
	c := Check{Name: fmt.Sprintf("build image %s:latest", in.BuildImageRepo)}
	uri := fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/%s:latest", in.Tooling.ID, in.HomeRegion, in.BuildImageRepo)
	builds := "the pipeline's BuildImage stage builds it from build.dockerfile and pushes it before Build runs"
	cl, err := f.Clients(ctx, in.Tooling, in.HomeRegion)
	if err != nil {
		notReachable(&c, "tooling", err)
		return c
	}
	_, err = cl.ECR.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String(in.BuildImageRepo), ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String("latest")}}})
	var noRepo *ecrtypes.RepositoryNotFoundException
	var noImage *ecrtypes.ImageNotFoundException
	switch {
	case err == nil:
		c.Status, c.Detail = Pass, uri+" exists"
	case errors.As(err, &noRepo):
		c.Status, c.Detail = Pass, fmt.Sprintf("repository %s does not exist yet: the first apply creates it, and %s", in.BuildImageRepo, builds)
	case errors.As(err, &noImage):
		c.Status, c.Detail = Pass, fmt.Sprintf("%s is not built yet: %s", uri, builds)
	default:
		c.Status, c.Detail = Warn, fmt.Sprintf("cannot read repository %s: %v (%s)", in.BuildImageRepo, err, builds)
		c.Fix = "allow ecr:DescribeImages " + accessHint(in.Tooling)
	}
	return c
}

func checkSecret(ctx context.Context, s SecretRef, f ClientFactory) Check {
	c := Check{Name: fmt.Sprintf("secret %s has a value (%s, %s)", s.Name, s.Account.Key, s.Region)}
	put := fmt.Sprintf("%s: aws secretsmanager put-secret-value --secret-id %s --region %s%s --secret-string VALUE",
		accessHint(s.Account), s.Name, s.Region, profileFlag(s.Account))
	cl, err := f.Clients(ctx, s.Account, s.Region)
	if err != nil {
		notReachable(&c, s.Account.Key, err)
		return c
	}
	out, err := cl.Secrets.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(s.Name)})
	var nf *smtypes.ResourceNotFoundException
	switch {
	case errors.As(err, &nf):
		c.Status, c.Detail = Warn, fmt.Sprintf("the secret does not exist yet: the first apply creates it without a value, which %s needs", s.Purpose)
		c.Fix = "after the first apply, " + put
		return c
	case err != nil:
		c.Status, c.Detail, c.Fix = Fail, fmt.Sprintf("cannot read the secret: %v", err), "allow secretsmanager:DescribeSecret and secretsmanager:ListSecretVersionIds "+accessHint(s.Account)
		return c
	}
	has := hasCurrentVersion(out.VersionIdsToStages)
	if !has {
		// DescribeSecret may leave the versions out: list them.
		versions, err := cl.Secrets.ListSecretVersionIds(ctx, &secretsmanager.ListSecretVersionIdsInput{SecretId: aws.String(s.Name)})
		if err != nil && !isNotImplemented(err) {
			c.Status, c.Detail, c.Fix = Fail, fmt.Sprintf("cannot list the secret's versions: %v", err), "allow secretsmanager:ListSecretVersionIds "+accessHint(s.Account)
			return c
		}
		if err == nil {
			for _, v := range versions.Versions {
				has = has || slices.Contains(v.VersionStages, "AWSCURRENT")
			}
		}
	}
	if has {
		c.Status, c.Detail = Pass, "the secret has a current value"
		return c
	}
	c.Status, c.Detail = Fail, fmt.Sprintf("the secret has no value, which %s needs", s.Purpose)
	c.Fix = put
	return c
}

func hasCurrentVersion(v map[string][]string) bool {
	for _, stages := range v {
		for _, s := range stages {
			if s == "AWSCURRENT" {
				return true
			}
		}
	}
	return false
}

// WriteChecks writes one line per check, and its fix under a check that
// does not pass. It returns the first error writing to w.
func WriteChecks(w io.Writer, checks []Check) error {
	bw := bufio.NewWriter(w) // keeps the first write error
	for _, c := range checks {
		mark := map[CheckStatus]string{Pass: "PASS", Warn: "WARN", Fail: "FAIL"}[c.Status]
		fmt.Fprintf(bw, "%s  %s: %s\n", mark, c.Name, c.Detail)
		if c.Status != Pass && c.Fix != "" {
			fmt.Fprintf(bw, "      fix: %s\n", c.Fix)
		}
	}
	failed, warned := 0, 0
	for _, c := range checks {
		switch c.Status {
		case Fail:
			failed++
		case Warn:
			warned++
		}
	}
	fmt.Fprintf(bw, "%s: %d passed, %s, %d failed\n", diag.Plural(len(checks), "check"), len(checks)-failed-warned, diag.Plural(warned, "warning"), failed)
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write checks: %w", err)
	}
	return nil
}

// WriteCheckAnnotations writes a GitHub Actions ::error for each failed
// check and a ::warning for each warning, with its fix.
func WriteCheckAnnotations(w io.Writer, checks []Check) error {
	var as []diag.Annotation
	for _, c := range checks {
		level := map[CheckStatus]string{Fail: "error", Warn: "warning"}[c.Status]
		if level == "" {
			continue
		}
		msg := c.Detail
		if c.Fix != "" {
			msg += ". Fix: " + c.Fix
		}
		as = append(as, diag.Annotation{Level: level, Title: "preflight: " + c.Name, Message: msg})
	}
	return diag.WriteAnnotations(w, as)
}

// notReachable fails c, a check that needs the clients of account key,
// which could not be had (err). The account's own check, above it, reports
// err; this one says so rather than repeating it, unless err is about
// something else than reaching the account.
func notReachable(c *Check, key string, err error) {
	c.Status, c.Detail = Fail, err.Error()
	if errors.As(err, new(*EndpointError)) {
		c.Detail = fmt.Sprintf("not checked: account %s cannot be reached (see its check above)", key)
	}
	c.Fix = fmt.Sprintf("make account %s reachable first", key)
}
