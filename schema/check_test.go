package schema

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/cicdgen/cicdgen/diag"
)

// testSystem is a valid, defaulted system without placeholders, with a Doc
// that records the paths a hand-written system.yaml would hold.
func testSystem() *System {
	svc := Service{
		Name: "web", Port: 8080, CPU: 256, Memory: 512, DesiredCount: 2, HealthCheck: "/health",
		Deployment: DeploymentBlueGreen, Traffic: TrafficAllAtOnce, BakeMinutes: 5,
	}
	netw := Network{CIDR: "10.0.0.0/16", AZs: 2, NATGateways: 1, FlowLogs: true}
	sys := &System{
		Version: 1, Name: "shop", Suffix: "prd", Region: "eu-west-1",
		Accounts: map[string]Account{
			"tooling": {Key: "tooling", ID: "481516234200"},
			"dev":     {Key: "dev", ID: "481516234201"},
			"prod":    {Key: "prod", ID: "481516234202", Role: "arn:aws:iam::481516234202:role/Deployer"},
		},
		Source: Source{
			Connection: "arn:aws:codeconnections:eu-west-1:481516234200:connection/3f1c2a6e-8d7b-4b8e-9a51-2c0f6d1e7a90",
			Repository: "acme/shop", Branch: "main", DetectChanges: true,
		},
		Build:   Build{Image: BuildImageECR, Compute: "small", Buildspec: "buildspec.yml", Privileged: true, TimeoutMinutes: 60, CacheDays: 7},
		Service: svc,
		Network: netw,
		Environments: []Environment{
			{Index: 0, Name: "dev", Account: "dev", Region: "eu-west-1", Service: svc, Network: netw},
			{Index: 1, Name: "prod", Account: "prod", Region: "eu-west-1", Approval: true, Service: svc, Network: netw},
		},
		Monitoring: Monitoring{Dashboard: true, AlertOn: []string{"FAILED"}},
	}
	sys.Doc = NewDocument("system.yaml", nil)
	for _, p := range []string{
		"$.version", "$.name", "$.suffix", "$.region", "$.accounts", "$.accounts.tooling", "$.accounts.dev",
		"$.accounts.prod", "$.accounts.prod.id", "$.accounts.prod.role",
		"$.source", "$.source.connection", "$.source.repository",
		"$.service", "$.service.name", "$.service.port", "$.service.cpu", "$.service.memory", "$.service.health_check",
		"$.network", "$.network.cidr", "$.network.azs", "$.network.nat_gateways",
		"$.environments",
		"$.environments[0]", "$.environments[0].name", "$.environments[0].account",
		"$.environments[1]", "$.environments[1].name", "$.environments[1].account", "$.environments[1].approval",
	} {
		mark(sys, p)
	}
	return sys
}

// mark records path as written in the source, on a line of its own.
func mark(sys *System, path string) {
	line := len(sys.Doc.Paths()) + 1
	r := diag.Range{Filename: "system.yaml", Start: diag.Pos{Line: line, Column: 3}, End: diag.Pos{Line: line, Column: 4}}
	sys.Doc.SetValue(path, r)
	sys.Doc.SetKey(path, r)
}

// setService applies f to the top-level service and to every environment's.
func setService(sys *System, f func(*Service)) {
	f(&sys.Service)
	for i := range sys.Environments {
		f(&sys.Environments[i].Service)
	}
}

// setNetwork applies f to the top-level network and to every environment's.
func setNetwork(sys *System, f func(*Network)) {
	f(&sys.Network)
	for i := range sys.Environments {
		f(&sys.Environments[i].Network)
	}
}

// addEnvs appends n environments named e0, e1, … in account dev, with wave.
func addEnvs(sys *System, n int, wave string, approval bool) {
	for k := 0; k < n; k++ {
		i := len(sys.Environments)
		sys.Environments = append(sys.Environments, Environment{
			Index: i, Name: fmt.Sprintf("e%d", i), Account: "dev", Region: sys.Region,
			Wave: wave, Approval: approval, Service: sys.Service, Network: sys.Network,
		})
		mark(sys, environmentPath(i))
		mark(sys, PathKey(environmentPath(i), "name"))
		if wave != "" {
			mark(sys, PathKey(environmentPath(i), "wave"))
		}
	}
}

// want is one expected diagnostic: severity, rule and path, and a fragment
// of the message.
type want struct {
	sev  diag.Severity
	rule string
	path string
	msg  string
}

func errAt(rule, path, msg string) want  { return want{diag.Error, rule, path, msg} }
func warnAt(rule, path, msg string) want { return want{diag.Warning, rule, path, msg} }

