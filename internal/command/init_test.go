package command

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/cicdgen/cicdgen/schema"
)

func TestStarterSystemHasOnlyPlaceholderWarnings(t *testing.T) {
	src, err := starterFiles.ReadFile("starter/system.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sys, ds := schema.Load("system.yaml", src)
	if sys == nil {
		t.Fatalf("the starter does not load: %v", ds)
	}
	if len(ds) == 0 {
		t.Errorf("the starter has no placeholder warning; apply would take its example values")
	}
	for _, d := range ds {
		if d.Rule != "placeholder" {
			t.Errorf("unexpected diagnostic: %v", d)
		}
	}
	if first, _, _ := strings.Cut(string(src), "\n"); first != "# yaml-language-server: $schema="+starterSchemaFile {
		t.Errorf("the starter begins with %q, not the modeline of the schema init writes", first)
	}
}

// buildspec is the part of a CodeBuild buildspec the build contract needs.
type buildspec struct {
	Version string `yaml:"version"`
	Phases  map[string]struct {
		Commands []string `yaml:"commands"`
	} `yaml:"phases"`
	Artifacts struct {
		Files []string `yaml:"files"`
	} `yaml:"artifacts"`
}

func TestStarterBuildspecFollowsTheBuildContract(t *testing.T) {
	src, err := starterFiles.ReadFile("starter/buildspec.yml")
	if err != nil {
		t.Fatal(err)
	}
	var bs buildspec
	if err := yaml.Unmarshal(src, &bs); err != nil {
		t.Fatalf("buildspec.yml is not YAML: %v", err)
	}
	var commands []string
	for _, phase := range []string{"install", "pre_build", "build", "post_build"} {
		commands = append(commands, bs.Phases[phase].Commands...)
	}
	all := strings.Join(commands, "\n")
	cases := map[string]bool{
		"it is a version 0.2 buildspec": bs.Version == "0.2",
		"it installs the cicdgen version that built the system": strings.Contains(all, `go install "github.com/cicdgen/cicdgen/cmd/...@${CICDGEN_VERSION}"`) &&
			!strings.Contains(string(src), "@latest"),
		"it logs in to Docker Hub with the registry credentials": strings.Contains(all, `docker login --username "$DOCKER_USERNAME" --password-stdin`),
		"it pushes to every other region's repository":           strings.Contains(all, "for region in ${APP_IMAGE_REGIONS:-}") && strings.Contains(all, `ImageURI_${region//-/_}`),
		"it builds the templates into cicdgen-out":               strings.Contains(all, "cicdgen build -o cicdgen-out"),
		"it pushes the image to the app repository":              strings.Contains(all, `docker push "$IMAGE_URI"`) && strings.Contains(all, "${APP_REPOSITORY_URI}:${IMAGE_TAG}"),
		"it tags the image with the commit":                      strings.Contains(all, "IMAGE_TAG=\"${CODEBUILD_RESOLVED_SOURCE_VERSION}\""),
		"it logs in to the registry of the account":              strings.Contains(all, "${AWS_ACCOUNT_ID}.dkr.ecr.${AWS_DEFAULT_REGION}.amazonaws.com"),
		"it writes imageDetail.json with ImageURI":               strings.Contains(all, `detail="\"ImageURI\":\"${IMAGE_URI}\""`) && strings.Contains(all, `printf '{%s}\n' "$detail" > imageDetail.json`),
		"imageDetail.json is an artifact":                        slices.Contains(bs.Artifacts.Files, "imageDetail.json"),
		"the templates are artifacts, in their directory":        slices.Contains(bs.Artifacts.Files, "cicdgen-out/**/*"),
		"the templates are built before the image is made":       strings.Index(all, "cicdgen build") < strings.Index(all, "docker build"),
	}
	for name, ok := range cases {
		t.Run(name, func(t *testing.T) {
			if !ok {
				t.Errorf("buildspec.yml:\n%s", src)
			}
		})
	}
}

func TestWriteStarter(t *testing.T) {
	cases := map[string]struct {
		existing  []string // files present before
		wantError string   // "" for success
	}{
		"an empty directory gets every file":         {},
		"an existing system.yaml stops everything":   {existing: []string{"system.yaml"}, wantError: "system.yaml already exists"},
		"an existing buildspec.yml stops everything": {existing: []string{"buildspec.yml"}, wantError: "buildspec.yml already exists"},
		"both existing are both named":               {existing: []string{"system.yaml", "buildspec.yml"}, wantError: "buildspec.yml already exist"},
		"other files do not matter":                  {existing: []string{"README.md", "system.yml"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range tc.existing {
				if err := os.WriteFile(filepath.Join(dir, f), []byte("mine\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			paths, err := writeStarter(dir)
			if tc.wantError == "" {
				if err != nil {
					t.Fatalf("writeStarter: %v", err)
				}
				if len(paths) != len(starterNames()) {
					t.Errorf("wrote %v, want %v", paths, starterNames())
				}
				for _, p := range paths {
					if _, err := os.Stat(p); err != nil {
						t.Errorf("%s was not written: %v", p, err)
					}
				}
				return
			}
			var exists existingFilesError
			if !errors.As(err, &exists) || !strings.Contains(err.Error(), tc.wantError) {
				t.Fatalf("writeStarter error = %v, want an existingFilesError containing %q", err, tc.wantError)
			}
			for _, f := range starterNames() {
				b, err := os.ReadFile(filepath.Join(dir, f))
				switch {
				case slices.Contains(tc.existing, f) && string(b) != "mine\n":
					t.Errorf("%s was overwritten", f)
				case !slices.Contains(tc.existing, f) && err == nil:
					t.Errorf("%s was written although another file exists", f)
				}
			}
		})
	}
}

func TestStarterDockerfileHasWhatTheBuildspecNeeds(t *testing.T) {
	src, err := starterFiles.ReadFile("starter/build.Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	text := string(src)
	cases := map[string]bool{
		"it takes the cicdgen version as a build argument":     strings.Contains(text, "ARG CICDGEN_VERSION"),
		"it installs exactly that version, never @latest":      strings.Contains(text, `go install "github.com/cicdgen/cicdgen/cmd/...@${CICDGEN_VERSION}"`) && !strings.Contains(text, "@latest"),
		"it refuses a version go install cannot fetch":         strings.Contains(text, `case "$CICDGEN_VERSION" in`),
		"it has the Docker engine the build starts":            strings.Contains(text, "docker.io"),
		"it has the AWS CLI the build logs in and pushes with": strings.Contains(text, "awscli-exe-linux") && strings.Contains(text, "/tmp/aws/install"),
		"it has bash, the buildspec's shell":                   strings.Contains(text, " bash "),
		"cicdgen and cicdgen-aws are on the PATH":              strings.Contains(text, "COPY --from=cicdgen /out/cicdgen /out/cicdgen-aws /usr/local/bin/"),
		"base images come from ECR Public, not Docker Hub":     strings.Count(text, "FROM public.ecr.aws/") == strings.Count(text, "FROM "),
	}
	for name, ok := range cases {
		t.Run(name, func(t *testing.T) {
			if !ok {
				t.Errorf("build.Dockerfile:\n%s", src)
			}
		})
	}
}
