package schema

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/cicdgen/cicdgen/diag"
)

// fargateSizes lists, for each Fargate cpu value, the memory values (MiB)
// a task may have with it.
var fargateSizes = []struct {
	cpu                     int
	minMem, maxMem, stepMem int
}{
	{256, 512, 2048, 0}, // 512, 1024, 2048
	{512, 1024, 4096, 1024},
	{1024, 2048, 8192, 1024},
	{2048, 4096, 16384, 1024},
	{4096, 8192, 30720, 1024},
	{8192, 16384, 61440, 4096},
	{16384, 32768, 122880, 8192},
}

// FargateMemories returns the memory sizes (MiB) Fargate accepts with cpu,
// or nil when cpu is not a Fargate cpu size.
func FargateMemories(cpu int) []int {
	for _, s := range fargateSizes {
		if s.cpu != cpu {
			continue
		}
		if s.stepMem == 0 {
			return []int{512, 1024, 2048}
		}
		var out []int
		for m := s.minMem; m <= s.maxMem; m += s.stepMem {
			out = append(out, m)
		}
		return out
	}
	return nil
}

// fargateCPUs returns the Fargate cpu sizes as text: "256, 512, … or 16384".
func fargateCPUs() string {
	s := make([]string, len(fargateSizes))
	for i, f := range fargateSizes {
		s[i] = strconv.Itoa(f.cpu)
	}
	return orListOf(s)
}

// memoryChoices describes the memory sizes that fit cpu: a list when short,
// else a range with its step.
func memoryChoices(cpu int) string {
	ms := FargateMemories(cpu)
	if len(ms) <= 4 {
		s := make([]string, len(ms))
		for i, m := range ms {
			s[i] = strconv.Itoa(m)
		}
		return orListOf(s)
	}
	return fmt.Sprintf("a multiple of %d from %d to %d", ms[1]-ms[0], ms[0], ms[len(ms)-1])
}

// fittingCPU returns the Fargate cpu sizes that accept memory.
func fittingCPU(memory int) []string {
	var out []string
	for _, f := range fargateSizes {
		for _, m := range FargateMemories(f.cpu) {
			if m == memory {
				out = append(out, strconv.Itoa(f.cpu))
			}
		}
	}
	return out
}

// blockScope is a block that environments may override (service or
// network) as one place sees it: the top-level block, or an environment's
// block with its overrides merged. It says where each effective value was
// written, so that a problem is reported there and only once.
type blockScope struct {
	c     *semantic
	block string       // "$.service" or "$.network"
	env   *Environment // nil for the top-level block
	// own is the path of the environment's block; "" at top level.
	own string
}

// blockScopes returns the top-level scope of block (service or network)
// and then one scope per environment.
func (c *semantic) blockScopes(block string) []blockScope {
	out := []blockScope{{c: c, block: PathKey("$", block)}}
	for i := range c.sys.Environments {
		out = append(out, blockScope{c: c, block: PathKey("$", block), env: &c.sys.Environments[i], own: PathKey(environmentPath(i), block)})
	}
	return out
}

// path returns the path of field where the effective value comes from: the
// environment's override when it wrote one, else the top-level block.
func (s blockScope) path(field string) string {
	if s.own != "" && s.c.doc.Has(PathKey(s.own, field)) {
		return PathKey(s.own, field)
	}
	return PathKey(s.block, field)
}

// entryPath returns the path of entry key of the map field (environment or
// secrets) where its effective value comes from.
func (s blockScope) entryPath(field, key string) string {
	if s.own != "" {
		if p := PathKey(PathKey(s.own, field), key); s.c.doc.Has(p) {
			return p
		}
	}
	return PathKey(PathKey(s.block, field), key)
}

// local reports whether field was written in this scope: always true at top
// level (a problem there is reported there), and true for an environment
// only when the environment overrides field.
func (s blockScope) local(field string) bool {
	return s.own == "" || s.c.doc.Has(PathKey(s.own, field))
}

// where returns " in environment NAME" for an environment's scope.
func (s blockScope) where() string {
	if s.env == nil {
		return ""
	}
	return fmt.Sprintf(" in environment %q", s.env.Name)
}

// serviceScope is the service block as one place sees it.
type serviceScope struct {
	blockScope
	svc Service
}

// checkServices checks the top-level service and every environment's
// effective service.
func (c *semantic) checkServices() {
	for _, b := range c.blockScopes("service") {
		svc := c.sys.Service
		if b.env != nil {
			svc = b.env.Service
		}
		c.checkService(serviceScope{blockScope: b, svc: svc})
	}
}

