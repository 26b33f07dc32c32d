package compiler

import (
	"slices"
	"strings"
	"testing"
)

// rolesStarAllowed lists the only actions a roles-stack Allow may grant on
// Resource "*": those without resource-level permissions.
var rolesStarAllowed = map[string]bool{
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
		"the deploy role manages only this environment's ecs stack": {
			role: "DeployRole", sid: "DeployEcsStack", field: "Resource",
			want: `"arn:aws:cloudformation:eu-west-1:310987654321:stack/shop-ecs-dev-dev/*"`,
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
		"the execution role passes those roles to ECS and flow logs only": {
			role: "ExecutionRole", sid: "PassStackRoles", field: "Condition",
			want: `{"StringEquals":{"iam:PassedToService":["ecs-tasks.amazonaws.com","ecs.amazonaws.com","vpc-flow-logs.amazonaws.com"]}}`,
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
			want: `["arn:aws:elasticloadbalancing:eu-west-1:310987654321:loadbalancer/app/shop-dev-dev/*","arn:aws:elasticloadbalancing:eu-west-1:310987654321:listener/app/shop-dev-dev/*","arn:aws:elasticloadbalancing:eu-west-1:310987654321:listener-rule/app/shop-dev-dev/*","arn:aws:elasticloadbalancing:eu-west-1:310987654321:targetgroup/shop-dev-b-dev/*","arn:aws:elasticloadbalancing:eu-west-1:310987654321:targetgroup/shop-dev-g-dev/*"]`,
		},
		"the execution role manages only this environment's log groups": {
			role: "ExecutionRole", sid: "ManageLogGroups", field: "Resource",
			want: `["arn:aws:logs:eu-west-1:310987654321:log-group:/ecs/shop/dev/dev","arn:aws:logs:eu-west-1:310987654321:log-group:/ecs/shop/dev/dev:*","arn:aws:logs:eu-west-1:310987654321:log-group:/vpc/shop/dev/dev","arn:aws:logs:eu-west-1:310987654321:log-group:/vpc/shop/dev/dev:*"]`,
		},
		"the execution role manages networking in the environment's region only": {
			role: "ExecutionRole", sid: "ManageNetwork", field: "Resource",
			want: `"arn:aws:ec2:eu-west-1:*:*"`,
		},
		"the execution role describes only the registry secret": {
			role: "ExecutionRole", sid: "DescribeRegistrySecret", field: "Resource",
			want: `"arn:aws:secretsmanager:eu-west-1:310987654321:secret:docker-credentials-dev-dev-??????"`,
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
