// The awsQuery wire shapes of the CloudFormation responses the fake serves.

package fakeaws

import (
	"encoding/xml"
	"fmt"
	"net/url"
)

// --- XML shapes ---

type xmlParam struct{ ParameterKey, ParameterValue string }

type xmlTag struct{ Key, Value string }

type xmlOutput struct {
	OutputKey, OutputValue string
	ExportName             string `xml:",omitempty"`
}

type xmlStack struct {
	StackId                     string
	StackName                   string
	Parameters                  []xmlParam `xml:"Parameters>member"`
	CreationTime                string
	LastUpdatedTime             string `xml:",omitempty"`
	StackStatus                 string
	StackStatusReason           string      `xml:",omitempty"`
	Capabilities                []string    `xml:"Capabilities>member"`
	Outputs                     []xmlOutput `xml:"Outputs>member"`
	Tags                        []xmlTag    `xml:"Tags>member"`
	EnableTerminationProtection bool
}

type describeStacksResult struct {
	XMLName xml.Name   `xml:"r"`
	Stacks  []xmlStack `xml:"Stacks>member"`
}

type xmlEvent struct {
	StackId, EventId, StackName, LogicalResourceId, PhysicalResourceId, ResourceType, Timestamp, ResourceStatus string
	ResourceStatusReason                                                                                        string `xml:",omitempty"`
}

type describeEventsResult struct {
	XMLName     xml.Name   `xml:"r"`
	StackEvents []xmlEvent `xml:"StackEvents>member"`
	NextToken   string     `xml:",omitempty"`
}

type createChangeSetResult struct {
	XMLName xml.Name `xml:"r"`
	Id      string
	StackId string
}

type xmlChange struct {
	Type           string
	ResourceChange struct {
		Action             string
		LogicalResourceId  string
		PhysicalResourceId string `xml:",omitempty"`
		ResourceType       string
		Replacement        string      `xml:",omitempty"`
		Details            []xmlDetail `xml:"Details>member"` // ops.go
	}
}

type describeChangeSetResult struct {
	XMLName         xml.Name `xml:"r"`
	ChangeSetName   string
	ChangeSetId     string
	StackId         string
	StackName       string
	Description     string     `xml:",omitempty"`
	Parameters      []xmlParam `xml:"Parameters>member"`
	CreationTime    string
	ExecutionStatus string
	Status          string
	StatusReason    string      `xml:",omitempty"`
	Capabilities    []string    `xml:"Capabilities>member"`
	Tags            []xmlTag    `xml:"Tags>member"`
	Changes         []xmlChange `xml:"Changes>member"`
	NextToken       string      `xml:",omitempty"`
}

type stackIDResult struct {
	XMLName xml.Name `xml:"r"`
	StackId string
}

type getTemplateResult struct {
	XMLName         xml.Name `xml:"r"`
	TemplateBody    string
	StagesAvailable []string `xml:"StagesAvailable>member"`
}

type xmlResource struct {
	StackName, StackId, LogicalResourceId   string
	PhysicalResourceId                      string `xml:",omitempty"`
	ResourceType, Timestamp, ResourceStatus string
	ResourceStatusReason                    string `xml:",omitempty"`
}

type describeResourcesResult struct {
	XMLName        xml.Name      `xml:"r"`
	StackResources []xmlResource `xml:"StackResources>member"`
}

// members reads the list parameter prefix.member.N (or prefix.member.N.field).
func members(f url.Values, prefix, field string) []string {
	var out []string
	for i := 1; ; i++ {
		k := fmt.Sprintf("%s.member.%d", prefix, i)
		if field != "" {
			k += "." + field
		}
		v, ok := f[k]
		if !ok {
			return out
		}
		out = append(out, v[0])
	}
}