func TestCheck(t *testing.T) {
	cases := map[string]struct {
		edit func(*System)
		want []want
	}{
		"a valid system has no diagnostics": {
			edit: func(*System) {},
		},
		"an environment naming an undeclared account is reported with a suggestion": {
			edit: func(s *System) { s.Environments[1].Account = "prdo" },
			want: []want{errAt("unknown-account", "$.environments[1].account", `did you mean "prod"?`)},
		},
		"a second environment with a used name is reported on the second": {
			edit: func(s *System) { s.Environments[1].Name = "dev" },
			want: []want{errAt("duplicate-environment", "$.environments[1].name", `"dev" is already used`)},
		},
		"a cpu that is no Fargate size lists the sizes": {
			edit: func(s *System) { setService(s, func(v *Service) { v.CPU = 300 }) },
			want: []want{errAt("fargate-size", "$.service.cpu", "cpu 300 is not a Fargate size; use 256, 512, 1024, 2048, 4096, 8192 or 16384")},
		},
		"a memory that does not fit the cpu lists the memories that do": {
			edit: func(s *System) { setService(s, func(v *Service) { v.Memory = 600 }) },
			want: []want{errAt("fargate-size", "$.service.memory", "memory 600 does not fit cpu 256; use 512, 1024 or 2048")},
		},
		"a large cpu gives its memory range and step": {
			edit: func(s *System) { setService(s, func(v *Service) { v.CPU, v.Memory = 8192, 16000 }) },
			want: []want{errAt("fargate-size", "$.service.memory", "use a multiple of 4096 from 16384 to 61440")},
		},
		"the largest Fargate size is accepted": {
			edit: func(s *System) { setService(s, func(v *Service) { v.CPU, v.Memory = 16384, 122880 }) },
		},
		"a cpu written with the default memory points at the cpu": {
			edit: func(s *System) {
				setService(s, func(v *Service) { v.CPU = 1024 })
				s.Doc = docWithout(s, "$.service.memory")
			},
			want: []want{errAt("fargate-size", "$.service.cpu", "does not fit the default memory 512; set memory to a multiple of 1024 from 2048 to 8192")},
		},
		"an environment's overridden memory that does not fit is reported on the override": {
			edit: func(s *System) {
				s.Environments[1].Service.Memory = 4096
				mark(s, "$.environments[1].service")
				mark(s, "$.environments[1].service.memory")
			},
			want: []want{errAt("fargate-size", "$.environments[1].service.memory", `memory 4096 does not fit cpu 256 in environment "prod"`)},
		},
		"an environment's overridden cpu with the inherited memory is reported on the cpu": {
			edit: func(s *System) {
				s.Environments[1].Service.CPU = 1024
				mark(s, "$.environments[1].service")
				mark(s, "$.environments[1].service.cpu")
			},
			want: []want{errAt("fargate-size", "$.environments[1].service.cpu", "does not fit memory 512 of service.memory; set memory here too, to a multiple of 1024 from 2048 to 8192")},
		},
		"a bad top-level size is reported once, not again for every environment": {
			edit: func(s *System) { setService(s, func(v *Service) { v.CPU = 100 }) },
			want: []want{errAt("fargate-size", "$.service.cpu", "cpu 100")},
		},
		"more NAT gateways than zones is reported on nat_gateways": {
			edit: func(s *System) { setNetwork(s, func(n *Network) { n.NATGateways = 3 }) },
			want: []want{errAt("nat-gateways", "$.network.nat_gateways", "use at most 2")},
		},
		"an environment lowering azs under the NAT gateways is reported on its azs": {
			edit: func(s *System) {
				setNetwork(s, func(n *Network) { n.AZs, n.NATGateways = 3, 3 })
				s.Environments[0].Network.AZs = 2
				mark(s, "$.environments[0].network")
				mark(s, "$.environments[0].network.azs")
			},
			want: []want{errAt("nat-gateways", "$.environments[0].network.azs", "fewer than the 3 nat_gateways")},
		},
		"a CIDR that is not a network address suggests the network address": {
			edit: func(s *System) { setNetwork(s, func(n *Network) { n.CIDR = "10.0.1.0/16" }) },
			want: []want{errAt("cidr", "$.network.cidr", "use 10.0.0.0/16")},
		},
		"a CIDR prefix wider than /16 is refused": {
			edit: func(s *System) { setNetwork(s, func(n *Network) { n.CIDR = "10.0.0.0/8" }) },
			want: []want{errAt("cidr", "$.network.cidr", "prefix /8; use a prefix from /16 to /24")},
		},
		"a CIDR prefix narrower than /24 is refused": {
			edit: func(s *System) { setNetwork(s, func(n *Network) { n.CIDR = "10.0.0.0/26" }) },
			want: []want{errAt("cidr", "$.network.cidr", "prefix /26")},
		},
		"a malformed CIDR is refused": {
			edit: func(s *System) { setNetwork(s, func(n *Network) { n.CIDR = "10.0.0.300/16" }) },
			want: []want{errAt("cidr", "$.network.cidr", "not an IPv4 CIDR")},
		},
		"a CIDR in a reserved range is refused": {
			edit: func(s *System) { setNetwork(s, func(n *Network) { n.CIDR = "169.254.0.0/16" }) },
			want: []want{errAt("cidr", "$.network.cidr", "is the link-local range, which a VPC cannot use")},
		},
		"a /24 with three zones has room for /27 subnets": {
			edit: func(s *System) { setNetwork(s, func(n *Network) { n.CIDR, n.AZs = "10.0.0.0/24", 3 }) },
		},
		"a /24 with six zones would carve /28 subnets, too small for a load balancer": {
			edit: func(s *System) {
				for i := range s.Environments {
					s.Environments[i].Region = "us-east-1"
				}
				setNetwork(s, func(n *Network) { n.CIDR, n.AZs = "10.0.0.0/24", 6 })
			},
			want: []want{errAt("cidr", "$.network.cidr", "each of its 12 subnets would be /28, and a load balancer needs subnets of /27 or wider; use a /23 cidr or wider, or at most 4 azs")},
		},
		"more zones than the region has are refused for each environment": {
			edit: func(s *System) { setNetwork(s, func(n *Network) { n.AZs = 4 }) },
			want: []want{
				errAt("azs", "$.network.azs", `azs is 4 in environment "dev", but region eu-west-1 has only 3 availability zones`),
				errAt("azs", "$.network.azs", `azs is 4 in environment "prod", but region eu-west-1 has only 3 availability zones`),
			},
		},
		"a /22 with six zones in a region of three is refused on azs only": {
			edit: func(s *System) { setNetwork(s, func(n *Network) { n.CIDR, n.AZs = "10.0.0.0/22", 6 }) },
			want: []want{
				errAt("azs", "$.network.azs", `environment "dev"`),
				errAt("azs", "$.network.azs", `environment "prod"`),
			},
		},
		"traffic with a rolling deployment is refused": {
			edit: func(s *System) {
				setService(s, func(v *Service) { v.Deployment, v.Traffic = DeploymentRolling, TrafficCanary })
				mark(s, "$.service.deployment")
				mark(s, "$.service.traffic")
			},
			want: []want{errAt("blue-green-only", "$.service.traffic", "traffic applies only to blue-green")},
		},
		"bake_minutes in a rolling environment override is reported there": {
			edit: func(s *System) {
				s.Environments[1].Service.Deployment = DeploymentRolling
				mark(s, "$.environments[1].service")
				mark(s, "$.environments[1].service.deployment")
				mark(s, "$.environments[1].service.bake_minutes")
			},
			want: []want{errAt("blue-green-only", "$.environments[1].service.bake_minutes", `bake_minutes applies only to blue-green deployments, and deployment is rolling in environment "prod"`)},
		},
		"an environment switching to rolling under a top-level traffic is reported on its deployment": {
			edit: func(s *System) {
				s.Environments[1].Service.Deployment = DeploymentRolling
				mark(s, "$.service.traffic")
				mark(s, "$.environments[1].service")
				mark(s, "$.environments[1].service.deployment")
			},
			want: []want{errAt("blue-green-only", "$.environments[1].service.deployment", "conflicts with service.traffic")},
		},
		"a rolling deployment with defaulted blue-green fields is fine": {
			edit: func(s *System) {
				setService(s, func(v *Service) { v.Deployment, v.Traffic, v.BakeMinutes = DeploymentRolling, "", 0 })
				mark(s, "$.service.deployment")
			},
		},
		"a health check without a leading slash is refused": {
			edit: func(s *System) { setService(s, func(v *Service) { v.HealthCheck = "health" }) },
			want: []want{errAt("health-check", "$.service.health_check", "starting with /")},
		},
		"a variable in both environment and secrets is refused": {
			edit: func(s *System) {
				setService(s, func(v *Service) {
					v.Environment = map[string]string{"DB_PASSWORD": "x"}
					v.Secrets = map[string]string{"DB_PASSWORD": "arn:aws:secretsmanager:eu-west-1:481516234201:secret:db"}
				})
				mark(s, "$.service.environment.DB_PASSWORD")
				mark(s, "$.service.secrets.DB_PASSWORD")
			},
			want: []want{errAt("env-conflict", "$.service.secrets.DB_PASSWORD", "both in environment and in secrets")},
		},
		"secrets accept Secrets Manager and SSM parameter ARNs": {
			edit: func(s *System) {
				setService(s, func(v *Service) {
					v.Secrets = map[string]string{
						"A": "arn:aws:secretsmanager:eu-west-1:481516234201:secret:db-AbCdEf",
						"B": "arn:aws:ssm:eu-west-1:481516234201:parameter/shop/api-key",
						"C": "arn:aws:secretsmanager:eu-west-1:481516234201:secret:db:password::",
					}
				})
			},
		},
		"a secret that is not an ARN is refused": {
			edit: func(s *System) {
				setService(s, func(v *Service) { v.Secrets = map[string]string{"TOKEN": "my-token"} })
				mark(s, "$.service.secrets.TOKEN")
			},
			want: []want{errAt("arn", "$.service.secrets.TOKEN", "neither managed nor a Secrets Manager or SSM parameter ARN")},
		},
		"a managed secret is accepted": {
			edit: func(s *System) {
				setService(s, func(v *Service) { v.Secrets = map[string]string{"TOKEN": SecretManaged} })
				mark(s, "$.service.secrets.TOKEN")
			},
		},
		"two managed secrets that would share a logical id are refused": {
			edit: func(s *System) {
				setService(s, func(v *Service) {
					v.Secrets = map[string]string{"API_KEY": SecretManaged, "APIKEY": SecretManaged, "API_TOKEN": "arn:aws:secretsmanager:eu-west-1:481516234201:secret:x"}
				})
				mark(s, "$.service.secrets.API_KEY")
				mark(s, "$.service.secrets.APIKEY")
				mark(s, "$.service.secrets.API_TOKEN")
			},
			want: []want{errAt("managed-secret-id", "$.service.secrets.API_KEY", "managed secrets APIKEY and API_KEY would share the logical id SecretAPIKEY")},
		},
		"service.registry_credentials is a deprecated key, reported once": {
			edit: func(s *System) { mark(s, "$.service.registry_credentials") },
			want: []want{warnAt("deprecated-key", "$.service.registry_credentials", "set build.registry_credentials: true")},
		},
		"an environment's registry_credentials is a deprecated key too": {
			edit: func(s *System) {
				mark(s, PathKey(environmentPath(0), "service"))
				mark(s, PathKey(PathKey(environmentPath(0), "service"), "registry_credentials"))
			},
			want: []want{warnAt("deprecated-key", "$.environments[0].service.registry_credentials", "deprecated and ignored in environment")},
		},
		"a certificate that is not an ACM ARN is refused": {
			edit: func(s *System) {
				setService(s, func(v *Service) { v.Certificate = "arn:aws:iam::481516234201:server-certificate/x" })
				mark(s, "$.service.certificate")
			},
			want: []want{errAt("arn", "$.service.certificate", "not an ACM certificate ARN")},
		},
		"a certificate elided as in the documentation is a placeholder": {
			edit: func(s *System) {
				setService(s, func(v *Service) { v.Certificate = "arn:aws:acm:…" })
				mark(s, "$.service.certificate")
			},
			want: []want{warnAt("placeholder", "$.service.certificate", "elided example")},
		},
		"an environment in another region without NAT is refused: it can never pull": {
			edit: func(s *System) {
				s.Environments[1].Region = "eu-central-1"
				s.Environments[1].Network.NATGateways = 0
			},
			want: []want{errAt("no-egress", "$.network.nat_gateways", `environment "prod" in eu-central-1 has no NAT gateway`)},
		},
		"an environment in the home region without NAT is fine": {
			edit: func(s *System) { s.Environments[1].Network.NATGateways = 0 },
		},
		"too many tags are refused": {
			edit: func(s *System) {
				s.Tags = map[string]string{}
				for i := 0; i < MaxUserTags+1; i++ {
					s.Tags[fmt.Sprintf("k%02d", i)] = "v"
				}
			},
			want: []want{errAt("tag-count", "$.tags.k47", "tags has 48 entries; at most 47 fit, remove 1")},
		},
		"as many tags as fit beside cicdgen's own are accepted": {
			edit: func(s *System) {
				s.Tags = map[string]string{}
				for i := 0; i < MaxUserTags; i++ {
					s.Tags[fmt.Sprintf("k%02d", i)] = "v"
				}
			},
		},
		"a tag in cicdgen's reserved prefix is refused": {
			edit: func(s *System) { s.Tags = map[string]string{"cicdgen:system": "x"} },
			want: []want{errAt("reserved-tag", "$.tags['cicdgen:system']", "starts with cicdgen:")},
		},
		"a certificate of another region than an environment is an error": {
			edit: func(s *System) {
				setService(s, func(v *Service) {
					v.Certificate = "arn:aws:acm:us-east-1:481516234201:certificate/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
				})
				s.Environments = s.Environments[:1]
				mark(s, "$.service.certificate")
			},
			want: []want{errAt("certificate-scope", "$.service.certificate", "a load balancer takes only a certificate of its own region")},
		},
		"a certificate inherited by environments of other accounts is an error for each": {
			edit: func(s *System) {
				setService(s, func(v *Service) {
					v.Certificate = "arn:aws:acm:eu-west-1:402938475610:certificate/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
				})
				mark(s, "$.service.certificate")
			},
			want: []want{
				errAt("certificate-scope", "$.service.certificate", `environment "dev" runs in account`),
				errAt("certificate-scope", "$.service.certificate", `environment "prod" runs in account`),
			},
		},
		"an environment's own certificate in its account and region is fine": {
			edit: func(s *System) {
				for i := range s.Environments {
					id := s.AccountOf(&s.Environments[i]).ID
					s.Environments[i].Service.Certificate = "arn:aws:acm:eu-west-1:" + id + ":certificate/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
				}
			},
		},
		"nat gateways equal to zones are fine, and zero is fine": {
			edit: func(s *System) {
				setNetwork(s, func(n *Network) { n.NATGateways = 2 })
				s.Environments[0].Network.NATGateways = 0
			},
		},
		"environments of one wave that are not consecutive are refused": {
			edit: func(s *System) {
				addEnvs(s, 1, "w", false)
				addEnvs(s, 1, "", false)
				addEnvs(s, 1, "w", false)
			},
			want: []want{errAt("wave-order", "$.environments[4].wave", `wave "w" is split`)},
		},
		"a wave named like an environment outside it is accepted: stage names are made unique": {
			edit: func(s *System) { addEnvs(s, 2, "dev", false) },
		},
		"a wave named like a fixed stage is accepted: deploy stages are prefixed": {
			edit: func(s *System) { addEnvs(s, 1, "Build", false) },
		},
		// Source, BuildImage, Build and UpdatePipeline come before the
		// deploys: 4 + 46 environments.
		"fifty stages fit the pipeline": {
			edit: func(s *System) { addEnvs(s, 44, "", false) },
		},
		"fifty-one stages exceed the pipeline and suggest waves": {
			edit: func(s *System) { addEnvs(s, 45, "", false) },
			want: []want{errAt("pipeline-limits", "$.environments[46].name", "the pipeline would have 51 stages (4 before the deploys")},
		},
		"a test stage counts towards the stages": {
			edit: func(s *System) {
				s.Test = &Test{Buildspec: "buildspec-test.yml", Compute: "small"}
				addEnvs(s, 44, "", false)
			},
			want: []want{errAt("pipeline-limits", "$.environments[45].name", "51 stages (5 before the deploys")},
		},
		"without a build image there is no BuildImage stage": {
			edit: func(s *System) {
				s.Build.Image = "aws/codebuild/standard:7.0"
				addEnvs(s, 45, "", false)
			},
		},
		"a dockerfile with another build image is ignored, with a warning": {
			edit: func(s *System) {
				s.Build.Image, s.Build.Dockerfile = "aws/codebuild/standard:7.0", "ci/build.Dockerfile"
				mark(s, "$.build.dockerfile")
			},
			want: []want{warnAt("ignored-key", "$.build.dockerfile", "build.dockerfile is ignored")},
		},
		"a dockerfile with the ecr build image is used": {
			edit: func(s *System) {
				s.Build.Dockerfile = "ci/build.Dockerfile"
				mark(s, "$.build.dockerfile")
			},
		},
		"a dockerfile defaulted with another build image says nothing": {
			edit: func(s *System) { s.Build.Image = "aws/codebuild/standard:7.0" },
		},
		"a wave of fifty deploys fits a stage": {
			edit: func(s *System) { addEnvs(s, 50, "big", false) },
		},
		"a wave of fifty deploys and an approval exceeds a stage": {
			edit: func(s *System) { addEnvs(s, 50, "big", true) },
			want: []want{errAt("pipeline-limits", "$.environments[51].wave", `wave "big" has 51 actions (an approval and 50 deploys)`)},
		},
		"an override of a stack the system has is fine": {
			edit: func(s *System) {
				s.Overrides = map[string][]json.RawMessage{
					"pipeline": {json.RawMessage(`{"op":"add","path":"/Resources/Pipeline/Properties/RestartExecutionOnUpdate","value":true}`)},
					"ecs-prod": {json.RawMessage(`{"op":"remove","path":"/Outputs/Url"}`)},
					"roles-dev": {json.RawMessage(`{"op":"move","from":"/Resources/A","path":"/Resources/B"}`),
						json.RawMessage(`{"op":"replace","path":"/Resources/a~1b~0c","value":null}`)},
				}
			},
		},
		"an override of a stack the system lacks suggests the nearest": {
			edit: func(s *System) {
				s.Overrides = map[string][]json.RawMessage{"ecs-prd": {json.RawMessage(`{"op":"remove","path":"/Outputs/Url"}`)}}
				mark(s, "$.overrides.ecs-prd")
			},
			want: []want{errAt("override-stack", "$.overrides.ecs-prd", `did you mean "ecs-prod"?`)},
		},
		"an override of the home region's artifacts stack says the pipeline holds them": {
			edit: func(s *System) {
				s.Overrides = map[string][]json.RawMessage{"artifacts-eu-west-1": {json.RawMessage(`{"op":"remove","path":"/Outputs/X"}`)}}
			},
			want: []want{errAt("override-stack", "$.overrides.artifacts-eu-west-1", "override pipeline instead")},
		},
		"an override of a support region's artifacts stack is fine": {
			edit: func(s *System) {
				s.Environments[1].Region = "us-west-2"
				mark(s, "$.environments[1].region")
				s.Overrides = map[string][]json.RawMessage{"artifacts-us-west-2": {json.RawMessage(`{"op":"remove","path":"/Outputs/X"}`)}}
			},
		},
		"an unknown op suggests the nearest": {
			edit: func(s *System) {
				s.Overrides = map[string][]json.RawMessage{"pipeline": {json.RawMessage(`{"op":"ad","path":"/A","value":1}`)}}
			},
			want: []want{errAt("override-op", "$.overrides.pipeline[0].op", `did you mean "add"?`)},
		},
		"an add without value is refused": {
			edit: func(s *System) {
				s.Overrides = map[string][]json.RawMessage{"pipeline": {json.RawMessage(`{"op":"add","path":"/A"}`)}}
			},
			want: []want{errAt("override-op", "$.overrides.pipeline[0]", "op add needs a value")},
		},
		"a copy without from is refused": {
			edit: func(s *System) {
				s.Overrides = map[string][]json.RawMessage{"pipeline": {json.RawMessage(`{"op":"copy","path":"/A"}`)}}
			},
			want: []want{errAt("override-op", "$.overrides.pipeline[0]", "op copy needs from")},
		},
		"a path without a leading slash is refused": {
			edit: func(s *System) {
				s.Overrides = map[string][]json.RawMessage{"pipeline": {json.RawMessage(`{"op":"remove","path":"Resources/A"}`)}}
			},
			want: []want{errAt("override-op", "$.overrides.pipeline[0].path", "start it with /")},
		},
		"a path with a bad tilde escape is refused": {
			edit: func(s *System) {
				s.Overrides = map[string][]json.RawMessage{"pipeline": {json.RawMessage(`{"op":"remove","path":"/Resources/a~2b"}`)}}
			},
			want: []want{errAt("override-op", "$.overrides.pipeline[0].path", "must be followed by 0 (for ~) or 1 (for /)")},
		},
		"a move into its own child is refused": {
			edit: func(s *System) {
				s.Overrides = map[string][]json.RawMessage{"pipeline": {json.RawMessage(`{"op":"move","from":"/Resources/A","path":"/Resources/A/B"}`)}}
			},
			want: []want{errAt("override-op", "$.overrides.pipeline[0].from", "into its own child")},
		},
		"an operation without op is refused": {
			edit: func(s *System) {
				s.Overrides = map[string][]json.RawMessage{"pipeline": {json.RawMessage(`{"path":"/A"}`)}}
			},
			want: []want{errAt("override-op", "$.overrides.pipeline[0]", "has no op")},
		},
		"a tag key starting with aws: in any case is reserved": {
			edit: func(s *System) {
				s.Tags = map[string]string{"AWS:team": "x"}
			},
			want: []want{errAt("reserved-tag", "$.tags['AWS:team']", "starts with aws:")},
		},
		"a tag value over 256 characters is refused": {
			edit: func(s *System) { s.Tags = map[string]string{"team": strings.Repeat("a", 257)} },
			want: []want{errAt("tag-length", "$.tags.team", "257 characters; AWS allows 256")},
		},
		"a tag key over 128 characters is refused": {
			edit: func(s *System) { s.Tags = map[string]string{strings.Repeat("k", 129): "x"} },
			want: []want{errAt("tag-length", PathKey("$.tags", strings.Repeat("k", 129)), "129 characters; AWS allows 128")},
		},
		"a tag with a character AWS refuses is refused": {
			edit: func(s *System) { s.Tags = map[string]string{"team": "a;b"} },
			want: []want{errAt("tag-chars", "$.tags.team", "characters AWS refuses")},
		},
		"a deny entry that is not service:Action is refused with a fix": {
			edit: func(s *System) { s.Roles.Deny = []string{"iam:CreateUser", "IAM:DeleteRole", "everything"} },
			want: []want{
				errAt("deny-action", "$.roles.deny[1]", `write "iam:DeleteRole"`),
				errAt("deny-action", "$.roles.deny[2]", "write service:Action"),
			},
		},
		"a wildcard deny action is fine": {
			edit: func(s *System) { s.Roles.Deny = []string{"s3:Delete*", "kms:*"} },
		},
		"a connection ARN of another service is refused": {
			edit: func(s *System) { s.Source.Connection = "arn:aws:codecommit:eu-west-1:481516234200:repo" },
			want: []want{errAt("arn", "$.source.connection", "not a connection ARN")},
		},
		"a codestar-connections ARN is accepted": {
			edit: func(s *System) {
				s.Source.Connection = "arn:aws:codestar-connections:eu-west-1:481516234200:connection/3f1c2a6e-8d7b-4b8e-9a51-2c0f6d1e7a90"
			},
		},
		"a connection of another region is a warning": {
			edit: func(s *System) {
				s.Source.Connection = "arn:aws:codeconnections:us-east-1:481516234200:connection/3f1c2a6e-8d7b-4b8e-9a51-2c0f6d1e7a90"
			},
			want: []want{warnAt("connection-scope", "$.source.connection", "create the connection in eu-west-1")},
		},
		"a role that is not an IAM role ARN is refused": {
			edit: func(s *System) { setAccount(s, "prod", func(a *Account) { a.Role = "Deployer" }) },
			want: []want{errAt("arn", "$.accounts.prod.role", "arn:aws:iam::481516234202:role/NAME")},
		},
		"a role of another account is refused": {
			edit: func(s *System) {
				setAccount(s, "prod", func(a *Account) { a.Role = "arn:aws:iam::481516234201:role/Deployer" })
			},
			want: []want{errAt("role-account", "$.accounts.prod.role", "is in account 481516234201")},
		},
		"a role name of 64 characters is accepted": {
			edit: func(s *System) {
				setAccount(s, "prod", func(a *Account) { a.Role = "arn:aws:iam::481516234202:role/ops/" + strings.Repeat("d", 64) })
			},
		},
		"a role name of 65 characters is refused": {
			edit: func(s *System) {
				setAccount(s, "prod", func(a *Account) { a.Role = "arn:aws:iam::481516234202:role/" + strings.Repeat("d", 65) })
			},
			want: []want{errAt("arn", "$.accounts.prod.role", "is not an IAM role ARN")},
		},
		"a role with a path is accepted": {
			edit: func(s *System) {
				setAccount(s, "prod", func(a *Account) { a.Role = "arn:aws:iam::481516234202:role/ops/Deployer" })
			},
		},
		"an organization id of the wrong shape is refused": {
			edit: func(s *System) { s.Organization = "o-abc" },
			want: []want{errAt("organization", "$.organization", "not an AWS Organizations id")},
		},
		"a notification address that is not an e-mail is refused": {
			edit: func(s *System) { s.Notifications.Failures = []string{"ops@acme.io", "oncall"} },
			want: []want{errAt("email", "$.notifications.failures[1]", `"oncall" is not an e-mail address`)},
		},
		"a branch name git refuses is refused": {
			edit: func(s *System) { s.Source.Branch = "release..1" },
			want: []want{errAt("branch", "$.source.branch", `not a git branch name: it holds "..", which git does not allow`)},
		},
		"a branch with a space is refused": {
			edit: func(s *System) { s.Source.Branch = "my branch" },
			want: []want{errAt("branch", "$.source.branch", `holds " "`)},
		},
		"a branch given as a full ref is refused": {
			edit: func(s *System) { s.Source.Branch = "refs/heads/main" },
			want: []want{errAt("branch", "$.source.branch", "without refs/heads/")},
		},
		"a branch with slashes and dots is fine": {
			edit: func(s *System) { s.Source.Branch = "release/v1.2" },
		},
		"an unknown region suggests the nearest": {
			edit: func(s *System) { s.Environments[1].Region = "eu-wst-1"; mark(s, "$.environments[1].region") },
			want: []want{errAt("region", "$.environments[1].region", `did you mean "eu-west-1"?`)},
		},
		"an environment in another partition is refused": {
			edit: func(s *System) { s.Environments[1].Region = "cn-north-1"; mark(s, "$.environments[1].region") },
			want: []want{errAt("region", "$.environments[1].region", "cannot deploy across partitions")},
		},
		"a long system name overflows the target group names and is charged to the name": {
			edit: func(s *System) {
				s.Name = "abcdefghijklmnopqrst"
				s.Environments[1].Name = "staging"
			},
			want: []want{errAt("name-length", "$.name", `over AWS's limit of 32; shorten name "abcdefghijklmnopqrst" by at least 6`)},
		},
		"a long environment name with a long suffix is charged to the longer": {
			edit: func(s *System) {
				s.Name = "shopfront"
				s.Suffix = "abcdefghijkl"
				s.Environments[1].Name = "production"
			},
			want: []want{errAt("name-length", "$.suffix", `shorten suffix "abcdefghijkl"`)},
		},
		"placeholders are warnings at their nodes": {
			edit: func(s *System) {
				setAccount(s, "dev", func(a *Account) { a.ID = "111111111111" })
				setAccount(s, "tooling", func(a *Account) { a.ID = "123456789012" })
				s.Source.Connection = "arn:aws:codestar-connections:eu-west-1:123456789012:connection/example"
				s.Source.Repository = "myorg/myapp"
				s.Notifications.Approvals = []string{"release@example.com"}
			},
			want: []want{
				warnAt("placeholder", "$.accounts.dev", "account id 111111111111"),
				warnAt("placeholder", "$.accounts.tooling", "account id 123456789012"),
				warnAt("placeholder", "$.source.connection", "is a placeholder"),
				warnAt("placeholder", "$.source.repository", "myorg/myapp"),
				warnAt("placeholder", "$.notifications.approvals[0]", "placeholder address"),
			},
		},
		"a placeholder account id in the long form is reported on its id": {
			edit: func(s *System) {
				setAccount(s, "prod", func(a *Account) {
					a.ID = "000000000000"
					a.Role = "arn:aws:iam::000000000000:role/Deployer"
				})
			},
			want: []want{warnAt("placeholder", "$.accounts.prod.id", "000000000000")},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			sys := testSystem()
			tc.edit(sys)
			got := Check(sys)
			if d := compareDiagnostics(got, tc.want); d != "" {
				t.Error(d)
			}
		})
	}
}

