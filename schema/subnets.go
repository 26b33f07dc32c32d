package schema

import (
	"fmt"
	"math/bits"
	"net/netip"
)

// MinSubnetPrefix is the longest prefix AWS accepts for a subnet (/28, 16 addresses).
const MinSubnetPrefix = 28

// MinALBSubnetPrefix is the longest prefix of a subnet an Application Load
// Balancer accepts (/27: it needs at least 8 free addresses in each subnet,
// and AWS reserves 5 of every subnet's).
const MinALBSubnetPrefix = 27

// SubnetBits returns how many bits SubnetCIDRs adds to the VPC prefix to
// carve 2×azs subnets: ceil(log2(2×azs)).
func SubnetBits(azs int) int {
	n := 2 * azs
	if n <= 1 {
		return 0
	}
	return bits.Len(uint(n - 1))
}

// SubnetCIDRs carves the VPC cidr into the subnets of azs availability zones:
// 2×azs equal subnets of prefix+ceil(log2(2×azs)) bits, laid out from the
// start of the VPC. The public subnet of zone i is subnet i, the private
// subnet of zone i is subnet azs+i; any subnet left over at the end of the
// range stays free. For example 10.0.0.0/16 with 2 zones gives the public
// subnets 10.0.0.0/18 and 10.0.64.0/18 and the private subnets 10.0.128.0/18
// and 10.0.192.0/18.
//
// cidr must be an IPv4 network address with its prefix (10.0.0.0/16, not
// 10.0.0.1/16), and every subnet must stay at /28 or wider.
func SubnetCIDRs(cidr string, azs int) (public, private []string, err error) {
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		return nil, nil, fmt.Errorf("parse VPC CIDR: %w", err)
	}
	if !p.Addr().Is4() {
		return nil, nil, fmt.Errorf("VPC CIDR %s is not IPv4", cidr)
	}
	if p.Masked() != p {
		return nil, nil, fmt.Errorf("VPC CIDR %s is not a network address; use %s", cidr, p.Masked())
	}
	if azs < 1 {
		return nil, nil, fmt.Errorf("carve VPC CIDR %s: %d availability zones", cidr, azs)
	}
	sub := p.Bits() + SubnetBits(azs)
	if sub > MinSubnetPrefix {
		return nil, nil, fmt.Errorf("VPC CIDR %s is too small for %d subnets: each would be /%d, and AWS needs /%d or wider", cidr, 2*azs, sub, MinSubnetPrefix)
	}
	base := p.Addr().As4()
	start := uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(base[2])<<8 | uint32(base[3])
	size := uint32(1) << (32 - sub)
	at := func(i int) string {
		a := start + uint32(i)*size
		return netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(a >> 24), byte(a >> 16), byte(a >> 8), byte(a)}), sub).String()
	}
	for i := 0; i < azs; i++ {
		public = append(public, at(i))
		private = append(private, at(azs+i))
	}
	return public, private, nil
}
