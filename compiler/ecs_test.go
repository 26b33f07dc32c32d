package compiler

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/cicdgen/cicdgen/compiler/cfn"

	"github.com/cicdgen/cicdgen/manifest"
	"github.com/cicdgen/cicdgen/schema"
)

func TestBuildECSBlueGreenWiring(t *testing.T) {
	tests := map[string]struct {
		service                  string
		wantDeploymentConfigJSON string
	}{
		"all-at-once maps to BLUE_GREEN with the bake time and the circuit breaker": {
			service:                  "  traffic: all-at-once\n  bake_minutes: 7\n",
			wantDeploymentConfigJSON: `{"BakeTimeInMinutes":7,"DeploymentCircuitBreaker":{"Enable":true,"Rollback":true},"Strategy":"BLUE_GREEN"}`,
		},
		"canary-10-5 maps to CANARY 10 percent for 5 minutes": {
			service:                  "  traffic: canary-10-5\n",
			wantDeploymentConfigJSON: `{"BakeTimeInMinutes":5,"CanaryConfiguration":{"CanaryBakeTimeInMinutes":5,"CanaryPercent":10},"DeploymentCircuitBreaker":{"Enable":true,"Rollback":true},"Strategy":"CANARY"}`,
		},
		"linear-10-1 maps to LINEAR 10 percent a minute": {
			service:                  "  traffic: linear-10-1\n  bake_minutes: 0\n",
			wantDeploymentConfigJSON: `{"BakeTimeInMinutes":0,"DeploymentCircuitBreaker":{"Enable":true,"Rollback":true},"LinearConfiguration":{"StepBakeTimeInMinutes":1,"StepPercent":10},"Strategy":"LINEAR"}`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			sys := envSystem(t, envCase{service: "  deployment: blue-green\n" + tc.service})
			doc := envBuild(t, sys, "dev", buildECS)
			svc := envProps(t, doc, "Service")

			if got := envJSON(svc["DeploymentConfiguration"]); got != tc.wantDeploymentConfigJSON {
				t.Errorf("DeploymentConfiguration\n got %s\nwant %s", got, tc.wantDeploymentConfigJSON)
			}
			if got := envJSON(svc["DeploymentController"]); got != `{"Type":"ECS"}` {
				t.Errorf("DeploymentController = %s, want ECS", got)
			}
			lbs := svc["LoadBalancers"].([]any)
			if len(lbs) != 1 {
				t.Fatalf("%d load balancers, want 1", len(lbs))
			}
			wantLB := `{"AdvancedConfiguration":{"AlternateTargetGroupArn":{"Ref":"TargetGroupGreen"},"ProductionListenerRule":{"Ref":"ProductionListenerRule"},"RoleArn":{"Fn::GetAtt":["EcsInfrastructureRole","Arn"]},"TestListenerRule":{"Ref":"TestListenerRule"}},"ContainerName":"web","ContainerPort":8080,"TargetGroupArn":{"Ref":"TargetGroupBlue"}}`
			if got := envJSON(lbs[0]); got != wantLB {
				t.Errorf("load balancer\n got %s\nwant %s", got, wantLB)
			}
			for _, dep := range []string{"ProductionListenerRule", "TestListenerRule", "ProductionListener", "TestListener"} {
				if !envDependsOn(t, doc, "Service", dep) {
					t.Errorf("the service is not created after %s", dep)
				}
			}
			for color, name := range map[string]string{"Blue": "shop-dev-b8080-dev", "Green": "shop-dev-g8080-dev"} {
				tg := envProps(t, doc, "TargetGroup"+color)
				want := `{"HealthCheckPath":"/health","Matcher":{"HttpCode":"200-399"},"Name":"` + name + `","Port":8080,"Protocol":"HTTP","TargetType":"ip"}`
				got := envJSON(map[string]any{
					"Name": tg["Name"], "TargetType": tg["TargetType"], "Port": tg["Port"], "Protocol": tg["Protocol"],
					"HealthCheckPath": tg["HealthCheckPath"], "Matcher": tg["Matcher"],
				})
				if got != want {
					t.Errorf("TargetGroup%s\n got %s\nwant %s", color, got, want)
				}
			}
			for rule, listener := range map[string]string{"ProductionListenerRule": "ProductionListener", "TestListenerRule": "TestListener"} {
				p := envProps(t, doc, rule)
				if got := envJSON(p["ListenerArn"]); got != `{"Ref":"`+listener+`"}` {
					t.Errorf("%s is on %s, want %s", rule, got, listener)
				}
				wantAction := `[{"ForwardConfig":{"TargetGroups":[{"TargetGroupArn":{"Ref":"TargetGroupBlue"},"Weight":1},{"TargetGroupArn":{"Ref":"TargetGroupGreen"},"Weight":0}]},"Type":"forward"}]`
				if got := envJSON(p["Actions"]); got != wantAction {
					t.Errorf("%s actions\n got %s\nwant %s", rule, got, wantAction)
				}
				if got := envJSON(p["Conditions"]); got != `[{"Field":"path-pattern","PathPatternConfig":{"Values":["/*"]}}]` {
					t.Errorf("%s conditions = %s, want every path", rule, got)
				}
			}
			infra := envProps(t, doc, "EcsInfrastructureRole")
			if got := envJSON(infra["ManagedPolicyArns"]); got != `["arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers"]` {
				t.Errorf("infrastructure role policies = %s", got)
			}
			if got := envJSON(infra["AssumeRolePolicyDocument"]); !strings.Contains(got, `"Service":"ecs.amazonaws.com"`) {
				t.Errorf("infrastructure role trust = %s, want ecs.amazonaws.com", got)
			}
			if infra["RoleName"] != "shop-ecs-infra-dev-dev" {
				t.Errorf("infrastructure role name = %v", infra["RoleName"])
			}
			test := envProps(t, doc, "TestListener")
			if test["Port"] != float64(8080) || test["Protocol"] != "HTTP" {
				t.Errorf("test listener on %v/%v, want HTTP 8080", test["Protocol"], test["Port"])
			}
		})
	}
}

