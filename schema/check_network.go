package schema

import (
	"fmt"
	"net/netip"

	"github.com/cicdgen/cicdgen/diag"
)

// reservedRanges are IPv4 ranges AWS does not accept as a VPC CIDR.
var reservedRanges = []struct {
	prefix netip.Prefix
	what   string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "\"this network\" range"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback range"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local range"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast range"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved range"},
}

// networkScope is the network block as one place sees it.
type networkScope struct {
	blockScope
	net Network
}

// checkNetworks checks the top-level network and every environment's
// effective network.
func (c *semantic) checkNetworks() {
	for _, b := range c.blockScopes("network") {
		net := c.sys.Network
		if b.env != nil {
			net = b.env.Network
		}
		c.checkNetwork(networkScope{blockScope: b, net: net})
	}
}

func (c *semantic) checkNetwork(s networkScope) {
	n := s.net
	if n.NATGateways > n.AZs && n.AZs > 0 {
		switch {
		case s.local("nat_gateways"):
			d := c.errorAt(diag.RuleNATGateways, s.path("nat_gateways"), "nat_gateways is %d but azs is %d%s; use at most %d (one per availability zone)", n.NATGateways, n.AZs, s.where(), n.AZs)
			noteFix(d, "A NAT gateway lives in one zone's public subnet; use 1 to save cost, azs for zone-independent egress, or 0 for none.")
		case s.local("azs"):
			d := c.errorAt(diag.RuleNATGateways, s.path("azs"), "azs %d%s is fewer than the %d nat_gateways of network; raise azs or set nat_gateways here too", n.AZs, s.where(), n.NATGateways)
			noteFix(d, "A NAT gateway lives in one zone's public subnet, so there is at most one per zone.")
		}
	}
	if n.CIDR != "" && (s.local("cidr") || s.local("azs")) {
		c.checkCIDR(s)
	}
	c.checkZoneCount(s)
	if s.env != nil && n.NATGateways == 0 && s.env.Region != c.sys.Region {
		d := c.errorAt(diag.RuleNoEgress, s.path("nat_gateways"), "environment %q in %s has no NAT gateway, so its tasks can never pull the application image from ECR in %s; set nat_gateways to 1 or more", s.env.Name, s.env.Region, c.sys.Region)
		noteFix(d, "Without NAT the VPC reaches AWS through VPC endpoints, and an endpoint only reaches its own region; the image repository is in the home region %s.", c.sys.Region)
	}
}

// checkCIDR checks the VPC CIDR and that it has room for the subnets.
func (c *semantic) checkCIDR(s networkScope) {
	cidr := s.net.CIDR
	p := s.path("cidr")
	pre, err := netip.ParsePrefix(cidr)
	if err != nil || !pre.Addr().Is4() {
		if s.local("cidr") {
			c.errorAt(diag.RuleCIDR, p, "cidr %q is not an IPv4 CIDR block; write it like 10.0.0.0/16", cidr)
		}
		return
	}
	if s.local("cidr") {
		if pre.Bits() < 16 || pre.Bits() > 24 {
			d := c.errorAt(diag.RuleCIDR, p, "cidr %s has prefix /%d; use a prefix from /16 to /24", cidr, pre.Bits())
			noteFix(d, "AWS accepts VPCs from /16 (65,536 addresses) to /28; cicdgen needs /24 or wider to carve public and private subnets in every zone.")
			return
		}
		if pre.Masked() != pre {
			d := c.errorAt(diag.RuleCIDR, p, "cidr %s is not a network address; use %s", cidr, pre.Masked())
			noteFix(d, "The address bits after the /%d prefix must be zero.", pre.Bits())
			return
		}
		for _, r := range reservedRanges {
			if !r.prefix.Overlaps(pre) {
				continue
			}
			where := fmt.Sprintf("lies in the %s %s", r.what, r.prefix)
			if r.prefix.Bits() >= pre.Bits() {
				where = "holds the " + r.what + " " + r.prefix.String()
			}
			if r.prefix == pre {
				where = "is the " + r.what
			}
			c.errorAt(diag.RuleCIDR, p, "cidr %s %s, which a VPC cannot use; use a private range such as 10.0.0.0/16, 172.16.0.0/16 or 192.168.0.0/16", cidr, where)
			return
		}
	}
	if sub := pre.Bits() + SubnetBits(s.net.AZs); sub > MinALBSubnetPrefix {
		at := p
		if !s.local("cidr") {
			at = s.path("azs")
		}
		d := c.errorAt(diag.RuleCIDR, at, "cidr %s%s is too small for %d zones: each of its %d subnets would be /%d, and a load balancer needs subnets of /%d or wider; %s",
			cidr, s.where(), s.net.AZs, 2*s.net.AZs, sub, MinALBSubnetPrefix, fittingNetwork(pre.Bits(), s.net.AZs))
		noteFix(d, "The VPC is split into 2×azs equal subnets (public and private in each zone), each ceil(log2(2×azs)) bits longer than the VPC prefix; an Application Load Balancer needs at least 8 free addresses in each of its subnets, so /%d.", MinALBSubnetPrefix)
	}
}

// fittingNetwork says which cidr prefix, or which number of zones, would
// give subnets a load balancer accepts.
func fittingNetwork(prefix, azs int) string {
	wider := MinALBSubnetPrefix - SubnetBits(azs)
	fewer := 0
	for a := azs - 1; a >= 2; a-- {
		if prefix+SubnetBits(a) <= MinALBSubnetPrefix {
			fewer = a
			break
		}
	}
	if fewer == 0 {
		return fmt.Sprintf("use a /%d cidr or wider", wider)
	}
	return fmt.Sprintf("use a /%d cidr or wider, or at most %d azs", wider, fewer)
}

// checkZoneCount checks that azs does not exceed the availability zones
// of the environment's region.
func (c *semantic) checkZoneCount(s networkScope) {
	if s.env == nil {
		return
	}
	zones, known := RegionZones(s.env.Region)
	if !known || s.net.AZs <= zones {
		return
	}
	d := c.errorAt(diag.RuleAZs, s.path("azs"), "azs is %d%s, but region %s has only %d availability zones; use at most %d", s.net.AZs, s.where(), s.env.Region, zones, zones)
	noteFix(d, "The subnets are placed with Fn::Select over Fn::GetAZs, which lists only the zones of the region that the account can use.")
}
