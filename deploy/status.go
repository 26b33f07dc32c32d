package deploy

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/codepipeline"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/goccy/go-yaml"

	"github.com/cicdgen/cicdgen/diag"
	"github.com/cicdgen/cicdgen/manifest"
	"github.com/cicdgen/cicdgen/schema"
)

// CodePipelineAPI reads the state of a pipeline.
type CodePipelineAPI interface {
	GetPipelineState(context.Context, *codepipeline.GetPipelineStateInput, ...func(*codepipeline.Options)) (*codepipeline.GetPipelineStateOutput, error)
}

// StatusVersion is the version of the JSON document of Status.
const StatusVersion = 1

// States of a stack's template, compared with the build.
const (
	TemplateCurrent = "current" // the deployed template is the built one
	TemplateStale   = "stale"   // it differs: apply would change the stack
	TemplateMissing = "missing" // the stack is not deployed
	TemplateUnknown = "unknown" // the deployed template could not be read
)

// What status reads only for show (templates, the pipeline's state) is
// bounded by statusReadTimeout, within which the pacing retries
// throttling; statusReadAttempts caps the SDK's quick attempts (the
// client's default, 3, unless AWS_MAX_ATTEMPTS or AWSOptions.MaxAttempts
// asks for more).
const (
	statusReadAttempts = 3
	statusReadTimeout  = 20 * time.Second
)

// NotDeployed is the state of a stack that does not exist in AWS.
const NotDeployed = "NOT_DEPLOYED"

// Status is the state of a deployed system: every stack in its account and
// region, the service URL of each environment and the pipeline's last
// execution.
type Status struct {
	Version      int                 `json:"version"`
	System       string              `json:"system"`
	Stacks       []StackStatus       `json:"stacks"` // in dependency order
	Environments []EnvironmentStatus `json:"environments"`
	Pipeline     *PipelineStatus     `json:"pipeline"` // nil when the selection has no pipeline stack
}

// StackStatus is the state of one stack.
type StackStatus struct {
	Stack       string     `json:"stack"`
	Kind        string     `json:"kind"`
	Environment string     `json:"environment,omitempty"`
	Account     string     `json:"account"`
	AccountID   string     `json:"accountId"`
	Region      string     `json:"region"`
	State       string     `json:"state"` // CloudFormation's status, or NOT_DEPLOYED
	Reason      string     `json:"reason,omitempty"`
	LastUpdated *time.Time `json:"lastUpdated,omitempty"` // last update, else creation
	// Template compares the deployed template with the build: current,
	// stale, missing or unknown.
	Template string `json:"template"`
	// TerminationProtection is the deployed stack's.
	TerminationProtection bool   `json:"terminationProtection"`
	Error                 string `json:"error,omitempty"` // why the stack could not be read
}

// EnvironmentStatus is where an environment's service answers.
type EnvironmentStatus struct {
	Name       string `json:"name"`
	Account    string `json:"account"`
	AccountID  string `json:"accountId"`
	Region     string `json:"region"`
	Stack      string `json:"stack"`      // its ecs stack
	ServiceURL string `json:"serviceUrl"` // "" until the ecs stack is deployed
}

// PipelineStatus is the pipeline and its last execution per stage.
type PipelineStatus struct {
	Name       string        `json:"name"`
	ConsoleURL string        `json:"consoleUrl"`
	Stages     []StageStatus `json:"stages"`
	Error      string        `json:"error,omitempty"` // why the state could not be read
}

// StageStatus is the last execution of one stage.
type StageStatus struct {
	Name        string     `json:"name"`
	Status      string     `json:"status"` // InProgress, Succeeded, Failed …; "" never ran
	ExecutionID string     `json:"executionId,omitempty"`
	LastChange  *time.Time `json:"lastChange,omitempty"`
}

// StatusOptions configures ReadStatus.
type StatusOptions struct {
	// Selection limits the stacks read (apply --env shows its own).
	Selection
	// Concurrency is how many stacks are read at once; 0 means 8.
	Concurrency int
	// SkipTemplates leaves the templates unread (Template is "unknown"
	// for deployed stacks): the brief status at the end of apply.
	SkipTemplates bool
	// SkipPipeline leaves the pipeline's executions unread.
	SkipPipeline bool
}

