package compiler

import (
	"encoding/json"
	"fmt"
	"strings"

	cfnstack "github.com/awslabs/goformation/v7/cloudformation/cloudformation"
	"github.com/awslabs/goformation/v7/cloudformation/cloudwatch"
	"github.com/awslabs/goformation/v7/cloudformation/events"
	"github.com/cicdgen/cicdgen/compiler/cfn"

	"github.com/cicdgen/cicdgen/schema"
)

// The monitoring stack (tooling account, home region): alerts on pipeline
// executions and a dashboard of the pipeline's metrics.
//
// Logical ids:
//
//	FailureRule   AWS::Events::Rule        pipeline executions in monitoring.alert_on states → failures topic
//	              (absent when alert_on is empty)
//	Dashboard     AWS::CloudWatch::Dashboard the pipeline's metrics (only with monitoring.dashboard)
//	NoMonitoring  AWS::CloudFormation::WaitConditionHandle a resource-free stand-in, present only when
//	              neither of the above is, because a template needs at least one resource
//
// The rule targets the pipeline stack's failures topic by the ARN its name
// gives in this account and region (no import, so this stack never pins the
// pipeline stack's outputs); the topic's policy, which lets this rule
// publish (and only this rule, by its ARN), lives in the pipeline stack
// beside the topic, which is deployed first.
//
// The stack has no parameters and no outputs.

// Logical ids of the monitoring stack.
const (
	monFailureRuleID  = "FailureRule"
	monDashboardID    = "Dashboard"
	monPlaceholderID  = "NoMonitoring"
	monRuleTargetID   = "FailuresTopic"
	monDetailType     = "CodePipeline Pipeline Execution State Change"
	monDashboardWidth = 24 // CloudWatch dashboards are 24 units wide
)

// buildMonitoring returns the template of the monitoring stack.
func buildMonitoring(sys *schema.System) (*cfn.Template, map[string]Parameter, error) {
	names := schema.NamesOf(sys)
	t := cfn.NewTemplate()
	t.Description = fmt.Sprintf("cicdgen %s: alerts and dashboard of pipeline %s", sys.Name, names.Pipeline())

	states := toolingSortedUnique(append([]string(nil), sys.Monitoring.AlertOn...))
	if len(states) > 0 {
		t.Resources[monFailureRuleID] = &events.Rule{
			Name:        cfn.String(names.FailureRule()),
			Description: cfn.String(fmt.Sprintf("Executions of %s in state %s", names.Pipeline(), strings.Join(states, ", "))),
			State:       cfn.String("ENABLED"),
			EventPattern: map[string]any{
				"source":      []string{"aws.codepipeline"},
				"detail-type": []string{monDetailType},
				"detail": map[string]any{
					"pipeline": []string{names.Pipeline()},
					"state":    states,
				},
			},
			Targets: []events.Rule_Target{{
				Id: monRuleTargetID,
				// The topic's ARN from its name, not an import of the
				// pipeline stack's export: the topic lives in this
				// account and region, and without an import the stack
				// never pins the pipeline stack's output.
				Arn: cfn.Sub("arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:" + names.FailuresTopic()),
				InputTransformer: &events.Rule_InputTransformer{
					InputPathsMap: map[string]string{
						"account":   "$.account",
						"execution": "$.detail.execution-id",
						"pipeline":  "$.detail.pipeline",
						"region":    "$.region",
						"state":     "$.detail.state",
						"time":      "$.time",
					},
					InputTemplate: `"Pipeline <pipeline> execution <execution> is <state> (account <account>, region <region>, at <time>). ` +
						`See https://<region>.console.aws.amazon.com/codesuite/codepipeline/pipelines/<pipeline>/executions/<execution>/timeline?region=<region>"`,
				},
			}},
		}
	}
	if sys.Monitoring.Dashboard {
		body, err := monDashboardBody(sys, len(states) > 0)
		if err != nil {
			return nil, nil, err
		}
		t.Resources[monDashboardID] = &cloudwatch.Dashboard{
			DashboardName: cfn.String(names.Dashboard()),
			DashboardBody: body,
		}
	}
	if len(t.Resources) == 0 {
		t.Resources[monPlaceholderID] = &cfnstack.WaitConditionHandle{}
	}
	return t, map[string]Parameter{}, nil
}

// monWidget is one widget of a CloudWatch dashboard body.
type monWidget struct {
	Type       string          `json:"type"`
	X          int             `json:"x"`
	Y          int             `json:"y"`
	Width      int             `json:"width"`
	Height     int             `json:"height"`
	Properties monWidgetConfig `json:"properties"`
}

