package compiler

import (
	"encoding/json"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/cicdgen/cicdgen/compiler/cfn"

	"github.com/cicdgen/cicdgen/schema"
)

// rolesStarAllowed lists the only actions a roles-stack Allow may grant on
// Resource "*": those without resource-level permissions.
var rolesStarAllowed = map[string]bool{
	"autoscaling:DescribeTags":                            true,
	"cloudformation:GetTemplateSummary":                   true,
	"ec2:DescribeInstances":                               true,
	"ec2:DescribeIpamPools":                               true,
	"ec2:DescribeVpcEncryptionControls":                   true,
	"ec2:DescribeVpnGateways":                             true,
	"ecs:ListClusters":                                    true,
	"ecs:ListServices":                                    true,
	"ecs:ListTaskDefinitions":                             true,
	"ecs:PutAccountSetting":                               true,
	"elasticloadbalancing:DescribeCapacityReservation":    true,
	"iam:ListRoles":                                       true,
	"kms:CreateKey":                                       true,
	"kms:ListKeys":                                        true,
	"logs:CreateLogDelivery":                              true,
	"logs:DeleteLogDelivery":                              true,
	"logs:DescribeResourcePolicies":                       true,
	"cloudformation:ValidateTemplate":                     true,
	"cloudformation:ListExports":                          true,
	"ec2:DescribeAccountAttributes":                       true,
	"ec2:DescribeAddresses":                               true,
	"ec2:DescribeAddressesAttribute":                      true,
	"ec2:DescribeAvailabilityZones":                       true,
	"ec2:DescribeFlowLogs":                                true,
	"ec2:DescribeInternetGateways":                        true,
	"ec2:DescribeNatGateways":                             true,
	"ec2:DescribeNetworkAcls":                             true,
	"ec2:DescribeTags":                                    true,
	"ec2:DescribeNetworkInterfaces":                       true,
	"ec2:DescribePrefixLists":                             true,
	"ec2:DescribeRouteTables":                             true,
	"ec2:DescribeSecurityGroupRules":                      true,
	"ec2:DescribeSecurityGroups":                          true,
	"ec2:DescribeSubnets":                                 true,
	"ec2:DescribeVpcAttribute":                            true,
	"ec2:DescribeVpcEndpointServices":                     true,
	"ec2:DescribeVpcEndpoints":                            true,
	"ec2:DescribeVpcs":                                    true,
	"ecs:DeregisterTaskDefinition":                        true,
	"ecs:DescribeTaskDefinition":                          true,
	"ecs:RegisterTaskDefinition":                          true,
	"elasticloadbalancing:DescribeListenerAttributes":     true,
	"elasticloadbalancing:DescribeListeners":              true,
	"elasticloadbalancing:DescribeLoadBalancerAttributes": true,
	"elasticloadbalancing:DescribeLoadBalancers":          true,
	"elasticloadbalancing:DescribeRules":                  true,
	"elasticloadbalancing:DescribeTags":                   true,
	"elasticloadbalancing:DescribeTargetGroupAttributes":  true,
	"elasticloadbalancing:DescribeTargetGroups":           true,
	"elasticloadbalancing:DescribeTargetHealth":           true,
	"logs:DescribeLogGroups":                              true,
	"secretsmanager:ListSecrets":                          true,
}

func TestBuildRolesTrust(t *testing.T) {
	sys := envSystem(t, envCase{})
	doc := envBuild(t, sys, "dev", buildRoles)
	tests := map[string]struct {
		role, name, want string
	}{
		"the deploy role trusts the tooling account root narrowed to the pipeline role": {
			role: "DeployRole",
			name: "shop-deploy-dev-dev",
			want: `{"Statement":[{"Action":"sts:AssumeRole","Condition":{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::210987654321:role/shop-pipeline-dev"}},"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::210987654321:root"}}],"Version":"2012-10-17"}`,
		},
		"the execution role trusts CloudFormation only": {
			role: "ExecutionRole",
			name: "shop-cfn-exec-dev-dev",
			want: `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"cloudformation.amazonaws.com"}}],"Version":"2012-10-17"}`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			props := envProps(t, doc, tc.role)
			if props["RoleName"] != tc.name {
				t.Errorf("RoleName = %v, want %s", props["RoleName"], tc.name)
			}
			if got := envJSON(props["AssumeRolePolicyDocument"]); got != tc.want {
				t.Errorf("trust policy\n got %s\nwant %s", got, tc.want)
			}
		})
	}
	outputs := doc["Outputs"].(map[string]any)
	for out, role := range map[string]string{"DeployRoleArn": "DeployRole", "ExecutionRoleArn": "ExecutionRole"} {
		o, ok := outputs[out].(map[string]any)
		if !ok || envJSON(o["Value"]) != `{"Fn::GetAtt":["`+role+`","Arn"]}` {
			t.Errorf("output %s = %v, want the Arn of %s", out, o, role)
		}
	}
}

