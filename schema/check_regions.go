package schema

import (
	"sort"
	"strings"
)

// knownRegions is every AWS region code, in every partition, that a
// system.yaml may name. A region AWS opens later needs a line here.
var knownRegions = func() map[string]bool {
	m := map[string]bool{}
	for _, r := range []string{
		// aws
		"af-south-1",
		"ap-east-1", "ap-east-2",
		"ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
		"ap-south-1", "ap-south-2",
		"ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4",
		"ap-southeast-5", "ap-southeast-6", "ap-southeast-7",
		"ca-central-1", "ca-west-1",
		"eu-central-1", "eu-central-2",
		"eu-north-1",
		"eu-south-1", "eu-south-2",
		"eu-west-1", "eu-west-2", "eu-west-3",
		"il-central-1",
		"me-central-1", "me-south-1",
		"mx-central-1",
		"sa-east-1",
		"us-east-1", "us-east-2", "us-west-1", "us-west-2",
		// aws-cn
		"cn-north-1", "cn-northwest-1",
		// aws-us-gov
		"us-gov-east-1", "us-gov-west-1",
		// aws-iso, aws-iso-b, aws-iso-e, aws-iso-f
		"us-iso-east-1", "us-iso-west-1", "us-isob-east-1", "eu-isoe-west-1",
		"us-isof-east-1", "us-isof-south-1",
		// aws-eusc (European Sovereign Cloud)
		"eusc-de-east-1",
	} {
		m[r] = true
	}
	return m
}()

// regionList returns the known regions, sorted.
func regionList() []string {
	out := make([]string, 0, len(knownRegions))
	for r := range knownRegions {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// regionPartition returns the ARN partition of a region.
func regionPartition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	case strings.HasPrefix(region, "eusc-"):
		return "aws-eusc"
	case strings.HasPrefix(region, "us-isob-"):
		return "aws-iso-b"
	case strings.HasPrefix(region, "eu-isoe-"):
		return "aws-iso-e"
	case strings.HasPrefix(region, "us-isof-"):
		return "aws-iso-f"
	case strings.HasPrefix(region, "us-iso-"):
		return "aws-iso"
	}
	return "aws"
}