func TestBuildECSRolling(t *testing.T) {
	sys := envSystem(t, envCase{service: "  deployment: rolling\n"})
	doc := envBuild(t, sys, "dev", buildECS)

	for _, absent := range []string{"TargetGroupGreen", "TestListener", "ProductionListenerRule", "TestListenerRule", "EcsInfrastructureRole"} {
		if envHas(doc, absent) {
			t.Errorf("a rolling deployment has %s", absent)
		}
	}
	svc := envProps(t, doc, "Service")
	want := `{"DeploymentCircuitBreaker":{"Enable":true,"Rollback":true},"MaximumPercent":200,"MinimumHealthyPercent":100,"Strategy":"ROLLING"}`
	if got := envJSON(svc["DeploymentConfiguration"]); got != want {
		t.Errorf("DeploymentConfiguration\n got %s\nwant %s", got, want)
	}
	if got := envJSON(svc["DeploymentController"]); got != `{"Type":"ECS"}` {
		t.Errorf("DeploymentController = %s, want ECS", got)
	}
	if got := envJSON(svc["LoadBalancers"]); got != `[{"ContainerName":"web","ContainerPort":8080,"TargetGroupArn":{"Ref":"TargetGroupBlue"}}]` {
		t.Errorf("LoadBalancers = %s, want the blue target group alone", got)
	}
	http := envProps(t, doc, "ProductionListener")
	if got := envJSON(http["DefaultActions"]); got != `[{"TargetGroupArn":{"Ref":"TargetGroupBlue"},"Type":"forward"}]` {
		t.Errorf("production listener default = %s, want a forward to blue", got)
	}
	if !envDependsOn(t, doc, "Service", "ProductionListener") {
		t.Error("the service does not wait for the listener that attaches its target group")
	}
	if _, ok := doc["Outputs"].(map[string]any)["TestListenerUrl"]; ok {
		t.Error("a rolling deployment outputs a test listener URL")
	}
}

func TestBuildECSNATGateways(t *testing.T) {
	tests := map[string]struct {
		network   string
		wantNATs  int
		wantRoute []string // NAT gateway of each private route table; nil: no default route
	}{
		"three zones share one NAT gateway": {
			network:   "  azs: 3\n  nat_gateways: 1\n",
			wantNATs:  1,
			wantRoute: []string{"NatGateway1", "NatGateway1", "NatGateway1"},
		},
		"three zones with two NAT gateways use them round-robin": {
			network:   "  azs: 3\n  nat_gateways: 2\n",
			wantNATs:  2,
			wantRoute: []string{"NatGateway1", "NatGateway2", "NatGateway1"},
		},
		"two zones with two NAT gateways each use their own": {
			network:   "  azs: 2\n  nat_gateways: 2\n",
			wantNATs:  2,
			wantRoute: []string{"NatGateway1", "NatGateway2"},
		},
		"without NAT gateways private subnets have no default route": {
			network:  "  azs: 2\n  nat_gateways: 0\n",
			wantNATs: 0,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			sys := envSystem(t, envCase{network: tc.network})
			doc := envBuild(t, sys, "dev", buildECS)
			azs := sys.Environments[0].Network.AZs
			for j := 1; j <= azs+1; j++ {
				want := j <= tc.wantNATs
				if envHas(doc, fmt.Sprintf("NatGateway%d", j)) != want || envHas(doc, fmt.Sprintf("NatEip%d", j)) != want {
					t.Errorf("NatGateway%d/NatEip%d present = %v, want %v", j, j, !want, want)
				}
			}
			for j := 1; j <= tc.wantNATs; j++ {
				nat := envProps(t, doc, fmt.Sprintf("NatGateway%d", j))
				if got := envJSON(nat["SubnetId"]); got != fmt.Sprintf(`{"Ref":"PublicSubnet%d"}`, j) {
					t.Errorf("NatGateway%d is in %s, want PublicSubnet%d", j, got, j)
				}
			}
			for i := 1; i <= azs; i++ {
				route := fmt.Sprintf("PrivateDefaultRoute%d", i)
				if tc.wantRoute == nil {
					if envHas(doc, route) {
						t.Errorf("%s exists without NAT gateways", route)
					}
					continue
				}
				p := envProps(t, doc, route)
				if got := envJSON(p["NatGatewayId"]); got != `{"Ref":"`+tc.wantRoute[i-1]+`"}` {
					t.Errorf("%s goes to %s, want %s", route, got, tc.wantRoute[i-1])
				}
				if got := envJSON(p["RouteTableId"]); got != fmt.Sprintf(`{"Ref":"PrivateRouteTable%d"}`, i) {
					t.Errorf("%s is in %s", route, got)
				}
			}
		})
	}
}

