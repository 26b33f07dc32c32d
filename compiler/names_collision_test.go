package compiler

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/cicdgen/cicdgen/schema"
)

// physicalNameProperty names, per resource type the compiler emits, the
// property that holds the resource's physical name and where that name must
// be unique: "region" (per account and region), "account" (per account, as
// IAM names and CloudWatch dashboards are) or "global" (S3 buckets). A type
// with no entry fails TestTwoSystemsShareAccountsWithoutCollisions, so that
// a new resource type is looked at; types whose resources have no name
// (AWS assigns an id) map to "".
var physicalNameProperty = map[string]struct{ property, scope string }{
	"AWS::CloudWatch::Dashboard":                {"DashboardName", "account"},
	"AWS::CodeBuild::Project":                   {"Name", "region"},
	"AWS::CodePipeline::Pipeline":               {"Name", "region"},
	"AWS::ECR::Repository":                      {"RepositoryName", "region"},
	"AWS::ECS::Cluster":                         {"ClusterName", "region"},
	"AWS::ECS::Service":                         {"ServiceName", "region"},
	"AWS::ECS::TaskDefinition":                  {"Family", "region"},
	"AWS::ElasticLoadBalancingV2::LoadBalancer": {"Name", "region"},
	"AWS::ElasticLoadBalancingV2::TargetGroup":  {"Name", "region"},
	"AWS::Events::Rule":                         {"Name", "region"},
	"AWS::IAM::Role":                            {"RoleName", "account"},
	"AWS::KMS::Alias":                           {"AliasName", "region"},
	"AWS::Logs::LogGroup":                       {"LogGroupName", "region"},
	"AWS::S3::Bucket":                           {"BucketName", "global"},
	"AWS::SNS::Topic":                           {"TopicName", "region"},
	"AWS::SSM::Parameter":                       {"Name", "region"},
	"AWS::SecretsManager::Secret":               {"Name", "region"},
	// Resources AWS names itself.
	"AWS::CloudFormation::WaitConditionHandle": {},
	"AWS::EC2::EIP":                               {},
	"AWS::EC2::FlowLog":                           {},
	"AWS::EC2::InternetGateway":                   {},
	"AWS::EC2::NatGateway":                        {},
	"AWS::EC2::Route":                             {},
	"AWS::EC2::RouteTable":                        {},
	"AWS::EC2::SecurityGroup":                     {},
	"AWS::EC2::SecurityGroupIngress":              {},
	"AWS::EC2::Subnet":                            {},
	"AWS::EC2::SubnetRouteTableAssociation":       {},
	"AWS::EC2::VPC":                               {},
	"AWS::EC2::VPCEndpoint":                       {},
	"AWS::EC2::VPCGatewayAttachment":              {},
	"AWS::ElasticLoadBalancingV2::Listener":       {},
	"AWS::ElasticLoadBalancingV2::ListenerRule":   {},
	"AWS::KMS::Key":                               {},
	"AWS::S3::BucketPolicy":                       {},
	"AWS::SNS::Subscription":                      {},
	"AWS::SNS::TopicPolicy":                       {},
	"AWS::SecretsManager::ResourcePolicy":         {},
	"AWS::SecretsManager::SecretTargetAttachment": {},
}

// collisionSystem is a system with every optional stack (a test stage,
// registry credentials, a support region, protect, waves), named name;
// every other value is the same for each name.
func collisionSystem(name string) string {
	return fmt.Sprintf(`version: 1
name: %s
suffix: same
region: us-east-1
accounts:
  tooling: "401234567890"
  dev: "401234567891"
  prod: "401234567892"
source:
  connection: arn:aws:codeconnections:us-east-1:401234567890:connection/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d
  repository: unit/app
build:
  registry_credentials: true
test: {}
service:
  name: web
  port: 8080
environments:
  - {name: dev, account: dev}
  - {name: eu, account: prod, region: eu-west-1, wave: prod, protect: true}
  - {name: us, account: prod, wave: prod, approval: true}
`, name)
}

// physicalName is one name a system creates, where it must be unique.
type physicalName struct {
	where string // scope: "global", the account, or account/region
	what  string // resource type, or "stack"
	name  string
}

// physicalNamesOf returns every physical name of a's stacks (the stacks'
// own names included) and reports a type physicalNameProperty does not know.
func physicalNamesOf(t *testing.T, a *Assembly) []physicalName {
	t.Helper()
	var out []physicalName
	for _, s := range a.Stacks {
		out = append(out, physicalName{s.Account.ID + "/" + s.Region, "stack", s.Name})
		for id, r := range stackDoc(t, s)["Resources"].(map[string]any) {
			res := r.(map[string]any)
			typ := res["Type"].(string)
			p, ok := physicalNameProperty[typ]
			if !ok {
				t.Errorf("%s %s: type %s is not in physicalNameProperty; add its name property", s.Name, id, typ)
				continue
			}
			if p.property == "" {
				continue
			}
			props, _ := res["Properties"].(map[string]any)
			name, ok := props[p.property].(string)
			if !ok {
				t.Errorf("%s %s (%s) has no literal %s: every named resource carries its name", s.Name, id, typ, p.property)
				continue
			}
			where := map[string]string{"global": "global", "account": s.Account.ID, "region": s.Account.ID + "/" + s.Region}[p.scope]
			out = append(out, physicalName{where, typ, name})
		}
	}
	return out
}

func TestTwoSystemsShareAccountsWithoutCollisions(t *testing.T) {
	// "shop" is a prefix of "shop-eu": names must not merely start alike.
	systems := []string{"shop", "shop-eu"}
	owner := map[physicalName]string{}
	for _, name := range systems {
		sys := loadYAML(t, collisionSystem(name))
		a, ds := Compile(sys)
		if ds.HasErrors() {
			t.Fatalf("%s: %v", name, ds)
		}
		names := physicalNamesOf(t, a)
		if len(names) < 60 {
			t.Fatalf("%s: only %d physical names found", name, len(names))
		}
		for _, n := range names {
			// A KMS alias begins with alias/, and an SSM parameter's hierarchy
			// with its root /: the name proper comes after them.
			bare := strings.TrimPrefix(strings.TrimPrefix(n.name, "alias/"), "/")
			if !strings.HasPrefix(bare, name+"-") && !strings.HasPrefix(bare, name+"/") {
				t.Errorf("%s: %s %q does not begin with the system's name", name, n.what, n.name)
			}
			if other, ok := owner[n]; ok {
				t.Errorf("%s %q in %s belongs to both %s and %s", n.what, n.name, n.where, other, name)
				continue
			}
			owner[n] = name
		}
	}
}

func TestPhysicalNamesCoverTheTemplates(t *testing.T) {
	// schema.Names.PhysicalNames (the length checks) lists what the
	// templates create: every name of a template is in it, or is derived
	// from one (a stack of a kind, per region or per environment).
	sys := loadYAML(t, collisionSystem("shop"))
	a, ds := Compile(sys)
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	listed := map[string]bool{}
	for _, p := range schema.NamesOf(sys).PhysicalNames() {
		listed[p.Name] = true
	}
	var missing []string
	for _, n := range physicalNamesOf(t, a) {
		if n.what == "stack" || listed[n.name] {
			continue
		}
		missing = append(missing, n.what+" "+n.name)
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("names the length checks do not see:\n%s", strings.Join(missing, "\n"))
	}
}
