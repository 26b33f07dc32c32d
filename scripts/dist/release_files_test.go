package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/cicdgen/cicdgen/internal/version"
)

// repoFile reads a file of the repository, from scripts/dist.
func repoFile(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestPreCommitHook(t *testing.T) {
	var hooks []struct {
		ID       string `yaml:"id"`
		Language string `yaml:"language"`
		Entry    string `yaml:"entry"`
		Files    string `yaml:"files"`
	}
	if err := yaml.Unmarshal(repoFile(t, ".pre-commit-hooks.yaml"), &hooks); err != nil || len(hooks) != 1 {
		t.Fatalf("hooks: %v %v", hooks, err)
	}
	h := hooks[0]
	if h.Language != "script" {
		t.Errorf("language %q: the hook's script downloads a released binary (before the first release it builds from source), so pre-commit needs no language environment", h.Language)
	}
	fi, err := os.Stat(filepath.Join("..", "..", h.Entry))
	if err != nil || fi.Mode()&0o111 == 0 {
		t.Errorf("entry %s is not an executable file: %v", h.Entry, err)
	}
	files := regexp.MustCompile(h.Files)
	for path, want := range map[string]bool{
		"system.yaml":          true,
		"system.yml":           true,
		"infra/system.yaml":    true,
		"mysystem.yaml":        false,
		"infra/oldsystem.yaml": false,
		"system.yaml.orig":     false,
		"buildspec.yml":        false,
		"system.yaml/x.txt":    false,
	} {
		if files.MatchString(path) != want {
			t.Errorf("files %q matches %s: %v, want %v", h.Files, path, !want, want)
		}
	}
}

func TestTheActionRunsAPinnedRelease(t *testing.T) {
	action := string(repoFile(t, "action.yml"))
	for _, want := range []string{"scripts/install.sh", "scripts/release-version", "actions/cache@"} {
		if !strings.Contains(action, want) {
			t.Errorf("action.yml does not use %s", want)
		}
	}
	if strings.Contains(action, "@latest") {
		t.Error("action.yml floats on latest")
	}
	pin := strings.TrimSpace(string(repoFile(t, "scripts/release-version")))
	if pin != "unreleased" && !version.IsRelease(pin) {
		t.Errorf("scripts/release-version holds %q: a release tag such as v1.2.3, or unreleased", pin)
	}
}

func TestTheImageStampsTheVersion(t *testing.T) {
	if !strings.Contains(string(repoFile(t, "Dockerfile")), versionVariable+"=${VERSION}") {
		t.Errorf("the Dockerfile does not stamp %s", versionVariable)
	}
}

// TestEveryInstallHasBothBinaries: cicdgen hands the commands that call AWS
// over to cicdgen-aws beside it, so everything that installs or builds
// cicdgen for use installs cicdgen-aws too.
func TestEveryInstallHasBothBinaries(t *testing.T) {
	tests := map[string]struct{ file, want string }{
		"make build":                         {"Makefile", "./cmd/cicdgen-aws"},
		"install.sh":                         {"scripts/install.sh", `tar -xzf "$tmp/$archive" -C "$tmp/x" "$bin" "$awsbin"`},
		"release.sh checks both":             {"scripts/release.sh", "for bin in cicdgen cicdgen-aws; do"},
		"the image":                          {"Dockerfile", "COPY --from=build /out/cicdgen /out/cicdgen-aws /usr/local/bin/"},
		"the Action built from its source":   {"action.yml", "./cmd/cicdgen ./cmd/cicdgen-aws"},
		"UpdatePipeline's CodeBuild project": {"compiler/pipeline_update.go", `go install "github.com/cicdgen/cicdgen/cmd/...@$VERSION"`},
		"the starter buildspec":              {"internal/command/starter/buildspec.yml", `go install "github.com/cicdgen/cicdgen/cmd/...@${CICDGEN_VERSION}"`},
		"the starter build image":            {"internal/command/starter/build.Dockerfile", "COPY --from=cicdgen /out/cicdgen /out/cicdgen-aws /usr/local/bin/"},
		"the README's go install":            {"README.md", "go install github.com/cicdgen/cicdgen/cmd/...@v1.0.0"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if !strings.Contains(string(repoFile(t, tc.file)), tc.want) {
				t.Errorf("%s does not contain %q", tc.file, tc.want)
			}
		})
	}
	t.Run("the release archives", func(t *testing.T) {
		has := map[string]string{}
		for _, b := range binaries() {
			has[b.name] = b.pkg
		}
		for name, pkg := range map[string]string{"cicdgen": "./cmd/cicdgen", "cicdgen-aws": "./cmd/cicdgen-aws"} {
			if has[name] != pkg {
				t.Errorf("the release archives hold %s built from %q, want %q", name, has[name], pkg)
			}
		}
	})
}