func TestBuildRolesExplicitDeny(t *testing.T) {
	tests := map[string]struct {
		roles string
		want  string
	}{
		"without roles.deny both roles deny ec2:TerminateInstances": {
			want: `["ec2:TerminateInstances"]`,
		},
		"roles.deny is added to ec2:TerminateInstances, sorted and without repeats": {
			roles: "roles:\n  deny: [iam:CreateUser, ec2:TerminateInstances, s3:DeleteBucket]\n",
			want:  `["ec2:TerminateInstances","iam:CreateUser","s3:DeleteBucket"]`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			sys := envSystem(t, envCase{roles: tc.roles})
			doc := envBuild(t, sys, "dev", buildRoles)
			for _, role := range []string{"DeployRole", "ExecutionRole"} {
				var denies []map[string]any
				for _, s := range envStatements(t, doc, role) {
					if s["Effect"] == "Deny" {
						denies = append(denies, s)
					}
				}
				if len(denies) != 1 {
					t.Fatalf("%s has %d Deny statements, want 1: %v", role, len(denies), denies)
				}
				d := denies[0]
				if got := envJSON(d["Action"]); got != tc.want {
					t.Errorf("%s denies %s, want %s", role, got, tc.want)
				}
				if d["Resource"] != "*" || d["Condition"] != nil {
					t.Errorf("%s: the deny is on %v with condition %v, want Resource \"*\" unconditionally", role, d["Resource"], d["Condition"])
				}
			}
		})
	}
}

