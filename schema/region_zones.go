package schema

// regionZones is the number of availability zones each region offers to a
// new account by default: what Fn::GetAZs lists there. Source: the AWS
// documentation page "AWS Regions and Availability Zones"
// (https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-availability-zones.html),
// as of 2025-06. Some older regions have more zones than a new account can
// use (us-west-1 has 3, ap-northeast-1 has 4, of which new accounts get 2 and
// 3); the table holds the usable number. The isolated partitions (aws-iso*)
// are absent: their zone counts are not public, so azs is not checked there.
// A region added to knownRegions needs a line here (a test checks it).
var regionZones = map[string]int{
	"af-south-1":     3,
	"ap-east-1":      3,
	"ap-east-2":      3,
	"ap-northeast-1": 3,
	"ap-northeast-2": 4,
	"ap-northeast-3": 3,
	"ap-south-1":     3,
	"ap-south-2":     3,
	"ap-southeast-1": 3,
	"ap-southeast-2": 3,
	"ap-southeast-3": 3,
	"ap-southeast-4": 3,
	"ap-southeast-5": 3,
	"ap-southeast-6": 3,
	"ap-southeast-7": 3,
	"ca-central-1":   3,
	"ca-west-1":      3,
	"eu-central-1":   3,
	"eu-central-2":   3,
	"eu-north-1":     3,
	"eu-south-1":     3,
	"eu-south-2":     3,
	"eu-west-1":      3,
	"eu-west-2":      3,
	"eu-west-3":      3,
	"il-central-1":   3,
	"me-central-1":   3,
	"me-south-1":     3,
	"mx-central-1":   3,
	"sa-east-1":      3,
	"us-east-1":      6,
	"us-east-2":      3,
	"us-west-1":      2,
	"us-west-2":      4,
	"cn-north-1":     3,
	"cn-northwest-1": 3,
	"us-gov-east-1":  3,
	"us-gov-west-1":  3,
	"eusc-de-east-1": 3,
}

// RegionZones returns the number of availability zones a new account can use
// in region, and whether the region's count is known.
func RegionZones(region string) (int, bool) {
	n, ok := regionZones[region]
	return n, ok
}