func TestBuildECSWithoutNATGatewaysAddsEndpoints(t *testing.T) {
	tests := map[string]struct {
		service string
		want    []string
		absent  []string
	}{
		"a managed secret needs the Secrets Manager endpoint": {
			service: "  secrets:\n    API_KEY: managed\n",
			want:    []string{"S3Endpoint", "EcrApiEndpoint", "EcrDkrEndpoint", "LogsEndpoint", "SecretsManagerEndpoint"},
			absent:  []string{"SsmEndpoint"},
		},
		"without secrets only ECR, S3 and logs endpoints exist": {
			want:   []string{"S3Endpoint", "EcrApiEndpoint", "EcrDkrEndpoint", "LogsEndpoint"},
			absent: []string{"SecretsManagerEndpoint", "SsmEndpoint"},
		},
		"an SSM parameter among the secrets needs the SSM endpoint": {
			service: "  secrets:\n    TOKEN: arn:aws:ssm:us-east-1:310987654321:parameter/shop/token\n",
			want:    []string{"S3Endpoint", "EcrApiEndpoint", "EcrDkrEndpoint", "LogsEndpoint", "SsmEndpoint"},
			absent:  []string{"SecretsManagerEndpoint"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			sys := envSystem(t, envCase{service: tc.service, network: "  nat_gateways: 0\n"})
			doc := envBuild(t, sys, "dev", buildECS)
			for _, id := range tc.want {
				if !envHas(doc, id) {
					t.Errorf("no %s", id)
					continue
				}
				if !envDependsOn(t, doc, "Service", id) {
					t.Errorf("the service does not wait for %s", id)
				}
			}
			for _, id := range tc.absent {
				if envHas(doc, id) {
					t.Errorf("unexpected %s", id)
				}
			}
			s3 := envProps(t, doc, "S3Endpoint")
			if s3["ServiceName"] != "com.amazonaws.us-east-1.s3" || s3["VpcEndpointType"] != "Gateway" {
				t.Errorf("S3 endpoint = %s", envJSON(s3))
			}
			if got := envJSON(s3["RouteTableIds"]); got != `[{"Ref":"PrivateRouteTable1"},{"Ref":"PrivateRouteTable2"}]` {
				t.Errorf("S3 endpoint routes = %s, want the private route tables", got)
			}
			ecr := envProps(t, doc, "EcrDkrEndpoint")
			if ecr["PrivateDnsEnabled"] != true || envJSON(ecr["SubnetIds"]) != `[{"Ref":"PrivateSubnet1"},{"Ref":"PrivateSubnet2"}]` {
				t.Errorf("ECR endpoint = %s, want private DNS in the private subnets", envJSON(ecr))
			}
		})
	}
}

func TestBuildECSListeners(t *testing.T) {
	const cert = "arn:aws:acm:us-east-1:310987654321:certificate/8c1f4d9e-2b3a-4c5d-8e7f-9a0b1c2d3e4f"
	// notFound is the default action of a blue/green production listener:
	// the rules, which match every path, forward.
	const notFound = `[{"FixedResponseConfig":{"ContentType":"text/plain","MessageBody":"Not Found","StatusCode":"404"},"Type":"fixed-response"}]`
	tests := map[string]struct {
		service        string
		wantListeners  map[string]string // logical id -> protocol:port
		wantProduction string            // JSON of ProductionListener's default actions
		wantRedirect   bool              // HttpRedirectListener redirects port 80 to HTTPS
		wantIngress    []float64         // ALB security group ingress ports
		wantURL        string
	}{
		"with a certificate HTTPS serves and HTTP redirects": {
			service:        "  certificate: " + cert + "\n",
			wantListeners:  map[string]string{"HttpRedirectListener": "HTTP:80", "ProductionListener": "HTTPS:443", "TestListener": "HTTPS:8443"},
			wantProduction: notFound,
			wantRedirect:   true,
			wantIngress:    []float64{443, 80, 8443},
			wantURL:        `{"Fn::Sub":"https://${LoadBalancer.DNSName}"}`,
		},
		"an elided example certificate serves HTTP as without one": {
			service:        "  certificate: arn:aws:acm:…\n",
			wantListeners:  map[string]string{"ProductionListener": "HTTP:80", "TestListener": "HTTP:8080"},
			wantProduction: notFound,
			wantIngress:    []float64{80, 8080},
			wantURL:        `{"Fn::Sub":"http://${LoadBalancer.DNSName}"}`,
		},
		"without a certificate HTTP serves": {
			wantListeners:  map[string]string{"ProductionListener": "HTTP:80", "TestListener": "HTTP:8080"},
			wantProduction: notFound,
			wantIngress:    []float64{80, 8080},
			wantURL:        `{"Fn::Sub":"http://${LoadBalancer.DNSName}"}`,
		},
		"rolling with a certificate has no test listener": {
			service:        "  deployment: rolling\n  certificate: " + cert + "\n",
			wantListeners:  map[string]string{"HttpRedirectListener": "HTTP:80", "ProductionListener": "HTTPS:443"},
			wantProduction: `[{"TargetGroupArn":{"Ref":"TargetGroupBlue"},"Type":"forward"}]`,
			wantRedirect:   true,
			wantIngress:    []float64{443, 80},
			wantURL:        `{"Fn::Sub":"https://${LoadBalancer.DNSName}"}`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			sys := envSystem(t, envCase{service: tc.service})
			doc := envBuild(t, sys, "dev", buildECS)
			for _, id := range []string{"ProductionListener", "HttpRedirectListener", "TestListener"} {
				want, ok := tc.wantListeners[id]
				if !ok {
					if envHas(doc, id) {
						t.Errorf("unexpected %s", id)
					}
					continue
				}
				p := envProps(t, doc, id)
				if got := fmt.Sprintf("%v:%v", p["Protocol"], p["Port"]); got != want {
					t.Errorf("%s = %s, want %s", id, got, want)
				}
				if p["Protocol"] == "HTTPS" {
					if got := envJSON(p["Certificates"]); got != `[{"CertificateArn":"`+cert+`"}]` {
						t.Errorf("%s certificates = %s", id, got)
					}
					if p["SslPolicy"] != "ELBSecurityPolicy-TLS13-1-2-2021-06" {
						t.Errorf("%s SslPolicy = %v", id, p["SslPolicy"])
					}
				}
			}
			if got := envJSON(envProps(t, doc, "ProductionListener")["DefaultActions"]); got != tc.wantProduction {
				t.Errorf("production listener default\n got %s\nwant %s", got, tc.wantProduction)
			}
			if tc.wantRedirect {
				const redirect = `[{"RedirectConfig":{"Port":"443","Protocol":"HTTPS","StatusCode":"HTTP_301"},"Type":"redirect"}]`
				if got := envJSON(envProps(t, doc, "HttpRedirectListener")["DefaultActions"]); got != redirect {
					t.Errorf("redirect listener default\n got %s\nwant %s", got, redirect)
				}
				if !envDependsOn(t, doc, "HttpRedirectListener", "ProductionListener") {
					t.Error("the redirect listener may take port 80 before the production listener leaves it")
				}
			}
			if envHas(doc, "ProductionListenerRule") {
				if got := envJSON(envProps(t, doc, "ProductionListenerRule")["ListenerArn"]); got != `{"Ref":"ProductionListener"}` {
					t.Errorf("the production rule is on %s, want ProductionListener", got)
				}
			}
			var ports []float64
			testSources := map[float64][]string{}
			for _, rule := range envProps(t, doc, "LoadBalancerSecurityGroup")["SecurityGroupIngress"].([]any) {
				r := rule.(map[string]any)
				if r["FromPort"] != r["ToPort"] {
					t.Errorf("ingress rule %s is not one port", envJSON(r))
				}
				p := r["FromPort"].(float64)
				if p == 8080 || p == 8443 {
					testSources[p] = append(testSources[p], envJSON(r["CidrIp"]))
					continue
				}
				// Production listeners face the internet.
				if r["CidrIp"] != "0.0.0.0/0" {
					t.Errorf("ingress rule %s is not from anywhere", envJSON(r))
				}
				ports = append(ports, p)
			}
			// The test listener (8080 / 8443) answers only inside the VPC:
			// its CIDR, and the NAT gateways' addresses through which tasks
			// reach the internet-facing load balancer (one by default).
			for p, got := range testSources {
				want := []string{`"10.20.0.0/16"`, `{"Fn::Sub":"${NatEip1}/32"}`}
				if !slices.Equal(got, want) {
					t.Errorf("test listener %v sources = %v, want %v", p, got, want)
				}
				ports = append(ports, p)
			}
			slices.Sort(ports)
			want := slices.Clone(tc.wantIngress)
			slices.Sort(want)
			if !slices.Equal(ports, want) {
				t.Errorf("load balancer ingress ports = %v, want %v", ports, want)
			}
			if got := envJSON(doc["Outputs"].(map[string]any)["ServiceUrl"].(map[string]any)["Value"]); got != tc.wantURL {
				t.Errorf("ServiceUrl = %s, want %s", got, tc.wantURL)
			}
		})
	}
}

