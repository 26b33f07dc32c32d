package compiler

import (
	"fmt"
	"strconv"

	"github.com/awslabs/goformation/v7/cloudformation/ec2"
	elb "github.com/awslabs/goformation/v7/cloudformation/elasticloadbalancingv2"
	"github.com/cicdgen/cicdgen/compiler/cfn"
)

// ecsTLSPolicy is the HTTPS listeners' security policy: TLS 1.3 and 1.2 with
// forward-secret ciphers only.
const ecsTLSPolicy = "ELBSecurityPolicy-TLS13-1-2-2021-06"

// ecsListener is one listener of the load balancer.
type ecsListener struct {
	id       string
	port     int
	protocol string // HTTP | HTTPS
}

// listeners returns the load balancer's listeners: the production one (the
// one that serves the application, and that the production listener rule
// hangs on) first, then the HTTP redirect when HTTPS serves, then the test
// listener of blue/green deployments.
//
// The listener rules ECS re-weights hang on listeners whose logical ids never
// change: ProductionListener is HTTP on port 80, or HTTPS on port 443 once a
// certificate is set, and TestListener is HTTP on 8080 or HTTPS on 8443.
// Port, protocol, certificates and default actions of a listener are updated
// in place (only its LoadBalancerArn is create-only), and a listener rule is
// replaced only when its ListenerArn changes, so adding or changing
// service.certificate modifies the two listeners and leaves both rules
// untouched. The redirect of port 80 to HTTPS is a listener of its own,
// created after the production listener has moved to port 443.
func (b *ecsBuilder) listeners() (production ecsListener, others []ecsListener) {
	production = ecsListener{ecsProductionListener, ecsHTTPPort, "HTTP"}
	if b.https {
		production = ecsListener{ecsProductionListener, ecsHTTPSPort, "HTTPS"}
		others = append(others, ecsListener{ecsHTTPRedirectListener, ecsHTTPPort, "HTTP"})
	}
	if b.blueGreen {
		others = append(others, b.testListener())
	}
	return production, others
}

// testListener is the listener ECS routes test traffic to the green
// revision on during a blue/green deployment.
func (b *ecsBuilder) testListener() ecsListener {
	if b.https {
		return ecsListener{ecsTestListener, ecsTestHTTPSPort, "HTTPS"}
	}
	return ecsListener{ecsTestListener, ecsTestHTTPPort, "HTTP"}
}

// ecsSource is one CIDR a listener accepts traffic from.
type ecsSource struct {
	cidr string // a CIDR, or an Fn::Sub that yields one
	who  string // for the rule's description
}

// listenerSources returns where listener l accepts traffic from. The
// production listeners (and the HTTP redirect) are open to anywhere. The
// test listener serves the new revision before it takes production
// traffic: only callers inside the VPC (test tasks, lifecycle hooks, a
// bastion) reach it. The load balancer is internet-facing, so a caller in a
// private subnet reaches it through a NAT gateway, from that gateway's
// Elastic IP; the VPC's CIDR admits callers that reach it by a private
// address. Override the rules to open it wider.
func (b *ecsBuilder) listenerSources(l ecsListener) []ecsSource {
	if l.id != ecsTestListener {
		return []ecsSource{{"0.0.0.0/0", "anywhere"}}
	}
	sources := []ecsSource{{b.net.CIDR, "the VPC"}}
	for j := 1; j <= b.net.NATGateways; j++ {
		eip := fmt.Sprintf("NatEip%d", j)
		sources = append(sources, ecsSource{cfn.Sub("${" + eip + "}/32"), "the VPC through NAT gateway " + strconv.Itoa(j)})
	}
	return sources
}