func TestBuildRolesLeastPrivilege(t *testing.T) {
	sys := envSystem(t, envCase{
		envs: "  - name: dev\n    account: dev\n    region: eu-west-1\n",
	})
	doc := envBuild(t, sys, "dev", buildRoles)
	for _, role := range []string{"DeployRole", "ExecutionRole"} {
		t.Run("no Allow of "+role+" grants a wildcard action or Resource \"*\" beyond the documented actions", func(t *testing.T) {
			for _, s := range envStatements(t, doc, role) {
				if s["Effect"] != "Allow" {
					continue
				}
				star := slices.Contains(envList(s["Resource"]), any("*"))
				for _, a := range envList(s["Action"]) {
					action := a.(string)
					if strings.Contains(action, "*") {
						t.Errorf("%s: statement %v allows the wildcard action %s", role, s["Sid"], action)
					}
					if star && !rolesStarAllowed[action] {
						t.Errorf("%s: statement %v allows %s on Resource \"*\"", role, s["Sid"], action)
					}
				}
			}
		})
	}

	sid := func(role, id string) map[string]any {
		for _, s := range envStatements(t, doc, role) {
			if s["Sid"] == id {
				return s
			}
		}
		t.Fatalf("%s has no statement %s", role, id)
		return nil
	}
	tests := map[string]struct {
		role, sid, field, want string
	}{
		"the deploy role manages only this environment's ecs and secrets stacks": {
			role: "DeployRole", sid: "DeployStacks", field: "Resource",
			want: `["arn:aws:cloudformation:eu-west-1:310987654321:stack/shop-ecs-dev-dev/*","arn:aws:cloudformation:eu-west-1:310987654321:stack/shop-secrets-dev-dev/*"]`,
		},
		"the deploy role runs the CloudFormation action's calls on the stacks, tagging included": {
			role: "DeployRole", sid: "DeployStacks", field: "Action",
			want: `["cloudformation:CreateChangeSet","cloudformation:CreateStack","cloudformation:DeleteChangeSet","cloudformation:DeleteStack","cloudformation:DescribeChangeSet","cloudformation:DescribeStackEvents","cloudformation:DescribeStackResources","cloudformation:DescribeStacks","cloudformation:ExecuteChangeSet","cloudformation:GetTemplate","cloudformation:TagResource","cloudformation:UntagResource","cloudformation:UpdateStack"]`,
		},
		"the deploy role validates and summarizes templates": {
			role: "DeployRole", sid: "ValidateTemplates", field: "Action",
			want: `["cloudformation:GetTemplateSummary","cloudformation:ValidateTemplate"]`,
		},
		"the execution role manages only the KMS keys of the environment's account and region": {
			role: "ExecutionRole", sid: "ManageLogKey", field: "Resource",
			want: `"arn:aws:kms:eu-west-1:310987654321:key/*"`,
		},
		"the deploy role passes only the execution role": {
			role: "DeployRole", sid: "PassExecutionRole", field: "Resource",
			want: `"arn:aws:iam::310987654321:role/shop-cfn-exec-dev-dev"`,
		},
		"the deploy role passes the execution role to CloudFormation only": {
			role: "DeployRole", sid: "PassExecutionRole", field: "Condition",
			want: `{"StringEquals":{"iam:PassedToService":"cloudformation.amazonaws.com"}}`,
		},
		"the deploy role reads the artifact bucket of the environment's region": {
			role: "DeployRole", sid: "ReadArtifacts", field: "Resource",
			want: `"arn:aws:s3:::shop-artifacts-210987654321-eu-west-1-dev/*"`,
		},
		"the deploy role decrypts with the tooling account's keys of the region only": {
			role: "DeployRole", sid: "DecryptArtifacts", field: "Resource",
			want: `"arn:aws:kms:eu-west-1:210987654321:key/*"`,
		},
		"the deploy role decrypts through S3 of the environment's region only": {
			role: "DeployRole", sid: "DecryptArtifacts", field: "Condition",
			want: `{"StringEquals":{"kms:ViaService":"s3.eu-west-1.amazonaws.com"}}`,
		},
		"the execution role manages only the ecs stack's roles": {
			role: "ExecutionRole", sid: "ManageStackRoles", field: "Resource",
			want: `["arn:aws:iam::310987654321:role/shop-task-dev-dev","arn:aws:iam::310987654321:role/shop-task-exec-dev-dev","arn:aws:iam::310987654321:role/shop-ecs-infra-dev-dev","arn:aws:iam::310987654321:role/shop-flow-logs-dev-dev"]`,
		},
		"the execution role passes the task and infrastructure roles to ECS only": {
			role: "ExecutionRole", sid: "PassStackRoles", field: "Condition",
			want: `{"StringEquals":{"iam:PassedToService":["ecs-tasks.amazonaws.com","ecs.amazonaws.com"]}}`,
		},
		"the execution role passes the flow logs role alone without a service condition": {
			role: "ExecutionRole", sid: "PassFlowLogsRole", field: "Resource",
			want: `"arn:aws:iam::310987654321:role/shop-flow-logs-dev-dev"`,
		},
		"the execution role attaches only the ECS infrastructure policy": {
			role: "ExecutionRole", sid: "AttachEcsInfrastructurePolicy", field: "Condition",
			want: `{"ArnEquals":{"iam:PolicyARN":"arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers"}}`,
		},
		"the execution role manages only this environment's cluster, service and task family": {
			role: "ExecutionRole", sid: "ManageEcs", field: "Resource",
			want: `["arn:aws:ecs:eu-west-1:310987654321:cluster/shop-dev-dev","arn:aws:ecs:eu-west-1:310987654321:service/shop-dev-dev/shop-web-dev-dev","arn:aws:ecs:eu-west-1:310987654321:service-deployment/shop-dev-dev/shop-web-dev-dev/*","arn:aws:ecs:eu-west-1:310987654321:service-revision/shop-dev-dev/shop-web-dev-dev/*","arn:aws:ecs:eu-west-1:310987654321:task-definition/shop-web-dev-dev:*"]`,
		},
		"the execution role manages only this environment's load balancer and target groups": {
			role: "ExecutionRole", sid: "ManageLoadBalancer", field: "Resource",
			want: `["arn:aws:elasticloadbalancing:eu-west-1:310987654321:loadbalancer/app/shop-dev-dev/*","arn:aws:elasticloadbalancing:eu-west-1:310987654321:listener/app/shop-dev-dev/*","arn:aws:elasticloadbalancing:eu-west-1:310987654321:listener-rule/app/shop-dev-dev/*","arn:aws:elasticloadbalancing:eu-west-1:310987654321:targetgroup/shop-dev-b*-dev/*","arn:aws:elasticloadbalancing:eu-west-1:310987654321:targetgroup/shop-dev-g*-dev/*"]`,
		},
		"the execution role manages only this environment's log groups": {
			role: "ExecutionRole", sid: "ManageLogGroups", field: "Resource",
			want: `["arn:aws:logs:eu-west-1:310987654321:log-group:shop-ecs-dev-dev","arn:aws:logs:eu-west-1:310987654321:log-group:shop-ecs-dev-dev:*","arn:aws:logs:eu-west-1:310987654321:log-group:shop-flow-logs-dev-dev","arn:aws:logs:eu-west-1:310987654321:log-group:shop-flow-logs-dev-dev:*"]`,
		},
		"the execution role manages networking in the environment's region only": {
			role: "ExecutionRole", sid: "ManageNetwork", field: "Resource",
			want: `"arn:aws:ec2:eu-west-1:*:*"`,
		},
		"the execution role manages only this environment's managed secrets": {
			role: "ExecutionRole", sid: "ManageManagedSecrets", field: "Resource",
			want: `"arn:aws:secretsmanager:eu-west-1:310987654321:secret:shop/dev/dev/*"`,
		},
		"the deploy role reads only this environment's roles version": {
			role: "DeployRole", sid: "ReadRolesVersion", field: "Resource",
			want: `"arn:aws:ssm:eu-west-1:310987654321:parameter/shop/dev/dev/roles-version"`,
		},
		"the execution role reads only this environment's roles version": {
			role: "ExecutionRole", sid: "ReadRolesVersion", field: "Resource",
			want: `"arn:aws:ssm:eu-west-1:310987654321:parameter/shop/dev/dev/roles-version"`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := envJSON(sid(tc.role, tc.sid)[tc.field]); got != tc.want {
				t.Errorf("%s %s %s\n got %s\nwant %s", tc.role, tc.sid, tc.field, got, tc.want)
			}
		})
	}
}

