package deploy

import (
	"context"
	"strings"
	"testing"

	"github.com/cicdgen/cicdgen/internal/fakeaws"
	"github.com/cicdgen/cicdgen/manifest"
	"github.com/cicdgen/cicdgen/schema"
)

func TestPreflight(t *testing.T) {
	const conn = "arn:aws:codestar-connections:us-east-1:210987654321:connection/4f7c1d2e-9a8b-4c3d-8e7f-6a5b4c3d2e1f"
	tooling := manifest.Account{Key: "tooling", ID: toolingID}
	dev := manifest.Account{Key: "dev", ID: devID, Role: "arn:aws:iam::310987654321:role/OrganizationAccountAccessRole"}
	const apiKey, dockerCreds, rolesParam = "shop/dev/x/API_KEY", "shop-docker-credentials-x", "/shop/dev/x/roles-version"
	input := func() PreflightInput {
		return PreflightInput{
			Connection: conn, Tooling: tooling, HomeRegion: "us-east-1", BuildImageRepo: "build-image-x",
			Secrets: []SecretRef{
				{Account: tooling, Region: "us-east-1", Name: dockerCreds, Purpose: "the build's Docker Hub login"},
				{Account: dev, Region: "us-east-1", Name: apiKey, Purpose: "the service's API_KEY in dev"},
			},
			Roles:    []RolesRef{{Account: dev, Region: "us-east-1", Stack: "shop-roles-dev-x", Kind: "roles-dev", Parameter: rolesParam, Want: "2"}},
			Accounts: []AccountRef{{Account: tooling, Region: "us-east-1"}, {Account: dev, Region: "us-east-1"}},
		}
	}
	ready := func(f *fakeaws.Server) {
		f.PutConnection(conn, "AVAILABLE")
		f.PutRepository(toolingID, "us-east-1", "build-image-x", "latest")
		f.PutSecret(devID, "us-east-1", apiKey, true)
		f.PutSecret(toolingID, "us-east-1", dockerCreds, true)
		f.PutParameter(devID, "us-east-1", rolesParam, "2")
	}
	cases := map[string]struct {
		setup    func(f *fakeaws.Server, in *PreflightInput)
		deployed bool                   // the roles stack exists
		want     map[string]CheckStatus // check name prefix -> status
		wantFail bool
		wantFix  string
	}{
		"everything in place passes": {
			setup: func(f *fakeaws.Server, in *PreflightInput) { ready(f) },
			want: map[string]CheckStatus{"no placeholder": Pass, "account tooling": Pass, "account dev": Pass, "source connection": Pass, "build image": Pass,
				"secret " + apiKey: Pass, "secret " + dockerCreds: Pass, "roles stack": Pass},
		},
		"a pending connection fails with the handshake to finish": {
			setup: func(f *fakeaws.Server, in *PreflightInput) {
				ready(f)
				f.PutConnection(conn, "PENDING")
			},
			want:     map[string]CheckStatus{"source connection": Fail},
			wantFail: true,
			wantFix:  "Update pending connection",
		},
		"before the first apply missing secrets warn, and the BuildImage stage builds the image": {
			setup: func(f *fakeaws.Server, in *PreflightInput) { f.PutConnection(conn, "AVAILABLE") },
			want:  map[string]CheckStatus{"build image": Pass, "secret " + apiKey: Warn, "secret " + dockerCreds: Warn, "roles stack": Warn},
		},
		"a repository without the image passes: the BuildImage stage builds it": {
			setup: func(f *fakeaws.Server, in *PreflightInput) {
				ready(f)
				f.PutRepository(toolingID, "us-east-1", "build-image-x")
			},
			want: map[string]CheckStatus{"build image": Pass},
		},
		"a managed secret without a value fails with the command that sets it, as the account's role": {
			setup: func(f *fakeaws.Server, in *PreflightInput) {
				ready(f)
				f.PutSecret(devID, "us-east-1", apiKey, false)
			},
			want:     map[string]CheckStatus{"secret " + apiKey: Fail, "secret " + dockerCreds: Pass},
			wantFail: true,
			wantFix:  "as role arn:aws:iam::310987654321:role/OrganizationAccountAccessRole (account dev 310987654321): aws secretsmanager put-secret-value --secret-id shop/dev/x/API_KEY --region us-east-1",
		},
		"the docker credentials without a value fail": {
			setup: func(f *fakeaws.Server, in *PreflightInput) {
				ready(f)
				f.PutSecret(toolingID, "us-east-1", dockerCreds, false)
			},
			want:     map[string]CheckStatus{"secret " + dockerCreds: Fail},
			wantFail: true,
			wantFix:  "with the caller's credentials (account tooling 210987654321): aws secretsmanager put-secret-value --secret-id shop-docker-credentials-x",
		},
		"an older roles version fails with the command that updates it": {
			setup: func(f *fakeaws.Server, in *PreflightInput) {
				ready(f)
				f.PutParameter(devID, "us-east-1", rolesParam, "1")
			},
			want:     map[string]CheckStatus{"roles stack": Fail},
			wantFail: true,
			wantFix:  "run `cicdgen apply --stack roles-dev` as role arn:aws:iam::310987654321:role/OrganizationAccountAccessRole",
		},
		"a newer roles version passes": {
			setup: func(f *fakeaws.Server, in *PreflightInput) {
				ready(f)
				f.PutParameter(devID, "us-east-1", rolesParam, "10")
			},
			want: map[string]CheckStatus{"roles stack": Pass},
		},
		"a roles stack without a version parameter fails": {
			setup: func(f *fakeaws.Server, in *PreflightInput) {
				ready(f)
				f.DeleteParameter(devID, "us-east-1", rolesParam)
			},
			deployed: true,
			want:     map[string]CheckStatus{"roles stack": Fail},
			wantFail: true,
			wantFix:  "cicdgen apply --stack roles-dev",
		},
		"an account whose role cannot be assumed fails": {
			setup: func(f *fakeaws.Server, in *PreflightInput) {
				ready(f)
				f.DenyRole(dev.Role)
			},
			want:     map[string]CheckStatus{"account dev": Fail, "account tooling": Pass},
			wantFail: true,
			wantFix:  "let the caller assume",
		},
		"placeholders left fail": {
			setup: func(f *fakeaws.Server, in *PreflightInput) {
				ready(f)
				in.Placeholders = []string{`repository "myorg/myapp" is a placeholder`}
			},
			want:     map[string]CheckStatus{"no placeholder": Fail},
			wantFail: true,
			wantFix:  "replace each",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t)
			if tc.deployed {
				opts := fastOptions(nil)
				opts.Stacks = []string{"roles-dev"}
				if res := h.apply(t, context.Background(), opts); res.Failed() {
					t.Fatalf("apply roles-dev: %+v", res.Stacks)
				}
			}
			in := input()
			tc.setup(h.fake, &in)
			checks := Preflight(context.Background(), in, h.factory)
			for prefix, want := range tc.want {
				found := false
				for _, c := range checks {
					if strings.HasPrefix(c.Name, prefix) {
						found = true
						if c.Status != want {
							t.Errorf("%s: %s (%s), want %s", c.Name, c.Status, c.Detail, want)
						}
					}
				}
				if !found {
					t.Errorf("no check %q in %+v", prefix, checks)
				}
			}
			if got := PreflightFailed(checks); got != tc.wantFail {
				t.Errorf("failed = %v, want %v", got, tc.wantFail)
			}
			var buf strings.Builder
			if err := WriteChecks(&buf, checks); err != nil {
				t.Fatal(err)
			}
			if tc.wantFix != "" && !strings.Contains(buf.String(), "fix: ") || !strings.Contains(buf.String(), tc.wantFix) {
				t.Errorf("output does not give the fix %q:\n%s", tc.wantFix, buf.String())
			}
		})
	}
}