// addLoadBalancing adds the security groups, the ALB, its target groups,
// listeners and (blue/green) listener rules.
func (b *ecsBuilder) addLoadBalancing() {
	r := b.t.Resources
	env := b.env.Name
	port := b.svc.Port
	production, others := b.listeners()
	all := append([]ecsListener{production}, others...)

	var ingress []ec2.SecurityGroup_Ingress
	for _, l := range all {
		for _, src := range b.listenerSources(l) {
			ingress = append(ingress, ec2.SecurityGroup_Ingress{
				IpProtocol:  "tcp",
				FromPort:    cfn.Int(l.port),
				ToPort:      cfn.Int(l.port),
				CidrIp:      cfn.String(src.cidr),
				Description: cfn.String(fmt.Sprintf("%s listener %d from %s", l.protocol, l.port, src.who)),
			})
		}
	}
	r[ecsLoadBalancerSG] = &ec2.SecurityGroup{
		// GroupDescription cannot change without replacing the group.
		GroupDescription:     "Load balancer " + b.names.LoadBalancer(env) + ": production listeners from anywhere, the test listener from the VPC",
		VpcId:                cfn.RefPtr(ecsVpc),
		SecurityGroupIngress: ingress,
		// Out only to the tasks, on the container port (traffic and health checks).
		SecurityGroupEgress: []ec2.SecurityGroup_Egress{{
			IpProtocol:                 "tcp",
			FromPort:                   cfn.Int(port),
			ToPort:                     cfn.Int(port),
			DestinationSecurityGroupId: cfn.GetAttPtr(ecsServiceSG, "GroupId"),
			Description:                cfn.String("To the tasks of " + b.names.ECSService(env)),
		}},
	}
	// The tasks keep the default egress (anywhere): they pull images, write
	// logs and call whatever the application calls.
	r[ecsServiceSG] = &ec2.SecurityGroup{
		GroupDescription: "Tasks of " + b.names.ECSService(env) + ": the container port from the load balancer only",
		VpcId:            cfn.RefPtr(ecsVpc),
	}
	r[ecsServiceIngress] = &ec2.SecurityGroupIngress{
		GroupId:               cfn.GetAttPtr(ecsServiceSG, "GroupId"),
		IpProtocol:            "tcp",
		FromPort:              cfn.Int(port),
		ToPort:                cfn.Int(port),
		SourceSecurityGroupId: cfn.GetAttPtr(ecsLoadBalancerSG, "GroupId"),
		Description:           cfn.String("Container port from the load balancer"),
	}

	r[ecsLoadBalancer] = &elb.LoadBalancer{
		Name:           cfn.String(b.names.LoadBalancer(env)),
		Type:           cfn.String("application"),
		Scheme:         cfn.String("internet-facing"),
		Subnets:        ecsRefs(b.public),
		SecurityGroups: []string{cfn.GetAtt(ecsLoadBalancerSG, "GroupId")},
		LoadBalancerAttributes: []elb.LoadBalancer_LoadBalancerAttribute{
			{Key: cfn.String("deletion_protection.enabled"), Value: cfn.String(strconv.FormatBool(b.env.Protect))},
			{Key: cfn.String("routing.http.desync_mitigation_mode"), Value: cfn.String("defensive")},
			{Key: cfn.String("routing.http.drop_invalid_header_fields.enabled"), Value: cfn.String("true")},
		},
		AWSCloudFormationDependsOn: []string{ecsGatewayAttachment},
	}

	colors := []string{"blue"}
	if b.blueGreen {
		colors = append(colors, "green")
	}
	for _, color := range colors {
		// Port is create-only: a new service.port replaces the target
		// groups, and their names carry the port so that the new ones do
		// not collide with the old ones (see Names.TargetGroup).
		r["TargetGroup"+ecsTitle(color)] = &elb.TargetGroup{
			Name:                       cfn.String(b.names.TargetGroup(env, color, port)),
			TargetType:                 cfn.String("ip"),
			Protocol:                   cfn.String("HTTP"),
			Port:                       cfn.Int(port),
			VpcId:                      cfn.RefPtr(ecsVpc),
			HealthCheckEnabled:         cfn.Bool(true),
			HealthCheckPath:            cfn.String(b.svc.HealthCheck),
			HealthCheckProtocol:        cfn.String("HTTP"),
			HealthCheckIntervalSeconds: cfn.Int(15),
			HealthCheckTimeoutSeconds:  cfn.Int(5),
			HealthyThresholdCount:      cfn.Int(2),
			UnhealthyThresholdCount:    cfn.Int(3),
			Matcher:                    &elb.TargetGroup_Matcher{HttpCode: cfn.String("200-399")},
			TargetGroupAttributes: []elb.TargetGroup_TargetGroupAttribute{
				{Key: cfn.String("deregistration_delay.timeout_seconds"), Value: cfn.String("30")},
			},
		}
	}

	for _, l := range all {
		listener := &elb.Listener{
			LoadBalancerArn: cfn.Ref(ecsLoadBalancer),
			Port:            cfn.Int(l.port),
			Protocol:        cfn.String(l.protocol),
			DefaultActions:  []elb.Listener_Action{b.defaultAction(l)},
		}
		if l.protocol == "HTTPS" {
			listener.Certificates = []elb.Listener_Certificate{{CertificateArn: cfn.String(b.svc.Certificate)}}
			listener.SslPolicy = cfn.String(ecsTLSPolicy)
		}
		if l.id == ecsHTTPRedirectListener {
			// Adding a certificate moves the production listener from
			// port 80 to 443 first; only then is port 80 free for the
			// redirect.
			listener.AWSCloudFormationDependsOn = []string{ecsProductionListener}
		}
		r[l.id] = listener
	}

	if b.blueGreen {
		r[ecsProductionListenerRule] = b.listenerRule(production.id)
		r[ecsTestListenerRule] = b.listenerRule(ecsTestListener)
	}
}