func TestBuildECSSecurityGroups(t *testing.T) {
	sys := envSystem(t, envCase{})
	doc := envBuild(t, sys, "dev", buildECS)
	if got := envJSON(envProps(t, doc, "LoadBalancerSecurityGroup")["SecurityGroupEgress"]); got != `[{"Description":"To the tasks of shop-web-dev-dev","DestinationSecurityGroupId":{"Fn::GetAtt":["ServiceSecurityGroup","GroupId"]},"FromPort":8080,"IpProtocol":"tcp","ToPort":8080}]` {
		t.Errorf("load balancer egress = %s, want the container port to the tasks only", got)
	}
	if _, ok := envProps(t, doc, "ServiceSecurityGroup")["SecurityGroupIngress"]; ok {
		t.Error("the service security group has inline ingress; it must come from the load balancer only")
	}
	in := envProps(t, doc, "ServiceIngressFromLoadBalancer")
	want := `{"Description":"Container port from the load balancer","FromPort":8080,"GroupId":{"Fn::GetAtt":["ServiceSecurityGroup","GroupId"]},"IpProtocol":"tcp","SourceSecurityGroupId":{"Fn::GetAtt":["LoadBalancerSecurityGroup","GroupId"]},"ToPort":8080}`
	if got := envJSON(in); got != want {
		t.Errorf("service ingress\n got %s\nwant %s", got, want)
	}
	net := envProps(t, doc, "Service")["NetworkConfiguration"].(map[string]any)["AwsvpcConfiguration"].(map[string]any)
	if net["AssignPublicIp"] != "DISABLED" || envJSON(net["Subnets"]) != `[{"Ref":"PrivateSubnet1"},{"Ref":"PrivateSubnet2"}]` {
		t.Errorf("service network = %s, want private subnets without public IPs", envJSON(net))
	}
	lb := envProps(t, doc, "LoadBalancer")
	if lb["Scheme"] != "internet-facing" || envJSON(lb["Subnets"]) != `[{"Ref":"PublicSubnet1"},{"Ref":"PublicSubnet2"}]` {
		t.Errorf("load balancer = %s, want internet-facing in the public subnets", envJSON(lb))
	}
}

func TestBuildECSFirstApplyWithoutImage(t *testing.T) {
	sys := envSystem(t, envCase{service: "  desired_count: 3\n"})
	doc := envBuild(t, sys, "dev", buildECS)

	if got := envJSON(doc["Parameters"].(map[string]any)["ImageUri"].(map[string]any)["Default"]); got != `""` {
		t.Errorf("ImageUri default = %s, want empty", got)
	}
	conditions := doc["Conditions"].(map[string]any)
	for image, want := range map[string]bool{"": false, "210987654321.dkr.ecr.us-east-1.amazonaws.com/shop-web-dev:1": true} {
		if got := envEvalCondition(t, conditions, "HasImage", map[string]string{"ImageUri": image}); got != want {
			t.Errorf("HasImage(%q) = %v, want %v", image, got, want)
		}
	}
	if got := envJSON(envProps(t, doc, "Service")["DesiredCount"]); got != `{"Fn::If":["HasImage",3,0]}` {
		t.Errorf("DesiredCount = %s, want the desired count only with an image", got)
	}
	c := envProps(t, doc, "TaskDefinition")["ContainerDefinitions"].([]any)[0].(map[string]any)
	if got := envJSON(c["Image"]); got != `{"Fn::If":["HasImage",{"Ref":"ImageUri"},"public.ecr.aws/docker/library/busybox:stable"]}` {
		t.Errorf("Image = %s", got)
	}
}