// ReadStatus reads the state of the selected stacks of b. What cannot be
// read is reported in the stack's Error (or the pipeline's), not as an
// error: the error is for a selection that names nothing.
//
// apply calls it when it is done (SkipTemplates) and prints the service
// URLs and the pipeline's console URL with WriteStatusBrief.
func ReadStatus(ctx context.Context, b *Bundle, f ClientFactory, opts StatusOptions) (*Status, error) {
	names, err := b.Select(opts.Selection)
	if err != nil {
		return nil, err
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 8
	}
	if len(names) > 0 {
		// An endpoint that cannot be reached is one error, not one per stack.
		if err := probe(ctx, f, b.Stack(names[0]).Region); err != nil {
			return nil, err
		}
	}
	st := &Status{Version: StatusVersion, System: b.Manifest.System, Stacks: make([]StackStatus, len(names)), Environments: []EnvironmentStatus{}}
	outputs := make([]map[string]string, len(names))
	sem := make(chan struct{}, opts.Concurrency)
	var wg sync.WaitGroup
	for i, n := range names {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			st.Stacks[i], outputs[i] = readStackStatus(ctx, b, f, b.Stack(n), opts.SkipTemplates)
		})
	}
	wg.Wait()
	for i, n := range names {
		s := b.Stack(n)
		switch {
		case isKind(s, "ecs-"):
			e := EnvironmentStatus{Name: s.Environment, Account: s.Account.Key, AccountID: s.Account.ID, Region: s.Region, Stack: s.Name}
			e.ServiceURL = serviceURL(outputs[i])
			st.Environments = append(st.Environments, e)
		case s.Kind == schema.KindPipeline:
			p := &PipelineStatus{Name: pipelineName(b, s, outputs[i]), Stages: []StageStatus{}}
			p.ConsoleURL = fmt.Sprintf("https://%s.console.aws.amazon.com/codesuite/codepipeline/pipelines/%s/view?region=%s", s.Region, url.PathEscape(p.Name), s.Region)
			if !opts.SkipPipeline && st.Stacks[i].State != NotDeployed && st.Stacks[i].Error == "" {
				readPipeline(ctx, f, s, p)
			}
			st.Pipeline = p
		}
	}
	return st, nil
}

func isKind(s *manifest.Stack, prefix string) bool { return strings.HasPrefix(s.Kind, prefix) }

// serviceURL is the ecs stack's ServiceUrl output, else the URL of its load
// balancer's DNS name.
func serviceURL(outputs map[string]string) string {
	if u := outputs["ServiceUrl"]; u != "" {
		return u
	}
	if dns := outputs["LoadBalancerDNSName"]; dns != "" {
		return "http://" + dns
	}
	return ""
}

// pipelineName is the Name its template gives the pipeline when it is a
// literal, else the pipeline stack's PipelineName output, else the stack's
// name.
func pipelineName(b *Bundle, s *manifest.Stack, outputs map[string]string) string {
	var t struct {
		Resources map[string]struct {
			Type       string
			Properties struct{ Name any }
		}
	}
	if json.Unmarshal(b.Templates[s.Name], &t) == nil {
		if n, ok := t.Resources["Pipeline"].Properties.Name.(string); ok && n != "" {
			return n
		}
	}
	if n := outputs["PipelineName"]; n != "" {
		return n
	}
	return s.Name
}

// readStackStatus reads one stack: its state, outputs and template.
func readStackStatus(ctx context.Context, b *Bundle, f ClientFactory, s *manifest.Stack, skipTemplate bool) (StackStatus, map[string]string) {
	out := StackStatus{Stack: s.Name, Kind: s.Kind, Environment: s.Environment, Account: s.Account.Key, AccountID: s.Account.ID,
		Region: s.Region, Template: TemplateUnknown}
	cl, err := f.Clients(ctx, s.Account, s.Region)
	if err != nil {
		out.State, out.Error = "UNKNOWN", err.Error()
		return out, nil
	}
	st, err := describeStack(ctx, cl.CloudFormation, s.Name)
	if err != nil {
		out.State, out.Error = "UNKNOWN", err.Error()
		return out, nil
	}
	if st == nil || st.StackStatus == cfntypes.StackStatusReviewInProgress {
		out.State, out.Template = NotDeployed, TemplateMissing
		return out, nil
	}
	out.State = string(st.StackStatus)
	out.Reason = aws.ToString(st.StackStatusReason)
	out.TerminationProtection = aws.ToBool(st.EnableTerminationProtection)
	last := aws.ToTime(st.CreationTime)
	if t := aws.ToTime(st.LastUpdatedTime); t.After(last) {
		last = t
	}
	if !last.IsZero() {
		last = last.UTC()
		out.LastUpdated = &last
	}
	if !skipTemplate {
		out.Template = compareTemplate(ctx, cl.CloudFormation, s.Name, b.Templates[s.Name])
	}
	outputs := stackOutputs(st)
	if isKind(s, "ecs-") && serviceURL(outputs) == "" && cl.LoadBalancers != nil {
		if u := loadBalancerURL(ctx, cl.CloudFormation, cl.LoadBalancers, s.Name, b.Templates[s.Name]); u != "" {
			if outputs == nil {
				outputs = map[string]string{}
			}
			outputs["ServiceUrl"] = u
		}
	}
	return out, outputs
}