// monWidgetConfig is the properties of a text or metric widget.
type monWidgetConfig struct {
	Markdown string  `json:"markdown,omitempty"`
	Title    string  `json:"title,omitempty"`
	Region   string  `json:"region,omitempty"`
	View     string  `json:"view,omitempty"`
	Stacked  *bool   `json:"stacked,omitempty"`
	Stat     string  `json:"stat,omitempty"`
	Period   int     `json:"period,omitempty"`
	Metrics  [][]any `json:"metrics,omitempty"`
}

// monDashboard is a dashboard body.
type monDashboard struct {
	Widgets []monWidget `json:"widgets"`
}

// monMetric returns one metric line: namespace, metric, one dimension, and
// the rendering options (label, stat).
func monMetric(namespace, metric, dimension, value, label, stat string) []any {
	opts := map[string]string{"label": label}
	if stat != "" {
		opts["stat"] = stat
	}
	return []any{namespace, metric, dimension, value, opts}
}

// monDashboardBody returns the dashboard body of sys as JSON: a header, the
// pipeline's failed executions, the builds and their duration per CodeBuild
// project, and, when there is a failure rule, its invocations and the
// failures topic's deliveries. Widgets go two to a row, in that order.
func monDashboardBody(sys *schema.System, withRule bool) (string, error) {
	names := schema.NamesOf(sys)
	region := sys.Region
	pipeline := names.Pipeline()
	metric := func(title, stat string, metrics ...[]any) monWidgetConfig {
		return monWidgetConfig{
			Title:   title,
			Region:  region,
			View:    "timeSeries",
			Stacked: cfn.Bool(false),
			Stat:    stat,
			Period:  300,
			Metrics: metrics,
		}
	}

	var builds, duration [][]any
	for _, project := range pipeProjectNames(sys) {
		builds = append(builds,
			monMetric("AWS/CodeBuild", "Builds", "ProjectName", project, project+" builds", ""),
			monMetric("AWS/CodeBuild", "SucceededBuilds", "ProjectName", project, project+" succeeded", ""),
			monMetric("AWS/CodeBuild", "FailedBuilds", "ProjectName", project, project+" failed", ""),
		)
		duration = append(duration,
			monMetric("AWS/CodeBuild", "Duration", "ProjectName", project, project+" average", "Average"),
			monMetric("AWS/CodeBuild", "Duration", "ProjectName", project, project+" maximum", "Maximum"),
		)
	}
	panels := []monWidgetConfig{
		metric("Failed pipeline executions", "Sum",
			monMetric("AWS/CodePipeline", "FailedPipelineExecutions", "PipelineName", pipeline, "failed executions", "")),
		metric("Builds", "Sum", builds...),
		metric("Build duration (seconds)", "Average", duration...),
	}
	if withRule {
		rule := names.FailureRule()
		topic := names.FailuresTopic()
		panels = append(panels,
			metric("Failure alerts", "Sum",
				monMetric("AWS/Events", "TriggeredRules", "RuleName", rule, "triggered", ""),
				monMetric("AWS/Events", "Invocations", "RuleName", rule, "invocations", ""),
				monMetric("AWS/Events", "FailedInvocations", "RuleName", rule, "failed invocations", "")),
			metric("Failure notifications", "Sum",
				monMetric("AWS/SNS", "NumberOfMessagesPublished", "TopicName", topic, "published", ""),
				monMetric("AWS/SNS", "NumberOfNotificationsDelivered", "TopicName", topic, "delivered", ""),
				monMetric("AWS/SNS", "NumberOfNotificationsFailed", "TopicName", topic, "failed", "")),
		)
	}

	console := fmt.Sprintf("https://%s.console.aws.amazon.com/codesuite/codepipeline/pipelines/%s/view?region=%s", region, pipeline, region)
	d := monDashboard{Widgets: []monWidget{{
		Type: "text", X: 0, Y: 0, Width: monDashboardWidth, Height: 2,
		Properties: monWidgetConfig{Markdown: fmt.Sprintf(
			"# Pipeline %s\n[Open the pipeline](%s) · build logs in `%s`", pipeline, console, names.BuildLogGroup())},
	}}}
	const w, h = monDashboardWidth / 2, 6
	for i, p := range panels {
		d.Widgets = append(d.Widgets, monWidget{
			Type: "metric", X: (i % 2) * w, Y: 2 + (i/2)*h, Width: w, Height: h, Properties: p,
		})
	}
	b, err := json.Marshal(d)
	if err != nil {
		return "", fmt.Errorf("encode the dashboard body: %w", err)
	}
	return string(b), nil
}