// setAccount edits one account.
func setAccount(s *System, key string, f func(*Account)) {
	a := s.Accounts[key]
	f(&a)
	s.Accounts[key] = a
}

// docWithout returns a copy of the system's Doc without path.
func docWithout(s *System, path string) *Document {
	d := NewDocument(s.Doc.Filename, s.Doc.Source)
	for _, p := range s.Doc.Paths() {
		if p != path {
			r := s.Doc.Range(p)
			d.SetValue(p, r)
			d.SetKey(p, r)
		}
	}
	return d
}

// compareDiagnostics returns "" when got matches want exactly (same
// severity, rule and path, message containing the fragment), else a report.
func compareDiagnostics(got diag.Diagnostics, want []want) string {
	used := make([]bool, len(got))
	var problems []string
	for _, w := range want {
		found := false
		for i, d := range got {
			if !used[i] && d.Severity == w.sev && d.Rule == w.rule && d.Path == w.path && strings.Contains(d.Message, w.msg) {
				used[i], found = true, true
				break
			}
		}
		if !found {
			problems = append(problems, fmt.Sprintf("missing %s[%s] at %s containing %q", w.sev, w.rule, w.path, w.msg))
		}
	}
	for i, d := range got {
		if !used[i] {
			problems = append(problems, fmt.Sprintf("unexpected %s[%s] at %s: %s", d.Severity, d.Rule, d.Path, d.Message))
		}
	}
	sort.Strings(problems)
	return strings.Join(problems, "\n")
}