// ecsLoadBalancerID is the logical id of an ecs stack's load balancer.
const ecsLoadBalancerID = "LoadBalancer"

// stackResourcesAPI reads a stack's resources.
type stackResourcesAPI interface {
	DescribeStackResources(context.Context, *cloudformation.DescribeStackResourcesInput, ...func(*cloudformation.Options)) (*cloudformation.DescribeStackResourcesOutput, error)
}

// loadBalancerURL is the service URL of an ecs stack whose outputs lack it
// (a stack whose outputs are not recorded yet, or an emulator that records
// none): its LoadBalancer resource's DNS name, read from Elastic Load
// Balancing, with https when the built template serves HTTPS. It is "" when
// either read fails: the URL is for show.
func loadBalancerURL(ctx context.Context, cfn stackResourcesAPI, elb LoadBalancersAPI, stack string, template []byte) string {
	res, err := cfn.DescribeStackResources(ctx, &cloudformation.DescribeStackResourcesInput{
		StackName: aws.String(stack), LogicalResourceId: aws.String(ecsLoadBalancerID)})
	if err != nil || len(res.StackResources) == 0 || aws.ToString(res.StackResources[0].PhysicalResourceId) == "" {
		return ""
	}
	lbs, err := elb.DescribeLoadBalancers(ctx, &elasticloadbalancingv2.DescribeLoadBalancersInput{
		LoadBalancerArns: []string{aws.ToString(res.StackResources[0].PhysicalResourceId)}})
	if err != nil || len(lbs.LoadBalancers) == 0 || aws.ToString(lbs.LoadBalancers[0].DNSName) == "" {
		return ""
	}
	scheme := "http"
	if strings.Contains(string(template), "https://${"+ecsLoadBalancerID+".DNSName}") {
		scheme = "https"
	}
	return scheme + "://" + aws.ToString(lbs.LoadBalancers[0].DNSName)
}

// compareTemplate compares the deployed template of stack with the built
// one, both decoded (JSON or YAML), so that formatting does not count.
func compareTemplate(ctx context.Context, cfn CloudFormationAPI, stack string, built []byte) string {
	deployed, err := deployedTemplate(ctx, cfn, stack, true)
	if err != nil || deployed == nil {
		return TemplateUnknown
	}
	want, err := decodeTemplate(built)
	if err != nil {
		return TemplateUnknown
	}
	if reflect.DeepEqual(deployed, want) {
		return TemplateCurrent
	}
	return TemplateStale
}

// deployedTemplate returns the decoded template of a deployed stack as it
// was submitted, or nil when it has none. forShow (status) bounds the read
// by statusReadTimeout and caps the SDK's quick attempts at
// statusReadAttempts; otherwise (apply's review, which decides) the
// client's own settings apply. Either way a throttled call is retried by
// the pacing (pace.go), within ctx.
func deployedTemplate(ctx context.Context, cfn CloudFormationAPI, stack string, forShow bool) (any, error) {
	var optFns []func(*cloudformation.Options)
	if forShow {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, statusReadTimeout)
		defer cancel()
		optFns = append(optFns, func(o *cloudformation.Options) { o.RetryMaxAttempts = statusReadAttempts })
	}
	out, err := cfn.GetTemplate(ctx, &cloudformation.GetTemplateInput{StackName: aws.String(stack), TemplateStage: cfntypes.TemplateStageOriginal}, optFns...)
	if err != nil {
		return nil, fmt.Errorf("get the template of %s: %w", stack, err)
	}
	if aws.ToString(out.TemplateBody) == "" {
		return nil, nil
	}
	return decodeTemplate([]byte(aws.ToString(out.TemplateBody)))
}

// decodeTemplate decodes a JSON or YAML template into plain values (maps,
// slices, strings, float64 numbers, bools), the same for both forms.
func decodeTemplate(body []byte) (any, error) {
	var v any
	if t := strings.TrimSpace(string(body)); strings.HasPrefix(t, "{") {
		if err := json.Unmarshal(body, &v); err != nil {
			return nil, fmt.Errorf("decode template: %w", err)
		}
		return v, nil
	}
	if err := yaml.Unmarshal(body, &v); err != nil {
		return nil, fmt.Errorf("decode template: %w", err)
	}
	// Through JSON, so that YAML's integers compare equal to JSON's numbers.
	data, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("decode template: %w", err)
	}
	var out any
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("decode template: %w", err)
	}
	return out, nil
}

