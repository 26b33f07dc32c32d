package deploy

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/cicdgen/cicdgen/manifest"
)

// Blue/green stays safe: ECS moves the production and test listener rules'
// weights at every deployment, so a CloudFormation update of a listener
// rule, a forwarding listener or a target group of a deployed blue/green
// service resets production traffic to what the template says. diff
// reports such changes; apply refuses them, before anything executes,
// unless --allow-traffic-reset.

// TrafficChange is a change that would modify, replace or remove a
// listener rule, a forwarding listener or a target group of a deployed
// blue/green service.
type TrafficChange struct {
	Stack       string `json:"stack"`
	LogicalID   string `json:"logicalId"`
	Type        string `json:"type"`
	Action      string `json:"action"`                // Modify or Remove
	Replacement string `json:"replacement,omitempty"` // True, Conditional, False
}

// TrafficAdvice says what to do instead of resetting a blue/green
// service's traffic.
const TrafficAdvice = "ECS moves these rules' weights at every deployment, and a CloudFormation update of them resets production traffic " +
	"to the template's weights (possibly onto the idle target group). Instead: undo the change; or make it in a window when the " +
	"service may be interrupted, after a deployment that ended on the blue target group, with --allow-traffic-reset; " +
	"or change what you need without touching the listeners and target groups (a new certificate adds a listener, it does not change the rules)"

func (c TrafficChange) String() string {
	what := strings.ToLower(c.Action)
	if c.Replacement == "True" {
		what = "replace"
	} else if c.Replacement == "Conditional" {
		what = "modify (may replace)"
	}
	return fmt.Sprintf("%s: %s %s (%s)", c.Stack, what, c.LogicalID, c.Type)
}

// Resource types that carry a blue/green service's traffic.
const (
	typeListenerRule = "AWS::ElasticLoadBalancingV2::ListenerRule"
	typeListener     = "AWS::ElasticLoadBalancingV2::Listener"
	typeTargetGroup  = "AWS::ElasticLoadBalancingV2::TargetGroup"
	typeECSService   = "AWS::ECS::Service"
)

// blueGreen reports whether a decoded template has an ECS service deployed
// blue/green (ECS-native BLUE_GREEN, or the CODE_DEPLOY controller).
func blueGreen(tmpl any) bool {
	for _, r := range templateResourceMap(tmpl) {
		if r.typ != typeECSService {
			continue
		}
		strategy, _ := dig(r.props, "DeploymentConfiguration", "Strategy").(string)
		controller, _ := dig(r.props, "DeploymentController", "Type").(string)
		if strategy == "BLUE_GREEN" || controller == "CODE_DEPLOY" {
			return true
		}
	}
	return false
}

// trafficResources returns the logical ids of the resources of a decoded
// template that carry traffic: listener rules, target groups and
// listeners whose default action forwards. The manifest may name more
// (manifest.Stack.TrafficResources).
func trafficResources(tmpl any) map[string]string {
	out := map[string]string{}
	for id, r := range templateResourceMap(tmpl) {
		switch r.typ {
		case typeListenerRule, typeTargetGroup:
			out[id] = r.typ
		case typeListener:
			actions, _ := r.props["DefaultActions"].([]any)
			for _, a := range actions {
				if t, _ := dig(a, "Type").(string); t == "forward" {
					out[id] = r.typ
				}
			}
		}
	}
	return out
}

type templateResource struct {
	typ   string
	props map[string]any
}

// templateResourceMap returns the resources of a decoded template.
func templateResourceMap(tmpl any) map[string]templateResource {
	out := map[string]templateResource{}
	t, _ := tmpl.(map[string]any)
	resources, _ := t["Resources"].(map[string]any)
	for id, r := range resources {
		rm, _ := r.(map[string]any)
		typ, _ := rm["Type"].(string)
		props, _ := rm["Properties"].(map[string]any)
		out[id] = templateResource{typ: typ, props: props}
	}
	return out
}