func TestBuildRolesEndpointDNS(t *testing.T) {
	tests := map[string]struct {
		network string
		want    bool
	}{
		"without NAT gateways the execution role may associate the endpoints' private DNS": {
			network: "  nat_gateways: 0\n",
			want:    true,
		},
		"with a NAT gateway it may not": {
			network: "  nat_gateways: 1\n",
			want:    false,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			doc := envBuild(t, envSystem(t, envCase{network: tc.network}), "dev", buildRoles)
			got := false
			for _, s := range envStatements(t, doc, "ExecutionRole") {
				if slices.Contains(envList(s["Action"]), any("route53:AssociateVPCWithHostedZone")) {
					got = true
					if s["Resource"] != "arn:aws:route53:::hostedzone/*" {
						t.Errorf("route53 on %v", s["Resource"])
					}
				}
			}
			if got != tc.want {
				t.Errorf("route53:AssociateVPCWithHostedZone allowed = %v, want %v", got, tc.want)
			}
		})
	}
}

// handlerPermissionsFile holds, for every resource type the compiler
// emits, the IAM permissions its CloudFormation resource handlers list
// (schema "handlers" → create, read, update, delete, list → "permissions").
// The vendored schema subset testdata/cfn-schemas/schemas.json drops
// "handlers", so internal/cfnschemagen writes them here, beside it, for the
// execution role's test (go generate ./compiler regenerates both).
const handlerPermissionsFile = "testdata/handler-permissions.json"

// handlerPermissions is the content of handlerPermissionsFile.
type handlerPermissions struct {
	Comment string `json:"comment"`
	// Types maps a resource type to its handlers ("create", "read",
	// "update", "delete", "list") and each handler to its permissions,
	// sorted and without repeats.
	Types map[string]map[string][]string `json:"types"`
}

