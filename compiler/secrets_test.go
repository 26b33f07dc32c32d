package compiler

import (
	"testing"
)

func TestBuildSecrets(t *testing.T) {
	tests := map[string]struct {
		envs          string
		env           string
		wantRetention string // "" for none (the orchestrator then sets Delete)
	}{
		"an unprotected environment's secret is deletable": {
			env: "dev",
		},
		"a protected environment's secret is retained on delete and replacement": {
			envs:          "  - name: prod\n    account: prod\n    protect: true\n",
			env:           "prod",
			wantRetention: "Retain",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			sys := envSystem(t, envCase{envs: tc.envs})
			doc := envBuild(t, sys, tc.env, buildSecrets)

			if got := envResourceIDs(doc); envJSON(got) != `["RegistrySecret"]` {
				t.Errorf("resources = %v, want only RegistrySecret", got)
			}
			secret := envResource(t, doc, "RegistrySecret")
			props := secret["Properties"].(map[string]any)
			if want := "shop-docker-credentials-" + tc.env + "-dev"; props["Name"] != want {
				t.Errorf("Name = %v, want %s", props["Name"], want)
			}
			for _, p := range []string{"SecretString", "GenerateSecretString"} {
				if _, ok := props[p]; ok {
					t.Errorf("the template holds a value: %s = %v", p, props[p])
				}
			}
			if d, _ := props["Description"].(string); d == "" {
				t.Error("no description telling the user what to put in the secret")
			}
			for _, attr := range []string{"DeletionPolicy", "UpdateReplacePolicy"} {
				got, _ := secret[attr].(string)
				if got != tc.wantRetention {
					t.Errorf("%s = %q, want %q", attr, got, tc.wantRetention)
				}
			}

			out := doc["Outputs"].(map[string]any)["RegistrySecretArn"].(map[string]any)
			if envJSON(out["Value"]) != `{"Ref":"RegistrySecret"}` {
				t.Errorf("RegistrySecretArn = %s, want the secret's Ref (its ARN)", envJSON(out["Value"]))
			}
			wantExport := "shop-secrets-" + tc.env + "-dev:RegistrySecretArn"
			if got := out["Export"].(map[string]any)["Name"]; got != wantExport {
				t.Errorf("export = %v, want %s", got, wantExport)
			}
		})
	}
}
