package schema

import (
	"fmt"
	"maps"
	"net/mail"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cicdgen/cicdgen/diag"
)

// ARN shapes. The partition is aws, aws-cn, aws-us-gov or another aws-*.
var (
	connectionARN  = lazyRegexp(`^arn:aws(?:-[a-z]+)*:(?:codestar-connections|codeconnections):([a-z0-9-]+):(\d{12}):connection/[A-Za-z0-9-]+$`)
	certificateARN = lazyRegexp(`^arn:aws(?:-[a-z]+)*:acm:([a-z0-9-]+):(\d{12}):certificate/[A-Za-z0-9-]+$`)
	secretARN      = lazyRegexp(`^arn:aws(?:-[a-z]+)*:secretsmanager:([a-z0-9-]+):(\d{12}):secret:[A-Za-z0-9/_+=.@-]+(?::[^:\s]*){0,3}$`)
	parameterARN   = lazyRegexp(`^arn:aws(?:-[a-z]+)*:ssm:([a-z0-9-]+):(\d{12}):parameter/[A-Za-z0-9/_.-]+$`)
	roleARN        = lazyRegexp(`^arn:aws(?:-[a-z]+)*:iam::(\d{12}):role/(?:[\x21-\x7e]*/)?([\w+=,.@-]+)$`) // the name's 1 to 64 characters are counted apart: {1,64} is slow to compile
	organizationID = lazyRegexp(`^o-[a-z0-9]{10,32}$`)
	denyAction     = lazyRegexp(`^[a-z0-9-]+:[A-Za-z0-9*]+$`)
)

// checkAccounts checks the role ARN of each account.
func (c *semantic) checkAccounts() {
	for _, key := range slices.Sorted(maps.Keys(c.sys.Accounts)) {
		a := c.sys.Accounts[key]
		p := PathKey("$.accounts", key)
		if a.Role == "" {
			continue
		}
		rp := PathKey(p, "role")
		m := roleARN().FindStringSubmatch(a.Role)
		if m != nil && len(m[2]) > 64 {
			m = nil // the role name is longer than IAM allows
		}
		if m == nil && c.elided(rp, "role", a.Role) {
			continue
		}
		if m == nil {
			d := c.errorAt(diag.RuleARN, rp, "role %q is not an IAM role ARN; write arn:aws:iam::%s:role/NAME", a.Role, accountOrPlaceholder(a.ID))
			noteFix(d, "apply assumes this role to deploy into account %q.", key)
			continue
		}
		if a.ID != "" && m[1] != a.ID {
			c.errorAt(diag.RuleRoleAccount, rp, "role %q is in account %s, not in account %q (%s); use a role of account %s", a.Role, m[1], key, a.ID, a.ID)
		}
	}
}

// elided reports, as a placeholder warning, an ARN shortened with an
// ellipsis the way documentation writes it (arn:aws:acm:…), and returns
// whether value is one.
func (c *semantic) elided(path, what, value string) bool {
	if !IsElided(value) {
		return false
	}
	d := c.warnAt(RulePlaceholder, path, "%s %q is an elided example; write the full ARN", what, value)
	noteFix(d, "Apply refuses placeholders, and validate --strict reports them as errors.")
	return true
}

// IsElided reports whether value is shortened with an ellipsis the way
// documentation writes ARNs (arn:aws:acm:…): a placeholder, never a value
// that AWS would accept.
func IsElided(value string) bool {
	return strings.Contains(value, "…") || strings.Contains(value, "...")
}

// accountOrPlaceholder returns id, or ACCOUNT_ID when it is empty.
func accountOrPlaceholder(id string) string {
	if id == "" {
		return "ACCOUNT_ID"
	}
	return id
}

// checkOrganization checks the shape of the organization id.
func (c *semantic) checkOrganization() {
	o := c.sys.Organization
	if o == "" || organizationID().MatchString(o) {
		return
	}
	d := c.errorAt(diag.RuleOrganization, "$.organization", "organization %q is not an AWS Organizations id; write o- followed by 10 to 32 lowercase letters or digits, e.g. o-a1b2c3d4e5", o)
	noteFix(d, "Find it with: aws organizations describe-organization --query Organization.Id")
}