// rolesExecutionCases are the systems whose ecs stacks the execution role
// must manage: together they make the ecs builder emit every resource type
// and every optional resource it has (blue/green and rolling, NAT gateways
// and VPC endpoints, flow logs, a certificate, secrets of every kind (the
// managed ones in the secrets stack), protect).
var rolesExecutionCases = map[string]envCase{
	"blue/green with NAT gateways, flow logs and secrets of every kind": {
		service: "  secrets:\n    DB: arn:aws:secretsmanager:us-east-1:310987654321:secret:db-AbCdEf\n    TOKEN: arn:aws:ssm:us-east-1:310987654321:parameter/shop/token\n    API_KEY: managed\n",
		network: "  azs: 3\n  nat_gateways: 2\n",
	},
	"canary over HTTPS in a protected environment": {
		service: "  traffic: canary-10-5\n  certificate: arn:aws:acm:us-east-1:310987654321:certificate/8c1f4d9e-2b3a-4c5d-8e7f-9a0b1c2d3e4f\n",
		envs:    "  - name: dev\n    account: dev\n    protect: true\n",
	},
	"rolling without NAT gateways, with VPC endpoints and without flow logs": {
		service: "  deployment: rolling\n  secrets:\n    DB: arn:aws:secretsmanager:us-east-1:310987654321:secret:db-AbCdEf\n    TOKEN: arn:aws:ssm:us-east-1:310987654321:parameter/shop/token\n",
		network: "  nat_gateways: 0\n  flow_logs: false\n",
	},
}

// rolesHandlerExclusion is a handler permission the execution role does not
// grant, and why.
type rolesHandlerExclusion struct {
	reason string
	// unless lists fragments of the template's compact JSON (property
	// names, values) whose presence means the stack uses the feature the
	// permission serves: then the permission is required after all.
	unless []string
}

// rolesHandlerExclusions are the handler permissions the execution role
// leaves out: each serves a feature the ecs stack never uses (or is no IAM
// action at all), and granting it would only widen the role.
var rolesHandlerExclusions = map[string]rolesHandlerExclusion{
	"cognito-idp:DescribeUserPoolClient":                       {"listener actions of type authenticate-cognito only", []string{`"authenticate-cognito"`}},
	"ec2:AcceptAddressTransfer":                                {"EIP TransferAddress only", []string{`"TransferAddress"`}},
	"ec2:AssignPrivateNatGatewayAddress":                       {"secondary private NAT addresses only", []string{`"SecondaryPrivateIpAddress`}},
	"ec2:AssociateNatGatewayAddress":                           {"secondary NAT Elastic IPs only", []string{`"SecondaryAllocationIds"`}},
	"ec2:AssociateSubnetCidrBlock":                             {"IPv6 subnets only", []string{`"Ipv6CidrBlock`}},
	"ec2:AttachVpnGateway":                                     {"VPN gateway attachments only", []string{`"VpnGatewayId"`}},
	"ec2:CreateVpcEncryptionControl":                           {"VPC VpcEncryptionControl only", []string{`"VpcEncryptionControl"`}},
	"ec2:DetachVpnGateway":                                     {"VPN gateway attachments only", []string{`"VpnGatewayId"`}},
	"ec2:DisassociateNatGatewayAddress":                        {"secondary NAT Elastic IPs only", []string{`"SecondaryAllocationIds"`}},
	"ec2:DisassociateSubnetCidrBlock":                          {"IPv6 subnets only", []string{`"Ipv6CidrBlock`}},
	"ec2:ModifyVpcTenancy":                                     {"VPC InstanceTenancy only", []string{`"InstanceTenancy"`}},
	"ec2:UnassignPrivateNatGatewayAddress":                     {"secondary private NAT addresses only", []string{`"SecondaryPrivateIpAddress`}},
	"ecs:PutAccountSettingDefault":                             {"changes the ECS defaults of the whole account; the cluster sets Container Insights itself (ClusterSettings)", nil},
	"firehose:TagDeliveryStream":                               {"log delivery to Kinesis Data Firehose only", []string{`"AWS::KinesisFirehose::`}},
	"iam:DeleteRolePermissionsBoundary":                        {"roles with a PermissionsBoundary only", []string{`"PermissionsBoundary"`}},
	"iam:PutRolePermissionsBoundary":                           {"roles with a PermissionsBoundary only", []string{`"PermissionsBoundary"`}},
	"logs:PutResourcePolicy":                                   {"changes the account's CloudWatch Logs resource policies; log groups with a ResourcePolicyDocument only", []string{`"ResourcePolicyDocument"`}},
	"s3:GetBucketPolicy":                                       {"flow logs delivered to S3 only", []string{`"LogDestinationType":"s3"`}},
	"s3:PutBucketPolicy":                                       {"flow logs delivered to S3 only", []string{`"LogDestinationType":"s3"`}},
	"s3:REST.PUT.OBJECT":                                       {"not an IAM action (an S3 access log operation name the log group schema lists)", nil},
	"vpc-lattice:CreateServiceNetworkVpcEndpointAssociation":   {"VPC endpoints of type ServiceNetwork only", []string{`"ServiceNetwork`}},
	"vpc-lattice:DescribeServiceNetworkVpcEndpointAssociation": {"VPC endpoints of type ServiceNetwork only", []string{`"ServiceNetwork`}},
	"vpce:AllowMultiRegion":                                    {"cross-region VPC endpoints (ServiceRegion) only", []string{`"ServiceRegion"`}},
	"secretsmanager:GetRandomPassword":                         {"secrets with GenerateSecretString only: cicdgen's secrets have no value", []string{`"GenerateSecretString"`}},
	"secretsmanager:ReplicateSecretToRegions":                  {"replicated secrets (ReplicaRegions) only", []string{`"ReplicaRegions"`}},
	"secretsmanager:RemoveRegionsFromReplication":              {"replicated secrets (ReplicaRegions) only", []string{`"ReplicaRegions"`}},
}