func TestBuildECSTaskDefinition(t *testing.T) {
	tests := map[string]struct {
		service        string
		wantEnv        string
		wantSecrets    string
		wantReadSecret string // JSON of the ReadSecrets statement's Resource, "" when absent
		wantParams     string // JSON of the ReadParameters statement's Resource, "" when absent
	}{
		"plain variables are sorted and no secret is read": {
			service: "  environment: {B_VAR: two, A_VAR: one}\n",
			wantEnv: `[{"Name":"A_VAR","Value":"one"},{"Name":"B_VAR","Value":"two"}]`, wantSecrets: `null`,
		},
		"a managed secret is imported from the secrets stack and the execution role reads exactly it": {
			service: "  secrets:\n    API_KEY: managed\n" +
				"    DB: arn:aws:secretsmanager:us-east-1:310987654321:secret:db-AbCdEf\n",
			wantEnv:        `null`,
			wantSecrets:    `[{"Name":"API_KEY","ValueFrom":{"Fn::ImportValue":"shop-secrets-dev-dev:SecretAPIKEYArn"}},{"Name":"DB","ValueFrom":"arn:aws:secretsmanager:us-east-1:310987654321:secret:db-AbCdEf"}]`,
			wantReadSecret: `[{"Fn::ImportValue":"shop-secrets-dev-dev:SecretAPIKEYArn"},"arn:aws:secretsmanager:us-east-1:310987654321:secret:db-AbCdEf","arn:aws:secretsmanager:us-east-1:310987654321:secret:db-AbCdEf-??????"]`,
		},
		"secrets are sorted and the execution role reads exactly them": {
			service: "  secrets:\n" +
				"    Z_DB: \"arn:aws:secretsmanager:us-east-1:310987654321:secret:db:password::\"\n" +
				"    A_TOKEN: arn:aws:ssm:us-east-1:310987654321:parameter/shop/token\n",
			wantEnv:        `null`,
			wantSecrets:    `[{"Name":"A_TOKEN","ValueFrom":"arn:aws:ssm:us-east-1:310987654321:parameter/shop/token"},{"Name":"Z_DB","ValueFrom":"arn:aws:secretsmanager:us-east-1:310987654321:secret:db:password::"}]`,
			wantReadSecret: `["arn:aws:secretsmanager:us-east-1:310987654321:secret:db","arn:aws:secretsmanager:us-east-1:310987654321:secret:db-??????"]`,
			wantParams:     `"arn:aws:ssm:us-east-1:310987654321:parameter/shop/token"`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			sys := envSystem(t, envCase{service: tc.service})
			doc := envBuild(t, sys, "dev", buildECS)
			td := envProps(t, doc, "TaskDefinition")
			for field, want := range map[string]string{
				"Cpu": `"256"`, "Memory": `"512"`, "NetworkMode": `"awsvpc"`,
				"RequiresCompatibilities": `["FARGATE"]`, "Family": `"shop-web-dev-dev"`,
			} {
				if got := envJSON(td[field]); got != want {
					t.Errorf("%s = %s, want %s", field, got, want)
				}
			}
			c := td["ContainerDefinitions"].([]any)[0].(map[string]any)
			if c["Name"] != "web" || c["ReadonlyRootFilesystem"] != true {
				t.Errorf("container name %v, read-only root %v", c["Name"], c["ReadonlyRootFilesystem"])
			}
			if got := envJSON(c["MountPoints"]); got != `[{"ContainerPath":"/tmp","ReadOnly":false,"SourceVolume":"tmp"}]` {
				t.Errorf("mount points = %s, want a writable /tmp", got)
			}
			if got := envJSON(c["LogConfiguration"]); got != `{"LogDriver":"awslogs","Options":{"awslogs-group":{"Ref":"ServiceLogGroup"},"awslogs-region":"us-east-1","awslogs-stream-prefix":"web"}}` {
				t.Errorf("log configuration = %s", got)
			}
			// The image is always in ECR: no repository credentials.
			for field, want := range map[string]string{"Environment": tc.wantEnv, "Secrets": tc.wantSecrets, "RepositoryCredentials": `null`} {
				if got := envJSON(c[field]); got != want {
					t.Errorf("%s\n got %s\nwant %s", field, got, want)
				}
			}
			got := map[string]string{}
			for _, s := range envStatements(t, doc, "TaskExecutionRole") {
				got[s["Sid"].(string)] = envJSON(s["Resource"])
				if s["Resource"] == "*" && envJSON(s["Action"]) != `["ecr:GetAuthorizationToken"]` {
					t.Errorf("the execution role allows %s on everything", envJSON(s["Action"]))
				}
			}
			if got["ReadSecrets"] != tc.wantReadSecret && !(tc.wantReadSecret == "" && got["ReadSecrets"] == "") {
				t.Errorf("ReadSecrets on\n got %s\nwant %s", got["ReadSecrets"], tc.wantReadSecret)
			}
			if got["ReadParameters"] != tc.wantParams {
				t.Errorf("ReadParameters on\n got %s\nwant %s", got["ReadParameters"], tc.wantParams)
			}
			if got["PullApplicationImage"] != `"arn:aws:ecr:us-east-1:210987654321:repository/shop-web-dev"` {
				t.Errorf("image pull on %s, want the tooling account's app repository", got["PullApplicationImage"])
			}
		})
	}
}