// dig returns the value at path in nested maps, or nil.
func dig(v any, path ...string) any {
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// Review is what a change would do beyond its resources: IAM and resource
// policies that widen, stacks of protected environments that change, and
// blue/green traffic resets. Apply's confirmation and diff's security
// section read it.
type Review struct {
	// Security lists the policy changes, widening or not.
	Security []SecurityChange `json:"security"`
	// Protected names the stacks of protected environments that change
	// (or are created).
	Protected []string `json:"protected"`
	// Traffic lists the blue/green traffic resets (TrafficFrom fills it).
	Traffic []TrafficChange `json:"traffic"`

	// deployed is each selected stack's deployed template, decoded (nil:
	// not deployed); built the built one.
	deployed, built map[string]any
	// settingsChanged marks the stacks whose tags or parameters change.
	settingsChanged map[string]bool
	// declared are the traffic resources the manifest names per stack
	// (manifest.Stack.TrafficResources), beside those found by type.
	declared map[string][]string
	names    []string
}

// settingsChanged reports whether the stack's tags or literal parameters
// differ from the manifest's (a stack that does not exist differs).
func settingsChanged(ctx context.Context, cfn CloudFormationAPI, s *manifest.Stack) (bool, error) {
	st, err := describeStack(ctx, cfn, s.Name)
	if err != nil || st == nil {
		return st == nil, err
	}
	tags := map[string]string{}
	for _, t := range st.Tags {
		tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	if !maps.Equal(tags, s.Tags) && (len(tags) > 0 || len(s.Tags) > 0) {
		return true, nil
	}
	params := map[string]string{}
	for _, p := range st.Parameters {
		params[aws.ToString(p.ParameterKey)] = aws.ToString(p.ParameterValue)
	}
	for k, p := range s.Parameters {
		if p.FromOutput == nil && params[k] != p.Value {
			return true, nil
		}
	}
	return false, nil
}

// ReadReview reads the deployed template of each selected stack and
// compares it with the build: policies, protected environments.
func ReadReview(ctx context.Context, b *Bundle, f ClientFactory, sel Selection, concurrency int) (*Review, error) {
	names, err := b.Select(sel)
	if err != nil {
		return nil, err
	}
	if concurrency <= 0 {
		concurrency = 8
	}
	rv := &Review{Security: []SecurityChange{}, Protected: []string{}, Traffic: []TrafficChange{},
		deployed: map[string]any{}, built: map[string]any{}, settingsChanged: map[string]bool{}, declared: map[string][]string{}, names: names}
	for _, n := range names {
		rv.declared[n] = b.Stack(n).TrafficResources
	}
	var mu sync.Mutex
	var errs []error
	sem := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	for _, n := range names {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			s := b.Stack(n)
			built, err := decodeTemplate(b.Templates[n])
			if err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("stack %s: %w", n, err))
				mu.Unlock()
				return
			}
			var deployed any
			cl, err := f.Clients(ctx, s.Account, s.Region)
			if err == nil {
				deployed, err = deployedTemplate(ctx, cl.CloudFormation, n, false)
				if err != nil && ctx.Err() == nil {
					// Not deployed, or a template that cannot be read (a
					// stack that never completed, an endpoint without
					// GetTemplate): compared with nothing, every policy
					// counts as new (asked about, never waved through).
					deployed, err = nil, nil
				}
			}
			changedOutside := false
			if err == nil && s.TerminationProtection {
				changedOutside, err = settingsChanged(ctx, cl.CloudFormation, s)
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			rv.deployed[n], rv.built[n] = deployed, built
			if changedOutside {
				rv.settingsChanged[n] = true
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		return nil, errs[0]
	}
	for _, n := range names {
		rv.Security = append(rv.Security, SecurityChanges(n, rv.deployed[n], rv.built[n])...)
		if b.Stack(n).TerminationProtection && (rv.settingsChanged[n] || !reflect.DeepEqual(rv.deployed[n], rv.built[n])) {
			rv.Protected = append(rv.Protected, n)
		}
	}
	return rv, nil
}

// StaleBlueGreen returns the selected stacks whose deployed template runs a
// blue/green service and differs from the build: the stacks whose change
// sets the traffic guard must read.
func (rv *Review) StaleBlueGreen() []string {
	var out []string
	for _, n := range rv.names {
		if d := rv.deployed[n]; d != nil && blueGreen(d) && !reflect.DeepEqual(d, rv.built[n]) {
			out = append(out, n)
		}
	}
	return out
}

// TrafficFrom records the traffic resets among the changes of res (a dry
// run): a Modify or Remove of a traffic resource of a stack whose deployed
// template runs a blue/green service.
func (rv *Review) TrafficFrom(res *Result) {
	for _, s := range res.Stacks {
		d := rv.deployed[s.Stack]
		if d == nil || !blueGreen(d) {
			continue
		}
		traffic := trafficResources(d)
		maps.Copy(traffic, trafficResources(rv.built[s.Stack]))
		for _, id := range rv.declared[s.Stack] {
			if _, ok := traffic[id]; !ok {
				traffic[id] = "" // the change's type
			}
		}
		for _, c := range s.Changes {
			typ, ok := traffic[c.LogicalID]
			if !ok && c.Type != typeListenerRule && c.Type != typeTargetGroup {
				continue
			}
			if typ == "" {
				typ = c.Type
			}
			if c.Action != "Modify" && c.Action != "Remove" {
				continue
			}
			rv.Traffic = append(rv.Traffic, TrafficChange{Stack: s.Stack, LogicalID: c.LogicalID, Type: typ, Action: c.Action, Replacement: c.Replacement})
		}
	}
	slices.SortStableFunc(rv.Traffic, func(a, b TrafficChange) int {
		return strings.Compare(a.Stack+"/"+a.LogicalID, b.Stack+"/"+b.LogicalID)
	})
}

// TrafficResetError is apply's refusal of blue/green traffic resets.
type TrafficResetError struct{ Changes []TrafficChange }

func (e *TrafficResetError) Error() string {
	var lines []string
	for _, c := range e.Changes {
		lines = append(lines, "  "+c.String())
	}
	return fmt.Sprintf("refusing to change the traffic of a deployed blue/green service (nothing was executed):\n%s\n%s",
		strings.Join(lines, "\n"), TrafficAdvice)
}

// GuardTraffic is apply's traffic guard: for the stale blue/green stacks
// of rv it creates change sets (deleted again, nothing executes) and
// returns a TrafficResetError when one would modify, replace or remove a
// traffic resource. opts are the dry run's options (polling, reporter).
func GuardTraffic(ctx context.Context, b *Bundle, f ClientFactory, rv *Review, opts Options) error {
	stale := rv.StaleBlueGreen()
	if len(stale) == 0 {
		return nil
	}
	opts.Selection = Selection{Stacks: stale, NoDeps: true}
	opts.DryRun = true
	res, err := Apply(ctx, b, f, opts)
	if err != nil {
		return err
	}
	for _, s := range res.Stacks {
		if s.Outcome == Failed {
			return fmt.Errorf("check the change set of %s for blue/green traffic changes: %s", s.Stack, s.Error)
		}
	}
	rv.TrafficFrom(res)
	if len(rv.Traffic) > 0 {
		return &TrafficResetError{Changes: rv.Traffic}
	}
	return nil
}
