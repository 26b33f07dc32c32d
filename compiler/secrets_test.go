package compiler

import (
	"testing"
)

func TestBuildSecrets(t *testing.T) {
	tests := map[string]struct {
		service       string
		envs          string
		env           string
		wantSecrets   map[string]string // logical id -> secret name
		wantRetention string            // DeletionPolicy; "" for none (the orchestrator then sets Delete)
		wantReplace   string            // UpdateReplacePolicy
	}{
		"each managed secret of an unprotected environment is deletable; existing secrets are not created": {
			service: "  secrets:\n    DB_PASSWORD: managed\n    api_key: managed\n" +
				"    OTHER: arn:aws:secretsmanager:us-east-1:310987654321:secret:other-AbCdEf\n",
			env:         "dev",
			wantSecrets: map[string]string{"SecretDBPASSWORD": "shop/dev/dev/DB_PASSWORD", "SecretApiKey": "shop/dev/dev/api_key"},
		},
		"a protected environment's secret is retained, except when its first create fails": {
			service:       "  secrets:\n    TOKEN: managed\n",
			envs:          "  - name: prod\n    account: prod\n    protect: true\n",
			env:           "prod",
			wantSecrets:   map[string]string{"SecretTOKEN": "shop/prod/dev/TOKEN"},
			wantRetention: "RetainExceptOnCreate",
			wantReplace:   "Retain",
		},
		"an environment's override adds its own managed secret to the inherited ones": {
			service: "  secrets:\n    TOKEN: managed\n",
			envs: "  - name: dev\n    account: dev\n" +
				"  - name: prod\n    account: prod\n    service:\n      secrets:\n        EXTRA: managed\n        TOKEN: arn:aws:secretsmanager:us-east-1:410987654321:secret:token-AbCdEf\n",
			env:         "prod",
			wantSecrets: map[string]string{"SecretEXTRA": "shop/prod/dev/EXTRA"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			sys := envSystem(t, envCase{service: tc.service, envs: tc.envs})
			doc := envBuild(t, sys, tc.env, buildSecrets)

			if got := envResourceIDs(doc); len(got) != len(tc.wantSecrets) {
				t.Errorf("resources = %v, want %d secrets", got, len(tc.wantSecrets))
			}
			outputs := doc["Outputs"].(map[string]any)
			if len(outputs) != len(tc.wantSecrets) {
				t.Errorf("%d outputs, want one per secret", len(outputs))
			}
			for id, secretName := range tc.wantSecrets {
				secret := envResource(t, doc, id)
				props := secret["Properties"].(map[string]any)
				if props["Name"] != secretName {
					t.Errorf("%s Name = %v, want %s", id, props["Name"], secretName)
				}
				for _, p := range []string{"SecretString", "GenerateSecretString"} {
					if _, ok := props[p]; ok {
						t.Errorf("the template holds a value: %s = %v", p, props[p])
					}
				}
				if d, _ := props["Description"].(string); d == "" {
					t.Errorf("%s has no description telling the user how to set its value", id)
				}
				for attr, want := range map[string]string{"DeletionPolicy": tc.wantRetention, "UpdateReplacePolicy": tc.wantReplace} {
					if got, _ := secret[attr].(string); got != want {
						t.Errorf("%s %s = %q, want %q", id, attr, got, want)
					}
				}
				out, ok := outputs[id+"Arn"].(map[string]any)
				if !ok {
					t.Errorf("no output %sArn", id)
					continue
				}
				if envJSON(out["Value"]) != `{"Ref":"`+id+`"}` {
					t.Errorf("%sArn = %s, want the secret's Ref (its ARN)", id, envJSON(out["Value"]))
				}
				wantExport := "shop-secrets-" + tc.env + "-dev:" + id + "Arn"
				if got := out["Export"].(map[string]any)["Name"]; got != wantExport {
					t.Errorf("export = %v, want %s", got, wantExport)
				}
			}
		})
	}
}