func TestBuildECSProtection(t *testing.T) {
	tests := map[string]struct {
		protect       bool
		wantRetention string // DeletionPolicy of the retained resources
		wantReplace   string // their UpdateReplacePolicy
		wantDeletion  string
		wantDays      float64
	}{
		"a protected environment retains its log groups and their key, except on a failed create, and protects its load balancer": {
			protect: true, wantRetention: "RetainExceptOnCreate", wantReplace: "Retain", wantDeletion: "true", wantDays: 365,
		},
		"an unprotected environment leaves deletion to the orchestrator": {
			protect: false, wantRetention: "", wantReplace: "", wantDeletion: "false", wantDays: 365,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			envs := fmt.Sprintf("  - name: dev\n    account: dev\n    protect: %v\n", tc.protect)
			sys := envSystem(t, envCase{envs: envs})
			doc := envBuild(t, sys, "dev", buildECS)
			for _, id := range []string{"ServiceLogGroup", "FlowLogGroup"} {
				r := envResource(t, doc, id)
				for attr, want := range map[string]string{"DeletionPolicy": tc.wantRetention, "UpdateReplacePolicy": tc.wantReplace} {
					if got, _ := r[attr].(string); got != want {
						t.Errorf("%s %s = %q, want %q", id, attr, got, want)
					}
				}
				if got := r["Properties"].(map[string]any)["RetentionInDays"]; got != tc.wantDays {
					t.Errorf("%s retention = %v days, want %v", id, got, tc.wantDays)
				}
			}
			if got, _ := envResource(t, doc, "LogKey")["DeletionPolicy"].(string); got != tc.wantRetention {
				t.Errorf("LogKey DeletionPolicy = %q, want %q: retained log groups need their key", got, tc.wantRetention)
			}
			for _, id := range envResourceIDs(doc) {
				if id == "ServiceLogGroup" || id == "FlowLogGroup" || id == "LogKey" {
					continue
				}
				if p, ok := envResource(t, doc, id)["DeletionPolicy"]; ok {
					t.Errorf("%s has DeletionPolicy %v; only log groups and their key are retained", id, p)
				}
			}
			attrs := envJSON(envProps(t, doc, "LoadBalancer")["LoadBalancerAttributes"])
			want := `[{"Key":"deletion_protection.enabled","Value":"` + tc.wantDeletion + `"},{"Key":"routing.http.desync_mitigation_mode","Value":"defensive"},{"Key":"routing.http.drop_invalid_header_fields.enabled","Value":"true"}]`
			if attrs != want {
				t.Errorf("load balancer attributes\n got %s\nwant %s", attrs, want)
			}
		})
	}
}

func TestBuildECSNetwork(t *testing.T) {
	tests := map[string]struct {
		network     string
		wantPublic  []string
		wantPrivate []string
		wantFlow    bool
	}{
		"two zones split the VPC into four subnets": {
			network:     "  azs: 2\n",
			wantPublic:  []string{"10.20.0.0/18", "10.20.64.0/18"},
			wantPrivate: []string{"10.20.128.0/18", "10.20.192.0/18"},
			wantFlow:    true,
		},
		"three zones split the VPC into eighths and flow logs can be off": {
			network:     "  azs: 3\n  flow_logs: false\n",
			wantPublic:  []string{"10.20.0.0/19", "10.20.32.0/19", "10.20.64.0/19"},
			wantPrivate: []string{"10.20.96.0/19", "10.20.128.0/19", "10.20.160.0/19"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			sys := envSystem(t, envCase{network: tc.network})
			doc := envBuild(t, sys, "dev", buildECS)
			if got := envProps(t, doc, "Vpc")["CidrBlock"]; got != "10.20.0.0/16" {
				t.Errorf("VPC CIDR = %v", got)
			}
			for kind, cidrs := range map[string][]string{"Public": tc.wantPublic, "Private": tc.wantPrivate} {
				for i, cidr := range cidrs {
					p := envProps(t, doc, fmt.Sprintf("%sSubnet%d", kind, i+1))
					if p["CidrBlock"] != cidr {
						t.Errorf("%sSubnet%d = %v, want %s", kind, i+1, p["CidrBlock"], cidr)
					}
					if got := envJSON(p["AvailabilityZone"]); got != fmt.Sprintf(`{"Fn::Select":[%d,{"Fn::GetAZs":""}]}`, i) {
						t.Errorf("%sSubnet%d zone = %s", kind, i+1, got)
					}
					if p["MapPublicIpOnLaunch"] != false {
						t.Errorf("%sSubnet%d gives public IPs", kind, i+1)
					}
				}
				if envHas(doc, fmt.Sprintf("%sSubnet%d", kind, len(cidrs)+1)) {
					t.Errorf("more %s subnets than zones", kind)
				}
			}
			for _, id := range []string{"FlowLog", "FlowLogGroup", "FlowLogsRole"} {
				if envHas(doc, id) != tc.wantFlow {
					t.Errorf("%s present = %v, want %v", id, !tc.wantFlow, tc.wantFlow)
				}
			}
			if tc.wantFlow {
				fl := envProps(t, doc, "FlowLog")
				want := `{"DeliverLogsPermissionArn":{"Fn::GetAtt":["FlowLogsRole","Arn"]},"LogDestination":{"Fn::GetAtt":["FlowLogGroup","Arn"]},"LogDestinationType":"cloud-watch-logs","ResourceId":{"Ref":"Vpc"},"ResourceType":"VPC","TrafficType":"ALL"}`
				if got := envJSON(fl); got != want {
					t.Errorf("flow log\n got %s\nwant %s", got, want)
				}
			}
			cluster := envProps(t, doc, "Cluster")
			if got := envJSON(cluster["ClusterSettings"]); got != `[{"Name":"containerInsights","Value":"enabled"}]` {
				t.Errorf("cluster settings = %s, want Container Insights", got)
			}
		})
	}
}

