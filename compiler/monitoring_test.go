package compiler

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/cicdgen/cicdgen/compiler/cfn"

	"github.com/cicdgen/cicdgen/schema"
)

// toolingMonitoringTemplate returns the monitoring template of sys. Its
// callers pass no testing.T: a builder error fails the test by panicking.
func toolingMonitoringTemplate(sys *schema.System) *cfn.Template {
	tmpl, _, err := buildMonitoring(sys)
	if err != nil {
		panic(err)
	}
	return tmpl
}

func TestBuildMonitoringRule(t *testing.T) {
	cases := map[string]struct {
		extra      string
		wantStates []string
	}{
		"by default the rule alerts on failed executions": {
			wantStates: []string{"FAILED"},
		},
		"the rule alerts on every alert_on state, sorted and without repeats": {
			extra:      "monitoring:\n  alert_on: [SUPERSEDED, FAILED, SUPERSEDED]\n",
			wantStates: []string{"FAILED", "SUPERSEDED"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			spec := toolingThreeEnvs()
			spec.Extra = tc.extra
			sys := toolingLoad(t, spec)
			tmpl, params, err := buildMonitoring(sys)
			if err != nil {
				t.Fatal(err)
			}
			if len(params) != 0 {
				t.Errorf("parameters = %v, want none", params)
			}
			doc := toolingDoc(t, tmpl)
			rule := toolingProps(t, doc, "FailureRule")
			want := map[string]any{
				"source":      []string{"aws.codepipeline"},
				"detail-type": []string{"CodePipeline Pipeline Execution State Change"},
				"detail":      map[string]any{"pipeline": []string{"shop-pipeline-dev"}, "state": tc.wantStates},
			}
			if !toolingEqual(t, rule["EventPattern"], want) {
				t.Errorf("pattern = %s, want %s", toolingJSON(t, rule["EventPattern"]), toolingJSON(t, want))
			}
			if rule["Name"] != schema.NamesOf(sys).FailureRule() || rule["State"] != "ENABLED" {
				t.Errorf("rule name %v, state %v", rule["Name"], rule["State"])
			}
			target := toolingAt(t, rule, "Targets", 0).(map[string]any)
			wantArn := map[string]any{"Fn::Sub": "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:" + schema.NamesOf(sys).FailuresTopic()}
			if !toolingEqual(t, target["Arn"], wantArn) {
				t.Errorf("target = %s, want the failures topic's ARN in this account and region", toolingJSON(t, target["Arn"]))
			}
			tr := target["InputTransformer"].(map[string]any)
			tpl := tr["InputTemplate"].(string)
			var msg string
			if err := json.Unmarshal([]byte(tpl), &msg); err != nil {
				t.Fatalf("the input template is not a JSON string: %v", err)
			}
			paths := tr["InputPathsMap"].(map[string]any)
			for _, v := range []string{"pipeline", "state", "execution"} {
				if !strings.Contains(msg, "<"+v+">") || paths[v] == nil {
					t.Errorf("the message does not carry <%s>: %s", v, msg)
				}
			}
		})
	}
}

func TestBuildMonitoringDashboard(t *testing.T) {
	cases := map[string]struct {
		test, dashboard bool
		noAlerts        bool
		wantResources   []string
		wantProjects    []string
	}{
		"the dashboard shows both projects when there is a test stage": {
			test: true, dashboard: true,
			wantResources: []string{"Dashboard", "FailureRule"},
			wantProjects:  []string{"shop-build-dev", "shop-build-image-dev", "shop-test-dev", "shop-update-pipeline-dev"},
		},
		"the dashboard shows the build project alone without a test stage": {
			dashboard:     true,
			wantResources: []string{"Dashboard", "FailureRule"},
			wantProjects:  []string{"shop-build-dev", "shop-build-image-dev", "shop-update-pipeline-dev"},
		},
		"no dashboard is made when monitoring.dashboard is false": {
			wantResources: []string{"FailureRule"},
		},
		"a stand-in resource keeps the template valid when there is nothing to monitor": {
			noAlerts:      true,
			wantResources: []string{"NoMonitoring"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			spec := toolingThreeEnvs()
			spec.Test = tc.test
			sys := toolingLoad(t, spec)
			sys.Monitoring.Dashboard = tc.dashboard
			if tc.noAlerts {
				sys.Monitoring.AlertOn = nil
			}
			doc := toolingDoc(t, toolingMonitoringTemplate(sys))
			var got []string
			for id := range doc["Resources"].(map[string]any) {
				got = append(got, id)
			}
			got = toolingSortedUnique(got)
			if !toolingEqual(t, got, tc.wantResources) {
				t.Fatalf("resources = %v, want %v", got, tc.wantResources)
			}
			if !tc.dashboard {
				return
			}
			dash := toolingProps(t, doc, "Dashboard")
			if dash["DashboardName"] != schema.NamesOf(sys).Dashboard() {
				t.Errorf("dashboard name = %v", dash["DashboardName"])
			}
			body := dash["DashboardBody"].(string)
			var parsed struct {
				Widgets []struct {
					Type       string `json:"type"`
					Properties struct {
						Metrics [][]any `json:"metrics"`
					} `json:"properties"`
				} `json:"widgets"`
			}
			if err := json.Unmarshal([]byte(body), &parsed); err != nil {
				t.Fatalf("the dashboard body is not JSON: %v", err)
			}
			projects := map[string]bool{}
			namespaces := map[string]bool{}
			for _, w := range parsed.Widgets {
				for _, m := range w.Properties.Metrics {
					namespaces[m[0].(string)] = true
					if m[0] == "AWS/CodeBuild" {
						projects[m[3].(string)] = true
					}
				}
			}
			var gotProjects []string
			for p := range projects {
				gotProjects = append(gotProjects, p)
			}
			if gotProjects = toolingSortedUnique(gotProjects); !toolingEqual(t, gotProjects, tc.wantProjects) {
				t.Errorf("projects on the dashboard = %v, want %v", gotProjects, tc.wantProjects)
			}
			for _, ns := range []string{"AWS/CodeBuild", "AWS/CodePipeline", "AWS/Events", "AWS/SNS"} {
				if !namespaces[ns] {
					t.Errorf("no %s metrics on the dashboard", ns)
				}
			}
			if again := toolingProps(t, toolingDoc(t, toolingMonitoringTemplate(sys)), "Dashboard")["DashboardBody"]; again != body {
				t.Error("the dashboard body differs between two builds")
			}
		})
	}
}