func (c *semantic) checkService(s serviceScope) {
	c.checkFargate(s)
	c.checkDeployment(s)
	if s.local("health_check") {
		if hc := s.svc.HealthCheck; hc != "" && (!strings.HasPrefix(hc, "/") || strings.ContainsAny(hc, " \t#")) {
			c.errorAt(diag.RuleHealthCheck, s.path("health_check"), "health check %q is not a URL path; write a path starting with /, e.g. /health", hc)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(s.svc.Secrets)) {
		if _, ok := s.svc.Environment[name]; !ok {
			continue
		}
		sp, ep := s.entryPath("secrets", name), s.entryPath("environment", name)
		if s.own != "" && !strings.HasPrefix(sp, s.own+".") && !strings.HasPrefix(ep, s.own+".") {
			continue // both inherited from the top-level service, reported there
		}
		c.errorAtKey(diag.RuleEnvConflict, sp, "%s is set both in environment and in secrets%s; keep one, since ECS refuses a variable defined twice", name, s.where())
	}
	for _, name := range slices.Sorted(maps.Keys(s.svc.Secrets)) {
		p := s.entryPath("secrets", name)
		if s.own != "" && !strings.HasPrefix(p, s.own+".") {
			continue // inherited from the top-level service, checked there
		}
		v := s.svc.Secrets[name]
		if v != SecretManaged && !secretARN().MatchString(v) && !parameterARN().MatchString(v) && !c.elided(p, "secret "+name, v) {
			d := c.errorAt(diag.RuleARN, p, "secret %s is %q, neither managed nor a Secrets Manager or SSM parameter ARN; write managed (cicdgen creates the secret) or arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME or arn:aws:ssm:REGION:ACCOUNT:parameter/NAME", name, v)
			noteFix(d, "ECS reads the value when the task starts and sets it as an environment variable of the container.")
		}
	}
	c.checkManagedSecretIDs(s)
	c.checkCertificate(s)
	if s.local(deprecatedRegistryCredentials) && c.doc.Has(s.path(deprecatedRegistryCredentials)) {
		p := s.path(deprecatedRegistryCredentials)
		d := c.warnAtKey(diag.RuleDeprecatedKey, p,
			"service.registry_credentials is deprecated and ignored%s: the service's image is always in ECR, which needs no registry credentials; remove the key, and set build.registry_credentials: true for authenticated Docker Hub pulls during the build", s.where())
		noteFix(d, "A system deployed with the per-environment docker-credentials secrets: apply each ecs-<env> stack first (cicdgen apply --stack ecs-<env> --no-deps), then delete the secrets-<env> stacks of environments without managed secrets.")
	}
}

// deprecatedRegistryCredentials is the service key that SPEC deprecates.
const deprecatedRegistryCredentials = "registry_credentials"

// checkManagedSecretIDs reports managed secrets whose variable names give
// the same logical ids in the secrets stack (API_KEY and APIKEY, say).
func (c *semantic) checkManagedSecretIDs(s serviceScope) {
	seen := map[string]string{}
	for _, name := range s.svc.ManagedSecrets() {
		id := SecretID(name)
		prev, dup := seen[id]
		seen[id] = name
		if !dup {
			continue
		}
		p := s.entryPath("secrets", name)
		if s.own != "" && !strings.HasPrefix(p, s.own+".") && !strings.HasPrefix(s.entryPath("secrets", prev), s.own+".") {
			continue // both inherited from the top-level service, reported there
		}
		d := c.errorAtKey(diag.RuleManagedSecretID, p, "managed secrets %s and %s%s would share the logical id Secret%s of the secrets stack; rename one of the variables", prev, name, s.where(), id)
		noteFix(d, "Logical ids keep letters and digits only: underscores are dropped and the letter after one is capitalised.")
	}
}

// checkFargate checks that cpu and memory are a Fargate task size.
func (c *semantic) checkFargate(s serviceScope) {
	cpu, mem := s.svc.CPU, s.svc.Memory
	if cpu == 0 && mem == 0 {
		return
	}
	if FargateMemories(cpu) == nil {
		if s.local("cpu") {
			d := c.errorAt(diag.RuleFargateSize, s.path("cpu"), "cpu %d is not a Fargate size; use %s", cpu, fargateCPUs())
			noteFix(d, "cpu is in CPU units: 1024 is one vCPU.")
		}
		return
	}
	for _, m := range FargateMemories(cpu) {
		if m == mem {
			return
		}
	}
	switch {
	case s.own == "" && !c.doc.Has("$.service.memory"):
		// A top-level cpu with the default memory.
		d := c.errorAt(diag.RuleFargateSize, s.path("cpu"), "cpu %d does not fit the default memory %d; set memory to %s", cpu, mem, memoryChoices(cpu))
		noteFix(d, "Fargate accepts only some cpu/memory pairs; memory is in MiB.")
	case s.local("memory"):
		d := c.errorAt(diag.RuleFargateSize, s.path("memory"), "memory %d does not fit cpu %d%s; use %s", mem, cpu, s.where(), memoryChoices(cpu))
		if cpus := fittingCPU(mem); len(cpus) > 0 {
			noteFix(d, "Or keep memory %d and set cpu to %s.", mem, orListOf(cpus))
		} else {
			noteFix(d, "Fargate accepts only some cpu/memory pairs; memory is in MiB.")
		}
	case s.local("cpu"):
		from := "of service.memory"
		if !c.doc.Has("$.service.memory") {
			from = "(the default)"
		}
		d := c.errorAt(diag.RuleFargateSize, s.path("cpu"), "cpu %d%s does not fit memory %d %s; set memory here too, to %s", cpu, s.where(), mem, from, memoryChoices(cpu))
		noteFix(d, "Fargate accepts only some cpu/memory pairs; memory is in MiB.")
	}
}

// checkDeployment checks that traffic and bake_minutes come only with
// blue/green deployments.
func (c *semantic) checkDeployment(s serviceScope) {
	if s.svc.Deployment != DeploymentRolling {
		return
	}
	for _, field := range []string{"traffic", "bake_minutes"} {
		p := s.path(field)
		if !c.doc.Has(p) {
			continue
		}
		switch {
		case s.local(field):
			d := c.errorAt(diag.RuleBlueGreenOnly, p, "%s applies only to blue-green deployments, and deployment is rolling%s; remove %s or set deployment: blue-green", field, s.where(), field)
			noteFix(d, "A rolling deployment replaces tasks in place: it has no traffic shift and no bake time.")
		case s.local("deployment"):
			d := c.errorAt(diag.RuleBlueGreenOnly, s.path("deployment"), "deployment rolling%s conflicts with service.%s, which applies only to blue-green; move %s into the environments that use blue-green", s.where(), field, field)
			noteFix(d, "A rolling deployment replaces tasks in place: it has no traffic shift and no bake time.")
		}
	}
}

// checkCertificate checks the ARN of the certificate and that it can serve
// the environment's load balancer.
func (c *semantic) checkCertificate(s serviceScope) {
	cert := s.svc.Certificate
	if cert == "" {
		return
	}
	p := s.path("certificate")
	m := certificateARN().FindStringSubmatch(cert)
	if m == nil {
		if !s.local("certificate") {
			return
		}
		if c.elided(p, "certificate", cert) {
			noteFix(&c.ds[len(c.ds)-1], "Until the ARN is written, build serves HTTP only (no HTTPS listener), so that its templates stay deployable; apply refuses placeholders.")
			return
		}
		d := c.errorAt(diag.RuleARN, p, "certificate %q is not an ACM certificate ARN; write arn:aws:acm:REGION:ACCOUNT:certificate/ID", cert)
		noteFix(d, "Find it with: aws acm list-certificates --region REGION")
		return
	}
	if s.env == nil {
		return
	}
	region, account := m[1], m[2]
	envAccount := c.sys.AccountOf(s.env).ID
	fix := "override service.certificate in this environment"
	if s.local("certificate") && s.own != "" {
		fix = "use a certificate of that region and account"
	}
	switch {
	case region != s.env.Region:
		d := c.errorAt(diag.RuleCertificateScope, p, "certificate is in region %s, but environment %q runs in %s; a load balancer takes only a certificate of its own region: %s", region, s.env.Name, s.env.Region, fix)
		noteFix(d, "Request or import one with: aws acm request-certificate --region %s ...; ACM certificates cannot be shared across regions.", s.env.Region)
	case envAccount != "" && account != envAccount:
		d := c.errorAt(diag.RuleCertificateScope, p, "certificate is in account %s, but environment %q runs in account %s; a load balancer takes only a certificate of its own account: %s", account, s.env.Name, envAccount, fix)
		noteFix(d, "ACM certificates cannot be shared across accounts; request or import one in account %s.", envAccount)
	}
}