// checkEnvironments checks that environment names are unique and that each
// names a declared account.
func (c *semantic) checkEnvironments() {
	accounts := slices.Sorted(maps.Keys(c.sys.Accounts))
	first := map[string]int{}
	for i, e := range c.sys.Environments {
		p := environmentPath(i)
		if j, ok := first[e.Name]; ok {
			d := c.errorAt(diag.RuleDuplicateEnvironment, PathKey(p, "name"), "environment name %q is already used by environments[%d]; give each environment a unique name", e.Name, j)
			noteFix(d, "Stack and resource names carry the environment name, so two environments with one name would collide.")
		} else {
			first[e.Name] = i
		}
		if _, ok := c.sys.Accounts[e.Account]; !ok && e.Account != "" {
			d := c.errorAt(diag.RuleUnknownAccount, PathKey(p, "account"), "environment %q names account %q, which accounts does not declare%s", e.Name, e.Account, didYouMean(e.Account, accounts))
			noteFix(d, "Use one of %s, or add %q under accounts.", quotedList(accounts), e.Account)
		}
	}
}

// checkRegions checks the home region and the region of every environment.
func (c *semantic) checkRegions() {
	home := c.sys.Region
	homeKnown := c.checkRegion("$.region", home)
	for i, e := range c.sys.Environments {
		p := PathKey(environmentPath(i), "region")
		if !c.doc.Has(p) {
			continue
		}
		if !c.checkRegion(p, e.Region) || !homeKnown {
			continue
		}
		if hp, ep := regionPartition(home), regionPartition(e.Region); hp != ep {
			c.errorAt(diag.RuleRegion, p, "environment %q is in region %s of partition %s, but the pipeline's home region %s is in partition %s; a pipeline cannot deploy across partitions: deploy it from a system whose region is in %s", e.Name, e.Region, ep, home, hp, ep)
		}
	}
}

// checkRegion reports a region AWS does not have and returns whether the
// region is known.
func (c *semantic) checkRegion(path, region string) bool {
	if region == "" || knownRegions[region] {
		return region != ""
	}
	d := c.errorAt(diag.RuleRegion, path, "region %q is not an AWS region%s", region, didYouMean(region, regionList()))
	noteFix(d, "Write a region code such as us-east-1, eu-west-1 or ap-southeast-2.")
	return false
}

// checkSource checks the connection ARN.
func (c *semantic) checkSource() {
	conn := c.sys.Source.Connection
	if conn == "" {
		return
	}
	p := "$.source.connection"
	m := connectionARN().FindStringSubmatch(conn)
	if m == nil && c.elided(p, "connection", conn) {
		return
	}
	if m == nil {
		d := c.errorAt(diag.RuleARN, p, "connection %q is not a connection ARN; write arn:aws:codeconnections:REGION:ACCOUNT:connection/ID", conn)
		noteFix(d, "Copy the ARN from the console (Developer Tools > Settings > Connections) or from: aws codeconnections list-connections")
		return
	}
	if !knownRegions[m[1]] {
		c.errorAt(diag.RuleARN, p, "connection %q names region %q, which is not an AWS region%s", conn, m[1], didYouMean(m[1], regionList()))
		return
	}
	if tooling := c.sys.Tooling().ID; tooling != "" && m[2] != tooling {
		c.warnAt(diag.RuleConnectionScope, p, "connection is in account %s, but the pipeline runs in the tooling account %s; create the connection in the tooling account", m[2], tooling)
	}
	if c.sys.Region != "" && m[1] != c.sys.Region {
		c.warnAt(diag.RuleConnectionScope, p, "connection is in region %s, but the pipeline runs in %s; create the connection in %s", m[1], c.sys.Region, c.sys.Region)
	}
}

// checkBranch checks that source.branch is a name git accepts for a branch
// (the rules of git check-ref-format).
func (c *semantic) checkBranch() {
	b := c.sys.Source.Branch
	if b == "" {
		return
	}
	var why string
	if i := strings.IndexFunc(b, func(r rune) bool { return r <= ' ' || r == 0x7f || strings.ContainsRune("~^:?*[\\", r) }); i >= 0 {
		why = fmt.Sprintf("it holds %q, which git does not allow", b[i:i+1])
	}
	for _, bad := range []string{"..", "//", "/.", "@{"} {
		if why == "" && strings.Contains(b, bad) {
			why = fmt.Sprintf("it holds %q, which git does not allow", bad)
		}
	}
	switch {
	case why != "":
	case strings.HasPrefix(b, "refs/"):
		why = "give the branch name without refs/heads/"
	case strings.HasPrefix(b, "-"), strings.HasPrefix(b, "/"), strings.HasPrefix(b, "."):
		why = fmt.Sprintf("it starts with %q", b[:1])
	case strings.HasSuffix(b, ".lock"):
		why = "it ends with .lock"
	case strings.HasSuffix(b, "/"), strings.HasSuffix(b, "."):
		why = fmt.Sprintf("it ends with %q", b[len(b)-1:])
	case b == "@":
		why = "@ alone is not a branch"
	default:
		return
	}
	c.errorAt(diag.RuleBranch, "$.source.branch", "branch %q is not a git branch name: %s; write the branch as git shows it, e.g. main", b, why)
}