// rolesExecutionTemplates builds the ecs, roles and (with managed secrets)
// secrets templates of the dev environment of every case of
// rolesExecutionCases; the secrets template is nil without managed secrets.
// (The schema checks of envBuild run in the tests of each builder, not again
// here.)
func rolesExecutionTemplates(t *testing.T) map[string][3]map[string]any {
	t.Helper()
	render := func(sys *schema.System, build func(*schema.System, *schema.Environment) (*cfn.Template, map[string]Parameter)) map[string]any {
		tmpl, _ := build(sys, &sys.Environments[0])
		doc, err := templateDocument(tmpl)
		if err != nil {
			t.Fatalf("render template: %v", err)
		}
		return envRoundTrip(t, doc)
	}
	out := map[string][3]map[string]any{}
	for name, c := range rolesExecutionCases {
		sys := envSystem(t, c)
		docs := [3]map[string]any{render(sys, buildECS), render(sys, buildRoles)}
		if sys.Environments[0].HasManagedSecrets() {
			docs[2] = render(sys, buildSecrets)
		}
		out[name] = docs
	}
	return out
}

// rolesTemplateTypes returns the resource types of doc, sorted.
func rolesTemplateTypes(doc map[string]any) []string {
	set := map[string]bool{}
	for _, r := range doc["Resources"].(map[string]any) {
		set[r.(map[string]any)["Type"].(string)] = true
	}
	types := make([]string, 0, len(set))
	for typ := range set {
		types = append(types, typ)
	}
	sort.Strings(types)
	return types
}

// rolesLoadHandlerPermissions reads handlerPermissionsFile.
func rolesLoadHandlerPermissions(t *testing.T) handlerPermissions {
	t.Helper()
	raw, err := os.ReadFile(handlerPermissionsFile)
	if err != nil {
		t.Fatalf("read handler permissions: %v", err)
	}
	var hp handlerPermissions
	if err := json.Unmarshal(raw, &hp); err != nil {
		t.Fatalf("decode %s: %v", handlerPermissionsFile, err)
	}
	return hp
}

// TestHandlerPermissionsTestdataIsCurrent checks that handlerPermissionsFile
// lists the handlers of every resource type the ecs stack emits, so that
// TestExecutionRoleCoversHandlerPermissions checks them all.
func TestHandlerPermissionsTestdataIsCurrent(t *testing.T) {
	hp := rolesLoadHandlerPermissions(t)
	for name, docs := range rolesExecutionTemplates(t) {
		for _, doc := range []map[string]any{docs[0], docs[2]} {
			if doc == nil {
				continue
			}
			for _, typ := range rolesTemplateTypes(doc) {
				if len(hp.Types[typ]) == 0 {
					t.Errorf("%s: %s lists no handlers of %s; add the type to internal/cfnschemagen's resourceTypes and run go generate ./compiler", name, handlerPermissionsFile, typ)
				}
			}
		}
	}
}