func TestCheckPointsAtTheRecordedRange(t *testing.T) {
	sys := testSystem()
	sys.Environments[1].Account = "nope"
	ds := Check(sys)
	if len(ds) != 1 {
		t.Fatalf("want one diagnostic, got %v", ds)
	}
	if want := sys.Doc.Range("$.environments[1].account"); ds[0].Range != want {
		t.Errorf("range = %+v, want %+v", ds[0].Range, want)
	}
}

func TestCheckToleratesAnEmptySystem(t *testing.T) {
	if ds := Check(&System{}); ds.HasErrors() {
		t.Errorf("an empty system (the loader reports its missing keys) gave %v", ds)
	}
	if ds := Check(nil); ds != nil {
		t.Errorf("a nil system gave %v", ds)
	}
}

func TestSubnetCIDRs(t *testing.T) {
	cases := map[string]struct {
		cidr             string
		azs              int
		public, private  []string
		wantErrSubstring string
	}{
		"a /16 with two zones splits into four /18s": {
			cidr: "10.0.0.0/16", azs: 2,
			public:  []string{"10.0.0.0/18", "10.0.64.0/18"},
			private: []string{"10.0.128.0/18", "10.0.192.0/18"},
		},
		"three zones round six subnets up to eight slots": {
			cidr: "10.1.0.0/16", azs: 3,
			public:  []string{"10.1.0.0/19", "10.1.32.0/19", "10.1.64.0/19"},
			private: []string{"10.1.96.0/19", "10.1.128.0/19", "10.1.160.0/19"},
		},
		"a /24 with six zones gives /28 subnets": {
			cidr: "192.168.5.0/24", azs: 6,
			public:  []string{"192.168.5.0/28", "192.168.5.16/28", "192.168.5.32/28", "192.168.5.48/28", "192.168.5.64/28", "192.168.5.80/28"},
			private: []string{"192.168.5.96/28", "192.168.5.112/28", "192.168.5.128/28", "192.168.5.144/28", "192.168.5.160/28", "192.168.5.176/28"},
		},
		"a /24 with nine zones would need /29 subnets": {
			cidr: "10.0.0.0/24", azs: 9, wantErrSubstring: "too small for 18 subnets",
		},
		"an address that is not the network address is refused": {
			cidr: "10.0.0.1/16", azs: 2, wantErrSubstring: "use 10.0.0.0/16",
		},
		"an IPv6 prefix is refused": {
			cidr: "fd00::/56", azs: 2, wantErrSubstring: "not IPv4",
		},
		"text that is no CIDR is refused": {
			cidr: "ten-dot-zero", azs: 2, wantErrSubstring: "parse VPC CIDR",
		},
		"zero zones are refused": {
			cidr: "10.0.0.0/16", azs: 0, wantErrSubstring: "0 availability zones",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			pub, priv, err := SubnetCIDRs(tc.cidr, tc.azs)
			if tc.wantErrSubstring != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErrSubstring) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErrSubstring)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(pub) != fmt.Sprint(tc.public) || fmt.Sprint(priv) != fmt.Sprint(tc.private) {
				t.Errorf("got public %v private %v, want %v %v", pub, priv, tc.public, tc.private)
			}
		})
	}
}