// checkNotifications checks the shape of the subscribed e-mail addresses.
func (c *semantic) checkNotifications() {
	for _, list := range []struct {
		key   string
		addrs []string
	}{{"approvals", c.sys.Notifications.Approvals}, {"failures", c.sys.Notifications.Failures}} {
		for i, a := range list.addrs {
			p := PathIndex(PathKey("$.notifications", list.key), i)
			if !isEmailAddress(a) {
				c.errorAt(diag.RuleEmail, p, "%q is not an e-mail address; write a plain address such as team@your-company.com", a)
			}
		}
	}
}

// isEmailAddress reports whether s is a bare e-mail address with a dotted domain.
func isEmailAddress(s string) bool {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	domain := s[at+1:]
	return at > 0 && strings.Contains(domain, ".") && !strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".")
}

// checkTags checks the keys and values of tags against CloudFormation's rules.
func (c *semantic) checkTags() {
	keys := slices.Sorted(maps.Keys(c.sys.Tags))
	if len(keys) > MaxUserTags {
		d := c.errorAtKey(diag.RuleTagCount, PathKey("$.tags", keys[MaxUserTags]), "tags has %d entries; at most %d fit, remove %d", len(keys), MaxUserTags, len(keys)-MaxUserTags)
		noteFix(d, "The tags are set on every stack beside the %s tags cicdgen adds, and CloudFormation allows %d tags per stack.", ReservedTagPrefix, MaxStackTags)
	}
	for _, k := range keys {
		v := c.sys.Tags[k]
		p := PathKey("$.tags", k)
		if strings.HasPrefix(strings.ToLower(k), ReservedTagPrefix) {
			c.errorAtKey(diag.RuleReservedTag, p, "tag key %q starts with %s, which cicdgen reserves for the tags it sets on every stack; rename the key", k, ReservedTagPrefix)
			continue
		}
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			d := c.errorAtKey(diag.RuleReservedTag, p, "tag key %q starts with aws:, which AWS reserves for its own tags; rename the key", k)
			noteFix(d, "A prefix of your own, such as %q, keeps the intent.", "org:"+k[4:])
			continue
		}
		if n := utf8.RuneCountInString(k); n > 128 {
			c.errorAtKey(diag.RuleTagLength, p, "tag key is %d characters; AWS allows 128, shorten it by %d", n, n-128)
		} else if !tagChars(k) {
			c.errorAtKey(diag.RuleTagChars, p, "tag key %q has characters AWS refuses; use letters, digits, spaces and _ . : / = + - @", k)
		}
		if n := utf8.RuneCountInString(v); n > 256 {
			c.errorAt(diag.RuleTagLength, p, "value of tag %q is %d characters; AWS allows 256, shorten it by %d", k, n, n-256)
		} else if !tagChars(v) {
			c.errorAt(diag.RuleTagChars, p, "value of tag %q has characters AWS refuses; use letters, digits, spaces and _ . : / = + - @", k)
		}
	}
}

// checkDeny checks that every roles.deny entry is an IAM action.
func (c *semantic) checkDeny() {
	for i, a := range c.sys.Roles.Deny {
		if denyAction().MatchString(a) {
			continue
		}
		p := PathIndex("$.roles.deny", i)
		fix := "write service:Action, e.g. iam:CreateUser or s3:Delete*"
		if s, act, ok := strings.Cut(strings.TrimSpace(a), ":"); ok && s != "" && act != "" {
			if guess := strings.ToLower(s) + ":" + act; denyAction().MatchString(guess) {
				fix = fmt.Sprintf("write %q (service prefix in lowercase, no spaces)", guess)
			}
		}
		c.errorAt(diag.RuleDenyAction, p, "%q is not an IAM action; %s", a, fix)
	}
}

// tagChars reports whether s holds only the characters AWS allows in tag
// keys and values: Unicode letters (L), separators (Z) and numbers (N),
// and _ . : / = + - @. (It is the expression ^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$
// written out: compiling the Unicode classes took 0.2 ms.)
func tagChars(s string) bool {
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.Is(unicode.Z, r) && !unicode.IsNumber(r) && !strings.ContainsRune("_.:/=+-@", r) {
			return false
		}
	}
	return true
}