func TestExecutionRoleCoversHandlerPermissions(t *testing.T) {
	hp := rolesLoadHandlerPermissions(t)
	used := map[string]bool{}
	for name, docs := range rolesExecutionTemplates(t) {
		t.Run(name, func(t *testing.T) {
			rolesDoc := docs[1]
			deployed := []map[string]any{docs[0]}
			if docs[2] != nil {
				deployed = append(deployed, docs[2])
			}
			text := envJSON(deployed)
			// What CloudFormation itself calls as the role: Fn::GetAZs,
			// Fn::ImportValue, and the roles version parameter that
			// every deployed template resolves.
			required := map[string]string{"ssm:GetParameters": "the RolesVersion parameter"}
			if strings.Contains(text, `"Fn::GetAZs"`) {
				required["ec2:DescribeAvailabilityZones"] = "Fn::GetAZs"
			}
			if strings.Contains(text, `"Fn::ImportValue"`) {
				required["cloudformation:ListExports"] = "Fn::ImportValue"
			}
			var types []string
			for _, doc := range deployed {
				types = append(types, rolesTemplateTypes(doc)...)
			}
			for _, typ := range types {
				handlers, ok := hp.Types[typ]
				if !ok {
					t.Errorf("%s has no entry in %s; regenerate it with go generate ./compiler", typ, handlerPermissionsFile)
					continue
				}
				for h, perms := range handlers {
					for _, p := range perms {
						if ex, ok := rolesHandlerExclusions[p]; ok {
							used[p] = true
							if !slices.ContainsFunc(ex.unless, func(s string) bool { return strings.Contains(text, s) }) {
								continue
							}
						}
						required[p] = typ + " " + h
					}
				}
			}
			statements := envStatements(t, rolesDoc, "ExecutionRole")
			for action, why := range required {
				if !rolesAllows(statements, action) {
					t.Errorf("the execution role does not allow %s (needed by %s)", action, why)
				}
			}
		})
	}
	for action := range rolesHandlerExclusions {
		if !used[action] {
			t.Errorf("exclusion %s is listed by no handler of the ecs stack's types: remove it", action)
		}
	}
}

// rolesAllows reports whether an Allow of statements matches action and no
// Deny does. Actions match case-insensitively, with * and ? wildcards.
func rolesAllows(statements []map[string]any, action string) bool {
	allowed := false
	for _, s := range statements {
		for _, a := range envList(s["Action"]) {
			if !rolesActionMatches(a.(string), action) {
				continue
			}
			if s["Effect"] == "Deny" {
				return false
			}
			allowed = true
		}
	}
	return allowed
}

// rolesActionMatches reports whether the IAM action pattern matches action,
// case-insensitively: * matches any run of characters, ? any one. (It
// backtracks to the last *, as glob matchers do; a regular expression per
// pair took the execution role's test seconds.)
func rolesActionMatches(pattern, action string) bool {
	pattern, action = strings.ToLower(pattern), strings.ToLower(action)
	p, a := 0, 0
	star, mark := -1, 0
	for a < len(action) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == action[a]):
			p++
			a++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, a
			p++
		case star >= 0:
			p = star + 1
			mark++
			a = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

func TestRolesActionMatches(t *testing.T) {
	tests := map[string]struct {
		pattern, action string
		want            bool
	}{
		"an exact action matches":               {"ec2:CreateVpc", "ec2:CreateVpc", true},
		"actions match whatever their case":     {"S3:GetBucketWebsite", "s3:getbucketwebsite", true},
		"a trailing wildcard matches a prefix":  {"ec2:Describe*", "ec2:DescribeVpcs", true},
		"a wildcard does not cross the service": {"ec2:*", "ecs:CreateService", false},
		"a question mark matches one character": {"kms:?ncrypt", "kms:Encrypt", true},
		"a different action does not match":     {"ec2:CreateVpc", "ec2:DeleteVpc", false},
		"a wildcard inside matches a run":       {"ec2:*Vpc*", "ec2:ModifyVpcAttribute", true},
		"a wildcard backtracks":                 {"ec2:*Route", "ec2:ReplaceRouteRoute", true},
		"a longer pattern does not match":       {"ec2:CreateVpcs", "ec2:CreateVpc", false},
		"dots are literal":                      {"s3:REST.PUT.OBJECT", "s3:RESTxPUTxOBJECT", false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := rolesActionMatches(tc.pattern, tc.action); got != tc.want {
				t.Errorf("rolesActionMatches(%q, %q) = %v, want %v", tc.pattern, tc.action, got, tc.want)
			}
		})
	}
}
