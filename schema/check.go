package schema

import (
	"fmt"
	"strings"

	"github.com/cicdgen/cicdgen/diag"
)

// Check runs the semantic checks the JSON Schema cannot express on a loaded,
// defaulted system and returns their diagnostics.
//
// Every diagnostic carries a stable rule id, points at the YAML node that
// holds the offending value (for a per-environment override, the override's
// own node) and says how to fix the problem. The rules are:
//
//	unknown-account        an environment names an account that accounts lacks
//	duplicate-environment  two environments share a name (reported on the second)
//	region                 a region that AWS does not have, or in another partition
//	fargate-size           cpu and memory are not a Fargate task size
//	blue-green-only        traffic or bake_minutes given with deployment rolling
//	env-conflict           a variable named in both environment and secrets
//	managed-secret-id      two managed secrets whose names give the same logical id
//	deprecated-key         (warning) service.registry_credentials, accepted and ignored
//	health-check           a health check path that is not an absolute URL path
//	nat-gateways           more NAT gateways than availability zones
//	no-egress              no NAT gateway in an environment outside the home region (no route to ECR)
//	azs                    more availability zones than the environment's region has
//	cidr                   a VPC CIDR that is malformed, unaligned, outside /16–/24, reserved,
//	                       or too small for /27 load balancer subnets in every zone
//	wave-order             environments of one wave that are not consecutive
//	pipeline-limits        more than 50 stages, or more than 50 actions in one stage
//	override-stack         an overrides key that names no stack of this system
//	override-op            an overrides entry that is not a valid RFC 6902 operation
//	reserved-tag           a tag key starting with aws:
//	tag-length             a tag key over 128 or value over 256 characters
//	tag-chars              a tag key or value with characters AWS refuses
//	tag-count              more than 50 tags
//	deny-action            a roles.deny entry not shaped service:Action
//	arn                    an ARN of the wrong shape (connection, certificate, secret, role)
//	role-account           an account role in another account than the account's id
//	connection-scope       (warning) a connection outside the tooling account or home region
//	certificate-scope      a certificate outside the account or region of an environment that uses it
//	organization           an organization id not shaped o-xxxxxxxxxx
//	branch                 a source branch that git would not accept
//	email                  a notification address that is not an e-mail address
//	name-length            a physical name over its AWS length limit
//	placeholder            (warning) a value copied from the documentation's example
func Check(sys *System) diag.Diagnostics {
	if sys == nil {
		return nil
	}
	c := &semantic{sys: sys, doc: sys.Doc}
	if c.doc == nil {
		c.doc = NewDocument("", nil)
	}
	c.checkAccounts()
	c.checkOrganization()
	c.checkEnvironments()
	c.checkRegions()
	c.checkSource()
	c.checkBranch()
	c.checkNotifications()
	c.checkTags()
	c.checkDeny()
	c.checkServices()
	c.checkNetworks()
	c.checkPipeline()
	c.checkOverrides()
	c.checkNameLengths()
	c.checkPlaceholders()
	return c.ds.Normalize()
}

// semantic accumulates the diagnostics of one Check run.
type semantic struct {
	sys *System
	doc *Document
	ds  diag.Diagnostics
}

// errorAt reports an error about the value at path.
func (c *semantic) errorAt(rule, path, format string, args ...any) *diag.Diagnostic {
	c.ds = append(c.ds, diag.Errorf(rule, c.doc.Range(path), path, format, args...))
	return &c.ds[len(c.ds)-1]
}

// errorAtKey reports an error about the mapping key that names path.
func (c *semantic) errorAtKey(rule, path, format string, args ...any) *diag.Diagnostic {
	c.ds = append(c.ds, diag.Errorf(rule, c.doc.KeyRange(path), path, format, args...))
	return &c.ds[len(c.ds)-1]
}

// warnAt reports a warning about the value at path.
func (c *semantic) warnAt(rule, path, format string, args ...any) *diag.Diagnostic {
	c.ds = append(c.ds, diag.Warningf(rule, c.doc.Range(path), path, format, args...))
	return &c.ds[len(c.ds)-1]
}

// noteFix sets the hint of a diagnostic just reported.
func noteFix(d *diag.Diagnostic, format string, args ...any) {
	d.Hint = fmt.Sprintf(format, args...)
}

// environmentPath returns the path of environment i.
func environmentPath(i int) string { return PathIndex("$.environments", i) }

// didYouMean returns ` (did you mean "x"?)` when one of candidates is close
// to got, else "".
func didYouMean(got string, candidates []string) string {
	if s := diag.DidYouMean(got, candidates); s != "" {
		return " (" + s + ")"
	}
	return ""
}

// quotedList returns "a", "b" or "c" for items.
func quotedList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = fmt.Sprintf("%q", s)
	}
	return orListOf(q)
}

// orListOf returns a, b or c.
func orListOf(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}