func TestEnvStacksAreDeterministic(t *testing.T) {
	service := "  environment: {A: '1', B: '2', C: '3', D: '4'}\n  secrets:\n" +
		"    S1: arn:aws:secretsmanager:us-east-1:310987654321:secret:a\n" +
		"    S2: arn:aws:ssm:us-east-1:310987654321:parameter/b\n" +
		"    S3: arn:aws:secretsmanager:eu-west-1:410987654321:secret:c\n"
	tests := map[string]func(*schema.System, *schema.Environment) (*cfn.Template, map[string]Parameter){
		"two builds of the ecs stack give the same bytes":     buildECS,
		"two builds of the roles stack give the same bytes":   buildRoles,
		"two builds of the secrets stack give the same bytes": buildSecrets,
	}
	for name, build := range tests {
		t.Run(name, func(t *testing.T) {
			var outs [][]byte
			for range 3 {
				sys := envSystem(t, envCase{service: service, network: "  azs: 3\n  nat_gateways: 0\n"})
				tmpl, _ := build(sys, &sys.Environments[0])
				doc, err := templateDocument(tmpl)
				if err != nil {
					t.Fatal(err)
				}
				body, err := canonicalJSON(doc)
				if err != nil {
					t.Fatal(err)
				}
				outs = append(outs, body)
			}
			for i := 1; i < len(outs); i++ {
				if !bytes.Equal(outs[0], outs[i]) {
					t.Fatalf("build %d differs from build 1", i+1)
				}
			}
		})
	}
}

// envEvalCondition evaluates condition name of a template the way
// CloudFormation does, for the functions conditions may use.
func envEvalCondition(t *testing.T, conditions map[string]any, name string, params map[string]string) bool {
	t.Helper()
	var eval func(v any) any
	eval = func(v any) any {
		switch v := v.(type) {
		case string, float64:
			return v
		case []any:
			out := make([]any, len(v))
			for i, x := range v {
				out[i] = eval(x)
			}
			return out
		case map[string]any:
			for fn, arg := range v {
				args, _ := arg.([]any)
				switch fn {
				case "Ref":
					return params[arg.(string)]
				case "Condition":
					return eval(conditions[arg.(string)])
				case "Fn::Not":
					return !eval(args[0]).(bool)
				case "Fn::And":
					for _, a := range args {
						if !eval(a).(bool) {
							return false
						}
					}
					return true
				case "Fn::Equals":
					return eval(args[0]) == eval(args[1])
				}
				t.Fatalf("cannot evaluate %s", fn)
			}
		}
		t.Fatalf("cannot evaluate %v", v)
		return nil
	}
	b, ok := eval(map[string]any{"Condition": name}).(bool)
	if !ok {
		t.Fatalf("condition %s is not a boolean", name)
	}
	return b
}

func TestBuildECSLogEncryption(t *testing.T) {
	tests := map[string]struct {
		network    string
		wantGroups []string
		wantKeyArn string
	}{
		"with flow logs both log groups are encrypted with the stack's key": {
			network:    "  flow_logs: true\n",
			wantGroups: []string{"ServiceLogGroup", "FlowLogGroup"},
			wantKeyArn: `["arn:aws:logs:us-east-1:310987654321:log-group:shop-ecs-dev-dev","arn:aws:logs:us-east-1:310987654321:log-group:shop-flow-logs-dev-dev"]`,
		},
		"without flow logs the key serves the service's log group alone": {
			network:    "  flow_logs: false\n",
			wantGroups: []string{"ServiceLogGroup"},
			wantKeyArn: `"arn:aws:logs:us-east-1:310987654321:log-group:shop-ecs-dev-dev"`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			doc := envBuild(t, envSystem(t, envCase{network: tc.network}), "dev", buildECS)
			for _, id := range tc.wantGroups {
				if got := envJSON(envProps(t, doc, id)["KmsKeyId"]); got != `{"Fn::GetAtt":["LogKey","Arn"]}` {
					t.Errorf("%s KmsKeyId = %s, want the LogKey's ARN", id, got)
				}
			}
			key := envProps(t, doc, "LogKey")
			if key["EnableKeyRotation"] != true {
				t.Error("the log key does not rotate")
			}
			statements := map[string]map[string]any{}
			for _, s := range key["KeyPolicy"].(map[string]any)["Statement"].([]any) {
				st := s.(map[string]any)
				statements[st["Sid"].(string)] = st
			}
			root := statements["KeyAdministration"]
			if envJSON(root["Principal"]) != `{"AWS":"arn:aws:iam::310987654321:root"}` || root["Action"] != "kms:*" {
				t.Errorf("key administration = %s, want the environment account's IAM policies", envJSON(root))
			}
			logs := statements["CloudWatchLogsEncryptLogGroups"]
			if envJSON(logs["Principal"]) != `{"Service":"logs.us-east-1.amazonaws.com"}` {
				t.Errorf("log encryption principal = %s", envJSON(logs["Principal"]))
			}
			if got := envJSON(logs["Condition"]); got != `{"ArnLike":{"kms:EncryptionContext:aws:logs:arn":`+tc.wantKeyArn+`}}` {
				t.Errorf("CloudWatch Logs may use the key for\n got %s\nwant %s", got, tc.wantKeyArn)
			}
			// Control Tower CT.KMS.PR.3: grants for AWS services only.
			deny := statements["DenyGrantsExceptForAWSServices"]
			want := `{"Action":"kms:CreateGrant","Condition":{"BoolIfExists":{"aws:PrincipalIsAWSService":"false","kms:GrantIsForAWSResource":"false"}},"Effect":"Deny","Principal":{"AWS":"*"},"Resource":"*","Sid":"DenyGrantsExceptForAWSServices"}`
			if got := envJSON(deny); got != want {
				t.Errorf("grant restriction\n got %s\nwant %s", got, want)
			}
		})
	}
}

