package schema

import (
	"reflect"
	"testing"
)

func TestManagedSecrets(t *testing.T) {
	sys := mustLoad(t, withBase(""))
	names := NamesOf(sys)
	cases := map[string]struct {
		secrets   map[string]string
		wantKeys  []string
		wantNames []string
	}{
		"no secret: no secrets stack": {},
		"only existing secrets: no secrets stack": {
			secrets: map[string]string{"DB": "arn:aws:secretsmanager:us-east-1:111111111111:secret:db"},
		},
		"managed secrets are named <name>/<env>/<suffix>/<KEY>, sorted": {
			secrets:   map[string]string{"TOKEN": SecretManaged, "API_KEY": SecretManaged, "DB": "arn:aws:ssm:us-east-1:111111111111:parameter/db"},
			wantKeys:  []string{"API_KEY", "TOKEN"},
			wantNames: []string{sys.Name + "/dev/" + sys.Suffix + "/API_KEY", sys.Name + "/dev/" + sys.Suffix + "/TOKEN"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			env := Environment{Name: "dev", Service: Service{Secrets: tc.secrets}}
			if got := env.Service.ManagedSecrets(); !reflect.DeepEqual(got, tc.wantKeys) {
				t.Errorf("ManagedSecrets() = %v, want %v", got, tc.wantKeys)
			}
			if got, want := env.HasManagedSecrets(), len(tc.wantKeys) > 0; got != want {
				t.Errorf("HasManagedSecrets() = %v, want %v", got, want)
			}
			got := names.ManagedSecrets(&env)
			if len(got) != len(tc.wantNames) || len(got) > 0 && !reflect.DeepEqual(got, tc.wantNames) {
				t.Errorf("Names.ManagedSecrets() = %v, want %v", got, tc.wantNames)
			}
		})
	}
}

func TestSecretID(t *testing.T) {
	for key, want := range map[string]string{
		"DB_PASSWORD": "DBPASSWORD",
		"api_key":     "ApiKey",
		"_private":    "Private",
		"TOKEN":       "TOKEN",
		"a__b_":       "AB",
		"x1_2y":       "X12y",
	} {
		if got := SecretID(key); got != want {
			t.Errorf("SecretID(%q) = %q, want %q", key, got, want)
		}
	}
}