func TestRolesVersionsFromTheBuild(t *testing.T) {
	dev := manifest.Account{Key: "dev", ID: devID}
	b := &Bundle{
		Manifest: manifest.Manifest{Stacks: []manifest.Stack{
			{Name: "shop-roles-dev-x", Kind: "roles-dev", Account: dev, Region: "eu-west-1"},
			{Name: "shop-ecs-dev-x", Kind: "ecs-dev", Account: dev, Region: "eu-west-1"},
		}},
		Templates: map[string][]byte{
			"shop-roles-dev-x": []byte(`{"Resources": {
				"RolesVersion": {"Type": "AWS::SSM::Parameter", "Properties": {"Name": "/shop/dev/x/roles-version", "Type": "String", "Value": "3"}},
				"Computed": {"Type": "AWS::SSM::Parameter", "Properties": {"Name": "/shop/dev/x/other", "Type": "String", "Value": {"Ref": "AWS::Region"}}},
				"DeployRole": {"Type": "AWS::IAM::Role", "Properties": {}}}}`),
			"shop-ecs-dev-x": []byte(`{"Resources": {"P": {"Type": "AWS::SSM::Parameter", "Properties": {"Name": "/x", "Value": "1"}}}}`),
		},
	}
	got := RolesVersionsFrom(b)
	want := []RolesRef{{Account: dev, Region: "eu-west-1", Stack: "shop-roles-dev-x", Kind: "roles-dev", Parameter: "/shop/dev/x/roles-version", Want: "3"}}
	if len(got) != 1 || got[0] != want[0] {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

func TestSecretsWithoutValueFromTheBuild(t *testing.T) {
	tooling := manifest.Account{Key: "tooling", ID: toolingID}
	dev := manifest.Account{Key: "dev", ID: devID, Profile: "dev"}
	b := &Bundle{
		Manifest: manifest.Manifest{Stacks: []manifest.Stack{
			{Name: "shop-secrets-x", Kind: "secrets", Account: tooling, Region: "us-east-1"},
			{Name: "shop-secrets-dev-x", Kind: "secrets-dev", Environment: "dev", Account: dev, Region: "eu-west-1"},
		}},
		Templates: map[string][]byte{
			"shop-secrets-x": []byte(`{"Resources": {"DockerCredentials": {"Type": "AWS::SecretsManager::Secret", "Properties": {"Name": "shop-docker-credentials-x"}}}}`),
			"shop-secrets-dev-x": []byte(`{"Resources": {
				"ApiKey": {"Type": "AWS::SecretsManager::Secret", "Properties": {"Name": "shop/dev/x/API_KEY"}},
				"Generated": {"Type": "AWS::SecretsManager::Secret", "Properties": {"Name": "shop/dev/x/TOKEN", "GenerateSecretString": {}}},
				"Given": {"Type": "AWS::SecretsManager::Secret", "Properties": {"Name": "shop/dev/x/FIXED", "SecretString": "x"}}}}`),
		},
	}
	in := PreflightInput{Secrets: []SecretRef{{Account: dev, Region: "eu-west-1", Name: "shop/dev/x/API_KEY", Purpose: "from the model"}}}
	in.AddSecrets(SecretsWithoutValue(b))
	want := []SecretRef{
		{Account: dev, Region: "eu-west-1", Name: "shop/dev/x/API_KEY", Purpose: "from the model"},
		{Account: tooling, Region: "us-east-1", Name: "shop-docker-credentials-x", Purpose: "the build's Docker Hub login (build.registry_credentials)"},
	}
	if len(in.Secrets) != len(want) || in.Secrets[0] != want[0] || in.Secrets[1] != want[1] {
		t.Errorf("got %+v\nwant %+v", in.Secrets, want)
	}
}

func TestPreflightForChecksTheBuildsDockerCredentials(t *testing.T) {
	const base = `version: 1
name: shop
suffix: x
region: us-east-1
accounts: {tooling: "210987654321"}
source: {connection: "arn:aws:codeconnections:us-east-1:210987654321:connection/4f7c1d2e-9a8b-4c3d-8e7f-6a5b4c3d2e1f", repository: acme/shop}
service: {name: web, port: 8080}
environments: [{name: dev, account: tooling}]
`
	tests := map[string]struct {
		build string
		want  bool
	}{
		"with build.registry_credentials the tooling secret must have a value": {build: "build: {registry_credentials: true}\n", want: true},
		"without it there is no such secret to check":                          {build: "", want: false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			sys, ds := schema.Load("system.yaml", []byte(base+tc.build))
			if ds.HasErrors() {
				t.Fatal(ds)
			}
			in := PreflightFor(sys, nil)
			found := false
			for _, s := range in.Secrets {
				if s.Name == "shop-docker-credentials-x" {
					found = true
					if s.Account.Key != "tooling" || s.Region != "us-east-1" {
						t.Errorf("the secret is looked for in %+v", s)
					}
				}
			}
			if found != tc.want {
				t.Errorf("secrets %+v: docker credentials checked = %v, want %v", in.Secrets, found, tc.want)
			}
		})
	}
}