func TestBuildECSTestListenerSources(t *testing.T) {
	tests := map[string]struct {
		network string
		want    string
	}{
		"with two NAT gateways the VPC and both gateways' addresses reach the test listener": {
			network: "  azs: 2\n  nat_gateways: 2\n",
			want:    `["10.20.0.0/16",{"Fn::Sub":"${NatEip1}/32"},{"Fn::Sub":"${NatEip2}/32"}]`,
		},
		"without NAT gateways the VPC alone reaches it": {
			network: "  nat_gateways: 0\n",
			want:    `["10.20.0.0/16"]`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			doc := envBuild(t, envSystem(t, envCase{network: tc.network}), "dev", buildECS)
			var sources []any
			for _, rule := range envProps(t, doc, "LoadBalancerSecurityGroup")["SecurityGroupIngress"].([]any) {
				r := rule.(map[string]any)
				if r["FromPort"] == float64(8080) {
					sources = append(sources, r["CidrIp"])
				}
			}
			if got := envJSON(sources); got != tc.want {
				t.Errorf("test listener sources\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

// TestBuildECSKeepsTrafficResourcesAcrossChanges compiles ecs stacks before
// and after a change and checks which traffic-critical resources (the
// listener rules ECS re-weights and the target groups) the change touches:
// ordinary changes such as a certificate must leave them untouched; a new
// service.port replaces the target groups under new names.
func TestBuildECSKeepsTrafficResourcesAcrossChanges(t *testing.T) {
	const cert = "  certificate: arn:aws:acm:us-east-1:310987654321:certificate/8c1f4d9e-2b3a-4c5d-8e7f-9a0b1c2d3e4f\n"
	const otherCert = "  certificate: arn:aws:acm:us-east-1:310987654321:certificate/0a1b2c3d-2b3a-4c5d-8e7f-9a0b1c2d3e4f\n"
	tests := map[string]struct {
		before, after string // extra service lines
		afterEnvs     string // the environments after the change, when they change
		wantChanged   []string
	}{
		"adding a certificate":            {before: "", after: cert},
		"changing the certificate":        {before: cert, after: otherCert},
		"removing the certificate":        {before: cert, after: ""},
		"a new image-independent setting": {before: "", after: "  desired_count: 5\n  environment: {A: b}\n"},
		"a new port replaces the target groups under new names": {
			// (The rules' text stays; their Refs then name the new target
			// groups, which the change set reports as a modification.)
			afterEnvs: "  - name: dev\n    account: dev\n    service: {port: 9090}\n", wantChanged: []string{"TargetGroupBlue", "TargetGroupGreen"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			sysBefore := envSystem(t, envCase{service: tc.before})
			sysAfter := envSystem(t, envCase{service: tc.after, envs: tc.afterEnvs})
			before := envBuild(t, sysBefore, "dev", buildECS)
			after := envBuild(t, sysAfter, "dev", buildECS)
			ids := TrafficResources(&sysAfter.Environments[0])
			if len(ids) != 4 {
				t.Fatalf("TrafficResources = %v, want the two rules and the two target groups", ids)
			}
			var changed []string
			for _, id := range ids {
				if envJSON(envResource(t, before, id)) != envJSON(envResource(t, after, id)) {
					changed = append(changed, id)
				}
			}
			if !slices.Equal(changed, tc.wantChanged) {
				t.Errorf("changed traffic resources = %v, want %v", changed, tc.wantChanged)
			}
			if len(tc.wantChanged) > 0 {
				if envProps(t, before, "TargetGroupBlue")["Name"] == envProps(t, after, "TargetGroupBlue")["Name"] {
					t.Error("a replaced target group keeps its name: the replacement would collide with the old one")
				}
			}
		})
	}
	t.Run("rolling deployments have no traffic resources", func(t *testing.T) {
		sys := envSystem(t, envCase{service: "  deployment: rolling\n"})
		if got := TrafficResources(&sys.Environments[0]); got != nil {
			t.Errorf("TrafficResources = %v, want none", got)
		}
	})
}

// TestCompileRecordsTrafficResources checks that the ecs stack of a
// blue/green environment, and only it, lists its traffic-critical resources
// in the assembly and in manifest.json, for the deploy side's guard.
func TestCompileRecordsTrafficResources(t *testing.T) {
	sys := envSystem(t, envCase{envs: "  - name: dev\n    account: dev\n  - name: prod\n    account: prod\n    service: {deployment: rolling}\n"})
	a, ds := Compile(sys)
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	out, err := Outputs(a, manifest.FormatJSON)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"shop-ecs-dev-dev": {"ProductionListenerRule", "TargetGroupBlue", "TargetGroupGreen", "TestListenerRule"},
	}
	for i, s := range a.Stacks {
		if got := s.TrafficResources; !slices.Equal(got, want[s.Name]) {
			t.Errorf("%s: TrafficResources = %v, want %v", s.Name, got, want[s.Name])
		}
		if got := out.Manifest.Stacks[i].TrafficResources; !slices.Equal(got, want[s.Name]) {
			t.Errorf("manifest.json: %s trafficResources = %v, want %v", s.Name, got, want[s.Name])
		}
	}
	if !bytes.Contains(out.Files[manifest.File], []byte(`"trafficResources": [`)) {
		t.Error("manifest.json has no trafficResources")
	}
}
