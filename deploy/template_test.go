package deploy

import (
	"strings"
	"testing"

	"github.com/cicdgen/cicdgen/manifest"
)

// A template uploaded to S3 keeps the format of its file: its key ends in
// the file's extension and its content type says JSON or YAML.
func TestUploadedTemplatesKeepTheirFormat(t *testing.T) {
	cases := map[string]struct {
		file, ext, contentType string
	}{
		"a JSON template is application/json":     {"templates/shop-ecs-dev-x.json", ".json", "application/json"},
		"a YAML template is application/x-yaml":   {"templates/shop-ecs-dev-x.yaml", ".yaml", "application/x-yaml"},
		"a .yml template keeps its extension":     {"shop-ecs-dev-x.yml", ".yml", "application/x-yaml"},
		"a template without extension is as JSON": {"shop-ecs-dev-x", ".json", "application/json"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := &manifest.Stack{Name: "shop-ecs-dev-x", Template: tc.file}
			key, ct := templateObject("shop", s, []byte("Resources: {}\n"))
			if !strings.HasPrefix(key, "cicdgen/shop/shop-ecs-dev-x-") || !strings.HasSuffix(key, tc.ext) || ct != tc.contentType {
				t.Errorf("key %q, content type %q; want ...%s, %s", key, ct, tc.ext, tc.contentType)
			}
		})
	}
}