func TestFargateMemories(t *testing.T) {
	cases := map[string]struct {
		cpu        int
		n          int
		first, max int
	}{
		"256 takes three sizes":                    {256, 3, 512, 2048},
		"512 takes 1 to 4 GiB":                     {512, 4, 1024, 4096},
		"4096 takes 8 to 30 GiB in 1 GiB steps":    {4096, 23, 8192, 30720},
		"8192 takes 16 to 60 GiB in 4 GiB steps":   {8192, 12, 16384, 61440},
		"16384 takes 32 to 120 GiB in 8 GiB steps": {16384, 12, 32768, 122880},
		"300 is no Fargate cpu":                    {300, 0, 0, 0},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := FargateMemories(tc.cpu)
			if len(got) != tc.n {
				t.Fatalf("got %d sizes %v, want %d", len(got), got, tc.n)
			}
			if tc.n > 0 && (got[0] != tc.first || got[len(got)-1] != tc.max) {
				t.Errorf("got %d..%d, want %d..%d", got[0], got[len(got)-1], tc.first, tc.max)
			}
		})
	}
}

func TestDeployStages(t *testing.T) {
	sys := testSystem()
	addEnvs(sys, 2, "eu", false)
	sys.Environments[3].Approval = true
	addEnvs(sys, 1, "", false)
	got := DeployStages(sys)
	want := []DeployStage{
		{Name: "Deploy-dev", Label: "dev", Environments: []int{0}},
		{Name: "Deploy-prod", Label: "prod", Environments: []int{1}, Approval: true},
		{Name: "Deploy-eu", Label: "eu", Wave: "eu", Environments: []int{2, 3}, Approval: true},
		{Name: "Deploy-e4", Label: "e4", Environments: []int{4}},
	}
	if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	if n := got[2].Actions(sys); n != 3 {
		t.Errorf("a wave of two with an approval has %d actions, want 3", n)
	}
	sys.Environments[2].Service.Secrets = map[string]string{"API_KEY": "managed"}
	if n := got[2].Actions(sys); n != 4 {
		t.Errorf("a wave of two with an approval, one with a managed secret, has %d actions, want 4", n)
	}
}

