package schema

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/cicdgen/cicdgen/diag"
)

// nameComponent is a part of system.yaml that physical names are built from.
type nameComponent struct {
	path  string
	label string // how the message names it: `name "shop"`
	value string
}

// checkNameLengths checks every physical name against its AWS limit. Each
// name that is too long is charged to the longest part of system.yaml it is
// built from (name, suffix, an environment's name, service.name), and one
// diagnostic is reported per such part, naming the longest excess.
func (c *semantic) checkNameLengths() {
	type excess struct {
		pn    PhysicalName
		over  int
		part  nameComponent
		count int
	}
	byPath := map[string]*excess{}
	var order []string
	envOf := map[string]int{}
	for i := range c.sys.Environments {
		envOf[PathKey(environmentPath(i), "name")] = i
	}
	for _, pn := range NamesOf(c.sys).PhysicalNames() {
		n := utf8.RuneCountInString(pn.Name)
		if n <= pn.Limit {
			continue
		}
		parts := []nameComponent{
			{"$.name", fmt.Sprintf("name %q", c.sys.Name), c.sys.Name},
			{"$.suffix", fmt.Sprintf("suffix %q", c.sys.Suffix), c.sys.Suffix},
		}
		if i, ok := envOf[pn.Path]; ok {
			e := c.sys.Environments[i]
			parts = append(parts, nameComponent{pn.Path, fmt.Sprintf("environment name %q", e.Name), e.Name})
		}
		parts = append(parts, nameComponent{"$.service.name", fmt.Sprintf("service name %q", c.sys.Service.Name), c.sys.Service.Name})
		part := nameComponent{path: pn.Path, label: "the parts it is built from"}
		for _, p := range parts {
			if p.value != "" && strings.Contains(pn.Name, p.value) && len(p.value) > len(part.value) {
				part = p
			}
		}
		ex := byPath[part.path]
		if ex == nil {
			ex = &excess{}
			byPath[part.path] = ex
			order = append(order, part.path)
		}
		ex.count++
		if over := n - pn.Limit; over > ex.over {
			ex.pn, ex.over, ex.part = pn, over, part
		}
	}
	for _, p := range order {
		ex := byPath[p]
		n := utf8.RuneCountInString(ex.pn.Name)
		d := c.errorAt(diag.RuleNameLength, p, "%s name %q is %d characters, over AWS's limit of %d; shorten %s by at least %d", ex.pn.What, ex.pn.Name, n, ex.pn.Limit, ex.part.label, ex.over)
		others := ""
		switch ex.count {
		case 1:
		case 2:
			others = " One more name built from it is too long as well."
		default:
			others = fmt.Sprintf(" %d more names built from it are too long as well.", ex.count-1)
		}
		noteFix(d, "Physical names combine name, the environment's name and suffix.%s", others)
	}
}

// IsPlaceholderAccount reports whether id is a documentation account id:
// AWS's own example 123456789012, or twelve times the same digit
// (111111111111, 000000000000, ...). Apply refuses them.
func IsPlaceholderAccount(id string) bool {
	if id == "123456789012" {
		return true
	}
	return len(id) == 12 && strings.Count(id, id[:1]) == 12
}

// Placeholders returns the placeholder diagnostics of sys: the values it
// holds that were copied from examples and documentation (account ids,
// connection, repository, organization, e-mail addresses, elided ARNs).
// validate and build warn about them; apply refuses them, and build records
// them in manifest.json so that apply refuses a built directory too.
func Placeholders(sys *System) diag.Diagnostics {
	var out diag.Diagnostics
	for _, d := range Check(sys) {
		if d.Rule == RulePlaceholder {
			out = append(out, d)
		}
	}
	return out
}

// RulePlaceholder is the rule id of placeholder warnings (diag.RulePlaceholder).
const RulePlaceholder = diag.RulePlaceholder

// checkPlaceholders warns about values copied from examples: apply refuses
// them, and --strict makes them errors.
func (c *semantic) checkPlaceholders() {
	const why = "Apply refuses placeholders, and validate --strict reports them as errors."
	for _, key := range slices.Sorted(maps.Keys(c.sys.Accounts)) {
		a := c.sys.Accounts[key]
		if !IsPlaceholderAccount(a.ID) {
			continue
		}
		p := PathKey("$.accounts", key)
		if c.doc.Has(PathKey(p, "id")) {
			p = PathKey(p, "id")
		}
		d := c.warnAt(RulePlaceholder, p, "account id %s of %q is a placeholder; write the real 12-digit id of the account", a.ID, key)
		noteFix(d, "Find it with: aws sts get-caller-identity --query Account. %s", why)
	}
	if conn := c.sys.Source.Connection; strings.Contains(strings.ToLower(conn), "example") {
		d := c.warnAt(RulePlaceholder, "$.source.connection", "connection %q is a placeholder; create a connection in the tooling account and write its ARN", conn)
		noteFix(d, "A new connection is PENDING until you complete the handshake in the console. %s", why)
	}
	if repo := c.sys.Source.Repository; strings.EqualFold(repo, "myorg/myapp") {
		d := c.warnAt(RulePlaceholder, "$.source.repository", "repository %q is a placeholder; write the owner/name of your repository", repo)
		noteFix(d, "%s", why)
	}
	if c.sys.Organization == "o-a1b2c3d4e5" {
		d := c.warnAt(RulePlaceholder, "$.organization", "organization %q is the documentation's example; write your organization's id", c.sys.Organization)
		noteFix(d, "Find it with: aws organizations describe-organization --query Organization.Id")
	}
	for _, list := range []struct {
		key   string
		addrs []string
	}{{"approvals", c.sys.Notifications.Approvals}, {"failures", c.sys.Notifications.Failures}} {
		for i, a := range list.addrs {
			if !isExampleAddress(a) {
				continue
			}
			d := c.warnAt(RulePlaceholder, PathIndex(PathKey("$.notifications", list.key), i), "%q is a placeholder address; write a mailbox that someone reads", a)
			noteFix(d, "SNS sends a confirmation e-mail that someone must accept before notifications arrive. %s", why)
		}
	}
}

// isExampleAddress reports whether addr is at a domain reserved for
// documentation (RFC 2606): example.com, example.org, example.net.
func isExampleAddress(addr string) bool {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return false
	}
	domain := strings.ToLower(addr[at+1:])
	for _, d := range []string{"example.com", "example.org", "example.net"} {
		if domain == d || strings.HasSuffix(domain, "."+d) {
			return true
		}
	}
	return false
}