// defaultAction is what listener l does with a request no rule matches. The
// redirect listener redirects to HTTPS. With rolling deployments the
// production listener forwards to the one target group; with blue/green,
// the listener rules (which match every path) forward and ECS re-weights
// them, so the default answers 404.
func (b *ecsBuilder) defaultAction(l ecsListener) elb.Listener_Action {
	switch {
	case l.id == ecsHTTPRedirectListener:
		return elb.Listener_Action{
			Type: "redirect",
			RedirectConfig: &elb.Listener_RedirectConfig{
				Protocol:   cfn.String("HTTPS"),
				Port:       cfn.String(strconv.Itoa(ecsHTTPSPort)),
				StatusCode: "HTTP_301",
			},
		}
	case !b.blueGreen:
		return elb.Listener_Action{Type: "forward", TargetGroupArn: cfn.RefPtr(ecsTargetGroupBlue)}
	default:
		return elb.Listener_Action{
			Type: "fixed-response",
			FixedResponseConfig: &elb.Listener_FixedResponseConfig{
				StatusCode:  "404",
				ContentType: cfn.String("text/plain"),
				MessageBody: cfn.String("Not Found"),
			},
		}
	}
}

// listenerRule forwards every path of listener to the blue target group,
// with the green one at weight 0: ECS shifts the weights during a
// blue/green deployment.
func (b *ecsBuilder) listenerRule(listener string) *elb.ListenerRule {
	return &elb.ListenerRule{
		ListenerArn: cfn.RefPtr(listener),
		Priority:    1,
		Conditions: []elb.ListenerRule_RuleCondition{{
			Field:             cfn.String("path-pattern"),
			PathPatternConfig: &elb.ListenerRule_PathPatternConfig{Values: []string{"/*"}},
		}},
		Actions: []elb.ListenerRule_Action{{
			Type: "forward",
			ForwardConfig: &elb.ListenerRule_ForwardConfig{
				TargetGroups: []elb.ListenerRule_TargetGroupTuple{
					{TargetGroupArn: cfn.RefPtr(ecsTargetGroupBlue), Weight: cfn.Int(1)},
					{TargetGroupArn: cfn.RefPtr(ecsTargetGroupGreen), Weight: cfn.Int(0)},
				},
			},
		}},
	}
}
