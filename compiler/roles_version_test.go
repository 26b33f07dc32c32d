package compiler

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cicdgen/cicdgen/schema"
)

// updateRolesVersion makes TestRolesVersionMatchesPermissions record the
// permissions hash of a new RolesVersion in rolesVersionsFile:
//
//	go test ./compiler -run TestRolesVersionMatchesPermissions -update-roles-version
//
// It never rewrites the hash of a version already recorded.
var updateRolesVersion = flag.Bool("update-roles-version", false, "record the roles' permissions hash of a new RolesVersion in "+rolesVersionsFile)

// rolesVersionsFile holds, per roles version, the sha256 of the roles'
// permissions (rolesPermissionsHash) when that version was current.
const rolesVersionsFile = "testdata/roles-versions.json"

// rolesVersions is the content of rolesVersionsFile.
type rolesVersions struct {
	Comment  string            `json:"comment"`
	Versions map[string]string `json:"versions"` // version -> sha256 of the permissions
}

// rolesVersionSystems are the systems whose roles rolesPermissionsHash
// hashes: together they make the roles builder emit every statement it has.
// They are fixed here, apart from the other tests' systems, so that a new
// test system never looks like a change of the roles' permissions; add a
// system only together with a new RolesVersion.
var rolesVersionSystems = map[string]envCase{
	"default": {},
	"blue/green with NAT gateways, flow logs and secrets of every kind": {
		service: "  secrets:\n    DB: arn:aws:secretsmanager:us-east-1:310987654321:secret:db-AbCdEf\n    TOKEN: arn:aws:ssm:us-east-1:310987654321:parameter/shop/token\n    API_KEY: managed\n",
		network: "  azs: 3\n  nat_gateways: 2\n",
	},
	"canary over HTTPS in a protected environment": {
		service: "  traffic: canary-10-5\n  certificate: arn:aws:acm:us-east-1:310987654321:certificate/8c1f4d9e-2b3a-4c5d-8e7f-9a0b1c2d3e4f\n",
		envs:    "  - name: dev\n    account: dev\n    protect: true\n",
	},
	"rolling without NAT gateways, with VPC endpoints and without flow logs": {
		service: "  deployment: rolling\n  secrets:\n    DB: arn:aws:secretsmanager:us-east-1:310987654321:secret:db-AbCdEf\n    TOKEN: arn:aws:ssm:us-east-1:310987654321:parameter/shop/token\n",
		network: "  nat_gateways: 0\n  flow_logs: false\n",
	},
}