func TestDeployStageNamesAreUniqueAndValid(t *testing.T) {
	sys := testSystem()
	addEnvs(sys, 2, "dev", false)   // a wave called like the environment dev
	addEnvs(sys, 1, "Build", false) // a wave called like a fixed stage
	sys.Test = &Test{}
	seen := map[string]bool{"Source": true, "Build": true, "Test": true}
	for _, st := range DeployStages(sys) {
		if seen[st.Name] {
			t.Errorf("stage name %q is used twice", st.Name)
		}
		seen[st.Name] = true
		if stageNameBad().MatchString(st.Name) || len(st.Name) > 100 {
			t.Errorf("stage name %q is not a valid CodePipeline stage name", st.Name)
		}
	}
	if !seen["Deploy-dev-2"] || !seen["Deploy-Build"] {
		t.Errorf("stage names %v, want Deploy-dev, Deploy-dev-2 and Deploy-Build among them", seen)
	}
}

func TestCheckOfTwoHundredEnvironmentsInWaves(t *testing.T) {
	sys := testSystem()
	sys.Organization = "o-k3j9x2m7q1"
	for w := 0; w < 5; w++ {
		addEnvs(sys, 40, fmt.Sprintf("wave%d", w), true)
	}
	if ds := Check(sys); len(ds) != 0 {
		t.Errorf("a system of %d environments in 5 waves of 40 gave %v", len(sys.Environments), ds)
	}
	// Source, BuildImage, Build, UpdatePipeline, dev, prod and 5 waves.
	if n := len(FixedStages(sys)) + len(DeployStages(sys)); n != 11 {
		t.Errorf("the pipeline has %d stages, want 11", n)
	}
}

func BenchmarkCheckTwoHundredEnvironments(b *testing.B) {
	sys := testSystem()
	for w := 0; w < 5; w++ {
		addEnvs(sys, 40, fmt.Sprintf("wave%d", w), true)
	}
	b.ResetTimer()
	for b.Loop() {
		Check(sys)
	}
}

func TestDidYouMean(t *testing.T) {
	cases := map[string]struct {
		got        string
		candidates []string
		want       string
	}{
		"a transposition is suggested":            {"prdo", []string{"dev", "prod"}, ` (did you mean "prod"?)`},
		"a missing letter is suggested":           {"stagng", []string{"staging", "prod"}, ` (did you mean "staging"?)`},
		"case does not count":                     {"Prod", []string{"prod"}, ` (did you mean "prod"?)`},
		"a distant word is not suggested":         {"qa", []string{"dev", "prod"}, ""},
		"nothing is suggested without candidates": {"prod", nil, ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := didYouMean(tc.got, tc.candidates); got != tc.want {
				t.Errorf("didYouMean(%q) = %q, want %q", tc.got, got, tc.want)
			}
		})
	}
}
