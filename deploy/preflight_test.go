package deploy

import (
	"context"
	"strings"
	"testing"

	"github.com/cicdgen/cicdgen/internal/fakeaws"
	"github.com/cicdgen/cicdgen/manifest"
)

func TestPreflight(t *testing.T) {
	const conn = "arn:aws:codestar-connections:us-east-1:210987654321:connection/4f7c1d2e-9a8b-4c3d-8e7f-6a5b4c3d2e1f"
	tooling := manifest.Account{Key: "tooling", ID: toolingID}
	dev := manifest.Account{Key: "dev", ID: devID, Role: "arn:aws:iam::310987654321:role/OrganizationAccountAccessRole"}
	input := func() PreflightInput {
		return PreflightInput{
			Connection: conn, Tooling: tooling, HomeRegion: "us-east-1", BuildImageRepo: "build-image-x",
			Secrets:  []SecretRef{{Account: dev, Region: "us-east-1", Name: "docker-credentials-dev-x"}},
			Accounts: []AccountRef{{Account: tooling, Region: "us-east-1"}, {Account: dev, Region: "us-east-1"}},
		}
	}
	cases := map[string]struct {
		setup    func(f *fakeaws.Server, in *PreflightInput)
		want     map[string]CheckStatus // check name prefix -> status
		wantFail bool
		wantFix  string
	}{
		"everything in place passes": {
			setup: func(f *fakeaws.Server, in *PreflightInput) {
				f.PutConnection(conn, "AVAILABLE")
				f.PutRepository(toolingID, "us-east-1", "build-image-x", "latest")
				f.PutSecret(devID, "us-east-1", "docker-credentials-dev-x", true)
			},
			want: map[string]CheckStatus{"no placeholder": Pass, "account tooling": Pass, "account dev": Pass, "source connection": Pass, "build image": Pass, "secret": Pass},
		},
		"a pending connection fails with the handshake to finish": {
			setup: func(f *fakeaws.Server, in *PreflightInput) {
				f.PutConnection(conn, "PENDING")
				f.PutRepository(toolingID, "us-east-1", "build-image-x", "latest")
				f.PutSecret(devID, "us-east-1", "docker-credentials-dev-x", true)
			},
			want:     map[string]CheckStatus{"source connection": Fail},
			wantFail: true,
			wantFix:  "Update pending connection",
		},
		"before the first apply missing repository and secret only warn": {
			setup: func(f *fakeaws.Server, in *PreflightInput) { f.PutConnection(conn, "AVAILABLE") },
			want:  map[string]CheckStatus{"build image": Warn, "secret": Warn},
		},
		"a repository without the image fails with the push command": {
			setup: func(f *fakeaws.Server, in *PreflightInput) {
				f.PutConnection(conn, "AVAILABLE")
				f.PutRepository(toolingID, "us-east-1", "build-image-x")
			},
			want:     map[string]CheckStatus{"build image": Fail},
			wantFail: true,
			wantFix:  "docker push 210987654321.dkr.ecr.us-east-1.amazonaws.com/build-image-x:latest",
		},
		"a secret without a value fails with the command that sets it": {
			setup: func(f *fakeaws.Server, in *PreflightInput) {
				f.PutConnection(conn, "AVAILABLE")
				f.PutSecret(devID, "us-east-1", "docker-credentials-dev-x", false)
			},
			want:     map[string]CheckStatus{"secret": Fail},
			wantFail: true,
			wantFix:  "aws secretsmanager put-secret-value --secret-id docker-credentials-dev-x --region us-east-1",
		},
		"an account whose role cannot be assumed fails": {
			setup: func(f *fakeaws.Server, in *PreflightInput) {
				f.PutConnection(conn, "AVAILABLE")
				f.DenyRole(dev.Role)
			},
			want:     map[string]CheckStatus{"account dev": Fail, "account tooling": Pass},
			wantFail: true,
			wantFix:  "let the caller assume",
		},
		"placeholders left fail": {
			setup: func(f *fakeaws.Server, in *PreflightInput) {
				f.PutConnection(conn, "AVAILABLE")
				in.Placeholders = []string{`repository "myorg/myapp" is a placeholder`}
			},
			want:     map[string]CheckStatus{"no placeholder": Fail},
			wantFail: true,
			wantFix:  "replace each",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			fake := fakeaws.Start(t)
			fake.Setenv(t, toolingID, "us-east-1", nil)
			in := input()
			tc.setup(fake, &in)
			checks := Preflight(context.Background(), in, newFactory(t))
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