// rolesPermissionsHash is the sha256 of what the roles of
// rolesVersionSystems may do: each role's trust policy, inline policies and
// managed policies, as canonical JSON. Names, descriptions and the version
// parameter are left out.
func rolesPermissionsHash(t *testing.T) string {
	t.Helper()
	perms := map[string]any{}
	for name, c := range rolesVersionSystems {
		sys := envSystem(t, c)
		tmpl, _ := buildRoles(sys, &sys.Environments[0])
		doc, err := templateDocument(tmpl)
		if err != nil {
			t.Fatal(err)
		}
		roles := map[string]any{}
		for id, r := range doc["Resources"].(map[string]any) {
			res := r.(map[string]any)
			if res["Type"] != "AWS::IAM::Role" {
				continue
			}
			props := res["Properties"].(map[string]any)
			roles[id] = map[string]any{
				"AssumeRolePolicyDocument": props["AssumeRolePolicyDocument"],
				"Policies":                 props["Policies"],
				"ManagedPolicyArns":        props["ManagedPolicyArns"],
			}
		}
		perms[name] = roles
	}
	b, err := canonicalJSON(perms)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func TestRolesVersionMatchesPermissions(t *testing.T) {
	var recorded rolesVersions
	raw, err := os.ReadFile(rolesVersionsFile)
	if err != nil && !*updateRolesVersion {
		t.Fatalf("read %s: %v", rolesVersionsFile, err)
	}
	if err == nil {
		if err := json.Unmarshal(raw, &recorded); err != nil {
			t.Fatalf("decode %s: %v", rolesVersionsFile, err)
		}
	}
	if recorded.Versions == nil {
		recorded.Versions = map[string]string{}
	}
	got := rolesPermissionsHash(t)
	current := strconv.Itoa(RolesVersion)

	// Versions are 1, 2, … without gaps, the newest the current one.
	var versions []int
	for v := range recorded.Versions {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("%s records version %q, not a number", rolesVersionsFile, v)
		}
		versions = append(versions, n)
	}
	slices.Sort(versions)
	for i, v := range versions {
		if v != i+1 {
			t.Errorf("%s records versions %v; want 1, 2, … without gaps", rolesVersionsFile, versions)
			break
		}
	}
	if len(versions) > 0 && versions[len(versions)-1] > RolesVersion {
		t.Errorf("%s records version %d, newer than RolesVersion %d", rolesVersionsFile, versions[len(versions)-1], RolesVersion)
	}

	want, ok := recorded.Versions[current]
	switch {
	case !ok && *updateRolesVersion:
		recorded.Comment = "sha256 of the roles' permissions (trust, inline and managed policies of the roles stacks of the roles tests' systems) per RolesVersion. " +
			"Append-only: record a new version with go test ./compiler -run TestRolesVersionMatchesPermissions -update-roles-version"
		recorded.Versions[current] = got
		b, err := json.MarshalIndent(recorded, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(rolesVersionsFile, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	case !ok:
		t.Errorf("RolesVersion %d has no recorded permissions; record them with -update-roles-version", RolesVersion)
	case want != got:
		for v, h := range recorded.Versions {
			if h == got && v != current {
				t.Errorf("the roles' permissions are those of version %s again; they still differ from version %s's, so bump RolesVersion", v, current)
			}
		}
		t.Errorf("the roles' permissions changed since RolesVersion %d was recorded (sha256 %s, now %s): raise RolesVersion to %d in roles_version.go "+
			"and record it with -update-roles-version, so that every account's roles stack is updated before the pipeline deploys there", RolesVersion, want, got, RolesVersion+1)
	}
}

// TestStacksAssertTheRolesVersion compiles a system and checks that exactly
// the stacks the pipeline deploys into an environment account assert the
// roles' version, with the parameter the roles stack publishes, a rule that
// refuses every older version, and the command that updates the roles.
func TestStacksAssertTheRolesVersion(t *testing.T) {
	sys := envSystem(t, envCase{
		service: "  secrets:\n    API_KEY: managed\n",
		envs:    "  - name: dev\n    account: dev\n  - name: prod\n    account: prod\n    region: eu-west-1\n",
	})
	a, ds := Compile(sys)
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	asserting := map[string]string{ // stack -> environment
		"shop-ecs-dev-dev": "dev", "shop-secrets-dev-dev": "dev",
		"shop-ecs-prod-dev": "prod", "shop-secrets-prod-dev": "prod",
	}
	published := map[string]string{} // environment -> parameter name
	for _, s := range a.Stacks {
		doc := envRoundTrip(t, stackDoc(t, s))
		if s.Kind == schema.KindRoles(s.Environment) {
			props := envProps(t, doc, "RolesVersion")
			if props["Type"] != "String" || props["Value"] != strconv.Itoa(RolesVersion) {
				t.Errorf("%s publishes %v", s.Name, props)
			}
			published[s.Environment], _ = props["Name"].(string)
		}
	}
	for _, s := range a.Stacks {
		doc := envRoundTrip(t, stackDoc(t, s))
		env, want := asserting[s.Name]
		rules, hasRules := doc["Rules"].(map[string]any)
		if !want {
			if hasRules {
				t.Errorf("%s asserts the roles version; only the stacks the pipeline deploys into an environment do", s.Name)
			}
			continue
		}
		param, _ := doc["Parameters"].(map[string]any)["RolesVersion"].(map[string]any)
		if param["Type"] != "AWS::SSM::Parameter::Value<String>" || param["Default"] != published[env] || published[env] == "" {
			t.Errorf("%s: parameter RolesVersion is %v, want the SSM parameter %q of roles-%s", s.Name, param, published[env], env)
		}
		rule, _ := rules["CheckRolesVersion"].(map[string]any)
		assertion, _ := rule["Assertions"].([]any)[0].(map[string]any)
		tooOld := make([]any, RolesVersion)
		for v := range tooOld {
			tooOld[v] = strconv.Itoa(v)
		}
		wantAssert := envJSON(map[string]any{"Fn::Not": []any{map[string]any{"Fn::Contains": []any{tooOld, map[string]any{"Ref": "RolesVersion"}}}}})
		if got := envJSON(assertion["Assert"]); got != wantAssert {
			t.Errorf("%s asserts %s, want %s", s.Name, got, wantAssert)
		}
		msg, _ := assertion["AssertDescription"].(string)
		if !strings.Contains(msg, "cicdgen apply system.yaml --stack roles-"+env) || !strings.Contains(msg, "shop-roles-"+env+"-dev") {
			t.Errorf("%s: the assertion's description %q does not give the command that updates roles-%s", s.Name, msg, env)
		}
	}
}

func TestRolesVersionMessageNamesHowApplyReachesTheAccount(t *testing.T) {
	tests := map[string]struct {
		account schema.Account
		want    string
	}{
		"the caller's credentials": {schema.Account{Key: "dev", ID: "310987654321"}, "--stack roles-dev"},
		"an assumed role":          {schema.Account{Key: "dev", ID: "310987654321", Role: "arn:aws:iam::310987654321:role/Deployer"}, "--stack roles-dev (apply assumes arn:aws:iam::310987654321:role/Deployer in that account)"},
		"a profile":                {schema.Account{Key: "dev", ID: "310987654321", Profile: "dev-admin"}, "--stack roles-dev (apply uses the profile dev-admin)"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			sys := envSystem(t, envCase{})
			sys.Accounts["dev"] = tc.account
			msg := rolesVersionMessage(sys, &sys.Environments[0])
			if !strings.HasSuffix(msg, tc.want) || !strings.Contains(msg, "of account 310987654321 (us-east-1) is older than version "+strconv.Itoa(RolesVersion)) {
				t.Errorf("message %q does not end in %q", msg, tc.want)
			}
		})
	}
}