// readPipeline reads the pipeline's last execution per stage into p.
func readPipeline(ctx context.Context, f ClientFactory, s *manifest.Stack, p *PipelineStatus) {
	cl, err := f.Clients(ctx, s.Account, s.Region)
	if err != nil {
		p.Error = err.Error()
		return
	}
	if cl.CodePipeline == nil {
		p.Error = "no CodePipeline client"
		return
	}
	// The state is for show: a few quick attempts, not the patient retries
	// of a deployment.
	ctx, cancel := context.WithTimeout(ctx, statusReadTimeout)
	defer cancel()
	out, err := cl.CodePipeline.GetPipelineState(ctx, &codepipeline.GetPipelineStateInput{Name: aws.String(p.Name)},
		func(o *codepipeline.Options) { o.RetryMaxAttempts = statusReadAttempts })
	if err != nil {
		p.Error = fmt.Sprintf("read the state of pipeline %s: %v", p.Name, err)
		return
	}
	for _, stage := range out.StageStates {
		ss := StageStatus{Name: aws.ToString(stage.StageName)}
		if e := stage.LatestExecution; e != nil {
			ss.Status, ss.ExecutionID = string(e.Status), aws.ToString(e.PipelineExecutionId)
		}
		for _, a := range stage.ActionStates {
			if a.LatestExecution == nil || a.LatestExecution.LastStatusChange == nil {
				continue
			}
			if t := a.LatestExecution.LastStatusChange.UTC(); ss.LastChange == nil || t.After(*ss.LastChange) {
				ss.LastChange = &t
			}
		}
		p.Stages = append(p.Stages, ss)
	}
}

// WriteStatus writes the status as tables: stacks, environments, pipeline.
// It returns the first error writing to w.
func WriteStatus(w io.Writer, st *Status) error {
	bw := bufio.NewWriter(w) // keeps the first write error
	tw := tabwriter.NewWriter(bw, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STACK\tACCOUNT/REGION\tSTATE\tLAST UPDATE\tTEMPLATE")
	stale, missing := 0, 0
	for _, s := range st.Stacks {
		when := "-"
		if s.LastUpdated != nil {
			when = s.LastUpdated.Format(time.RFC3339)
		}
		state := s.State
		if s.Error != "" {
			state += " (" + s.Error + ")"
		}
		fmt.Fprintf(tw, "%s\t%s/%s\t%s\t%s\t%s\n", s.Stack, s.Account, s.Region, state, when, s.Template)
		switch s.Template {
		case TemplateStale:
			stale++
		case TemplateMissing:
			missing++
		}
	}
	tw.Flush()
	fmt.Fprintf(bw, "%s: %d stale, %d not deployed\n", diag.Plural(len(st.Stacks), "stack"), stale, missing)
	if len(st.Environments) > 0 {
		fmt.Fprintln(bw)
		tw = tabwriter.NewWriter(bw, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ENVIRONMENT\tACCOUNT/REGION\tSERVICE URL")
		for _, e := range st.Environments {
			fmt.Fprintf(tw, "%s\t%s/%s\t%s\n", e.Name, e.Account, e.Region, orDash(e.ServiceURL))
		}
		tw.Flush()
	}
	if p := st.Pipeline; p != nil {
		fmt.Fprintf(bw, "\nPipeline %s: %s\n", p.Name, p.ConsoleURL)
		if p.Error != "" {
			fmt.Fprintf(bw, "  %s\n", p.Error)
		}
		tw = tabwriter.NewWriter(bw, 0, 4, 2, ' ', 0)
		for _, s := range p.Stages {
			when := ""
			if s.LastChange != nil {
				when = s.LastChange.Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", s.Name, orDash(s.Status), when)
		}
		tw.Flush()
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write status: %w", err)
	}
	return nil
}

// WriteStatusBrief writes what apply prints when it is done: each
// environment's service URL and the pipeline's console URL.
func WriteStatusBrief(w io.Writer, st *Status) error {
	bw := bufio.NewWriter(w)
	for _, e := range st.Environments {
		fmt.Fprintf(bw, "%s: %s\n", e.Name, orDefault(e.ServiceURL, "not deployed"))
	}
	if p := st.Pipeline; p != nil {
		fmt.Fprintf(bw, "pipeline %s: %s\n", p.Name, p.ConsoleURL)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write status: %w", err)
	}
	return nil
}

func orDash(s string) string { return orDefault(s, "-") }

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// StatusFailed reports whether a stack could not be read or is in a failed
// state.
func StatusFailed(st *Status) bool {
	for _, s := range st.Stacks {
		if s.Error != "" || strings.HasSuffix(s.State, "_FAILED") || s.State == string(cfntypes.StackStatusRollbackComplete) {
			return true
		}
	}
	return false
}
