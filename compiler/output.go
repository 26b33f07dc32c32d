package compiler

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/cicdgen/cicdgen/schema"
)

// Output formats of templates.
const (
	FormatJSON = "json" // the default
	FormatYAML = "yaml"
)

// ImageURIParameter is the ecs stack parameter that the pipeline's deploy
// action sets to the built image; the stack's configuration file leaves it out.
const ImageURIParameter = "ImageUri"

// Output is a built system in memory: every file that build writes, by file
// name, and the manifest that describes them. Deploy uses it to apply a
// system.yaml without writing files: for each stack of Manifest.Stacks, the
// template body is Files[stack.Template] and its sha256 is stack.SHA256.
type Output struct {
	Manifest Manifest
	// Files maps file names (relative to the output directory, no
	// subdirectories) to contents: one template per stack
	// (<stack name>.json or .yaml), one CloudFormation template
	// configuration per stack a deploy action of the pipeline reads: each
	// ecs stack and each secrets-<env> stack of schema.PipelineDeploysSecrets
	// (<stack name>.config.json), and
	// ManifestFile. Contents are deterministic: same assembly, same bytes.
	Files map[string][]byte
}

// TemplateFile returns the file name of a stack's template in format.
func TemplateFile(stackName, format string) string {
	if format == FormatYAML {
		return stackName + ".yaml"
	}
	return stackName + ".json"
}

// ConfigFile returns the file name of the template configuration of a stack the pipeline deploys:
// the file the pipeline's CloudFormation deploy action reads (as
// TemplateConfiguration) for the stack's parameters and tags.
func ConfigFile(stackName string) string { return stackName + ".config.json" }

// TemplateConfiguration is the JSON of a CodePipeline CloudFormation
// action's TemplateConfiguration file.
type TemplateConfiguration struct {
	Parameters map[string]string `json:"Parameters"`
	Tags       map[string]string `json:"Tags"`
}

// checkFormat returns the canonical name of a template format ("" means json).
func checkFormat(format string) (string, error) {
	switch format {
	case "", FormatJSON:
		return FormatJSON, nil
	case FormatYAML:
		return FormatYAML, nil
	}
	return "", fmt.Errorf("unknown template format %q: use json or yaml", format)
}

// Outputs renders the assembly in format ("json", the default when empty,
// or "yaml"): each stack's template (Stack.Body, converted to YAML for
// "yaml"), the template configurations of the stacks the pipeline deploys, and manifest.json.
// The pipeline's deploy actions read <ecs stack>.json from the build output,
// so the build inside the pipeline must use the json format.
func Outputs(a *Assembly, format string) (*Output, error) {
	format, err := checkFormat(format)
	if err != nil {
		return nil, err
	}
	sys := a.System
	out := &Output{Files: map[string][]byte{}}
	out.Manifest = Manifest{Version: 1, CicdgenVersion: ToolVersion(), Stacks: make([]ManifestStack, 0, len(a.Stacks))}
	if sys != nil {
		out.Manifest.System, out.Manifest.Suffix, out.Manifest.Region = sys.Name, sys.Suffix, sys.Region
		for _, d := range schema.Placeholders(sys) {
			out.Manifest.Placeholders = append(out.Manifest.Placeholders, d.Path+": "+d.Message)
		}
	}
	for _, s := range a.Stacks {
		body := s.Body
		if format == FormatYAML {
			if body, err = JSONToYAML(s.Body); err != nil {
				return nil, fmt.Errorf("convert the template of %s to YAML: %w", s.Name, err)
			}
		}
		file := TemplateFile(s.Name, format)
		out.Files[file] = body
		sum := sha256.Sum256(body)
		params := s.Parameters
		if params == nil {
			params = map[string]Parameter{}
		}
		deps := s.DependsOn
		if deps == nil {
			deps = []string{}
		}
		tags := s.Tags
		if tags == nil {
			tags = map[string]string{}
		}
		out.Manifest.Stacks = append(out.Manifest.Stacks, ManifestStack{
			Name:        s.Name,
			Kind:        s.Kind,
			Environment: s.Environment,
			Account: ManifestAccount{
				Key: s.Account.Key, ID: s.Account.ID, Role: s.Account.Role, Profile: s.Account.Profile,
			},
			Region:                s.Region,
			Template:              file,
			Parameters:            params,
			DependsOn:             deps,
			Tags:                  tags,
			TerminationProtection: s.TerminationProtection,
			SHA256:                hex.EncodeToString(sum[:]),
		})
		if s.Environment != "" && (s.Kind == schema.KindECS(s.Environment) || s.Kind == schema.KindSecrets(s.Environment) && pipelineDeploysSecrets(sys, s.Environment)) {
			cfg, err := templateConfiguration(s)
			if err != nil {
				return nil, fmt.Errorf("template configuration of %s: %w", s.Name, err)
			}
			out.Files[ConfigFile(s.Name)] = cfg
		}
	}
	manifest, err := canonicalJSON(out.Manifest)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", ManifestFile, err)
	}
	out.Files[ManifestFile] = manifest
	return out, nil
}

// templateConfiguration returns the TemplateConfiguration file of an ecs
// stack: its literal parameters except ImageUri (the deploy action passes
// that one) and its tags, so that a pipeline deploy leaves the stack as
// apply made it.
func templateConfiguration(s *Stack) ([]byte, error) {
	cfg := TemplateConfiguration{Parameters: map[string]string{}, Tags: map[string]string{}}
	for name, p := range s.Parameters {
		if name == ImageURIParameter || p.FromOutput != nil {
			continue
		}
		cfg.Parameters[name] = p.Value
	}
	for k, v := range s.Tags {
		cfg.Tags[k] = v
	}
	return canonicalJSON(cfg)
}

// WriteOutput writes the assembly into dir in format (see Outputs), atomically:
// everything is written into a new directory beside dir, which then replaces
// dir. On error the previous content of dir is untouched and no partial
// directory is left. It refuses to replace a dir that is neither empty nor a
// previous build output (one holding manifest.json).
func WriteOutput(dir string, a *Assembly, format string) error {
	out, err := Outputs(a, format)
	if err != nil {
		return err
	}
	return out.Write(dir)
}

// Write writes the files of o into dir atomically, as WriteOutput does.
func (o *Output) Write(dir string) error {
	return writeDirAtomic(dir, o.Files)
}

// writeDirAtomic replaces dir by a directory holding exactly files.
func writeDirAtomic(dir string, files map[string][]byte) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("output directory %s: %w", dir, err)
	}
	parent, base := filepath.Dir(abs), filepath.Base(abs)
	if abs == parent {
		return fmt.Errorf("output directory %s: cannot replace the root directory", dir)
	}
	exists, err := replaceableOutput(abs)
	if err != nil {
		return fmt.Errorf("output directory %s: %w", dir, err)
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", parent, err)
	}
	tmp, err := os.MkdirTemp(parent, "."+base+".tmp-")
	if err != nil {
		return fmt.Errorf("create a temporary output directory: %w", err)
	}
	done := false
	defer func() {
		if !done {
			os.RemoveAll(tmp)
		}
	}()
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("create a temporary output directory: %w", err)
	}
	previous := ""
	if exists {
		previous = abs
	}
	if err := writeFiles(tmp, files, previous); err != nil {
		return err
	}
	if !exists {
		if err := os.Rename(tmp, abs); err != nil {
			return fmt.Errorf("move the output into %s: %w", dir, err)
		}
		done = true
		return nil
	}
	old := tmp + ".old"
	if err := os.Rename(abs, old); err != nil {
		return fmt.Errorf("move the previous output %s aside: %w", dir, err)
	}
	if err := os.Rename(tmp, abs); err != nil {
		if rerr := os.Rename(old, abs); rerr != nil {
			return fmt.Errorf("move the output into %s: %w (and restore the previous output from %s: %v)", dir, err, old, rerr)
		}
		return fmt.Errorf("move the output into %s: %w", dir, err)
	}
	done = true
	if err := os.RemoveAll(old); err != nil {
		return fmt.Errorf("the output is in %s, but removing the previous output %s failed: %w", dir, old, err)
	}
	return nil
}

// replaceableOutput reports whether dir exists; it errs when dir exists but
// is not a directory, or is a directory that is neither empty nor a previous
// build output.
func replaceableOutput(dir string) (bool, error) {
	info, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !info.IsDir() {
		return false, fmt.Errorf("it exists and is not a directory")
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false, err
	}
	if len(entries) == 0 {
		return true, nil
	}
	if m, err := os.Stat(filepath.Join(dir, ManifestFile)); err == nil && m.Mode().IsRegular() {
		return true, nil
	}
	return false, fmt.Errorf("it is not empty and holds no %s, so it is not a cicdgen build output; refusing to replace it", ManifestFile)
}

// ReadManifest decodes a manifest.json.
func ReadManifest(data []byte) (Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return Manifest{}, fmt.Errorf("decode %s: %w", ManifestFile, err)
	}
	if m.Version != 1 {
		return Manifest{}, fmt.Errorf("%s has version %d; this cicdgen reads version 1", ManifestFile, m.Version)
	}
	return m, nil
}

// JSONToYAML converts a JSON document into block-style YAML,
// deterministically: mapping keys in the JSON's sorted order, two-space
// indentation, a trailing newline. Intrinsic functions stay in their long
// form (Fn::Sub: ...), which CloudFormation reads in YAML as in JSON.
//
// Strings are written plain only when no YAML 1.1 or 1.2 reader can take them
// for anything but that string; otherwise double-quoted with JSON's escapes
// (a JSON string is a valid YAML double-quoted scalar), or, for multi-line
// strings that allow it, as a literal block. The emitter is our own rather
// than goccy/go-yaml's, which leaves strings such as 1e3 and .inf plain.
func JSONToYAML(data []byte) ([]byte, error) {
	v, err := decodeJSON(data)
	if err != nil {
		return nil, fmt.Errorf("decode JSON: %w", err)
	}
	var b bytes.Buffer
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 0 {
			b.WriteString("{}\n")
		} else {
			yamlMap(&b, v, 0)
		}
	case []any:
		if len(v) == 0 {
			b.WriteString("[]\n")
		} else {
			yamlList(&b, v, 0)
		}
	default:
		if s, ok := v.(string); ok && literalOK(s) {
			b.WriteString("|" + chomping(s) + "\n")
			yamlLiteral(&b, s, 2)
		} else {
			b.WriteString(yamlScalar(v) + "\n")
		}
	}
	return b.Bytes(), nil
}

func yamlMap(b *bytes.Buffer, m map[string]any, indent int) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	pad := strings.Repeat(" ", indent)
	for _, k := range keys {
		b.WriteString(pad + yamlString(k) + ":")
		yamlValue(b, m[k], indent)
	}
}

func yamlList(b *bytes.Buffer, l []any, indent int) {
	pad := strings.Repeat(" ", indent)
	for _, item := range l {
		if m, ok := item.(map[string]any); ok && len(m) > 0 {
			// "- " then the mapping's first key on the same line.
			var sub bytes.Buffer
			yamlMap(&sub, m, indent+2)
			b.WriteString(pad + "- ")
			b.Write(sub.Bytes()[indent+2:])
			continue
		}
		b.WriteString(pad + "-")
		yamlValue(b, item, indent)
	}
}

// yamlValue writes v after a "key:" or "-" already written at indent.
func yamlValue(b *bytes.Buffer, v any, indent int) {
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 0 {
			b.WriteString(" {}\n")
			return
		}
		b.WriteString("\n")
		yamlMap(b, v, indent+2)
	case []any:
		if len(v) == 0 {
			b.WriteString(" []\n")
			return
		}
		b.WriteString("\n")
		yamlList(b, v, indent+2)
	case string:
		if literalOK(v) {
			b.WriteString(" |" + chomping(v) + "\n")
			yamlLiteral(b, v, indent+2)
			return
		}
		b.WriteString(" " + yamlString(v) + "\n")
	default:
		b.WriteString(" " + yamlScalar(v) + "\n")
	}
}

func yamlScalar(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		if v {
			return "true"
		}
		return "false"
	case json.Number:
		return v.String()
	case string:
		return yamlString(v)
	}
	return yamlString(fmt.Sprint(v))
}

// yamlString returns s as a plain scalar when that is unambiguous, else
// double-quoted.
func yamlString(s string) string {
	if plainOK(s) {
		return s
	}
	q, _ := compactJSON(s) // a string always encodes
	return string(q)
}

// plainWords are the plain scalars that YAML 1.1 or 1.2 reads as booleans or null.
var plainWords = map[string]bool{
	"y": true, "n": true, "yes": true, "no": true, "on": true, "off": true,
	"true": true, "false": true, "null": true, "~": true,
}

// plainOK reports whether s can be written as a plain scalar and still read
// back as the string s.
func plainOK(s string) bool {
	if s == "" || s == "<<" || s == "=" || plainWords[strings.ToLower(s)] {
		return false
	}
	// A leading digit, sign or dot could start a number, a date or a
	// sexagesimal; the others are YAML indicators.
	if strings.ContainsRune("0123456789+-.?:,[]{}#&*!|>'\"%@`~ ", rune(s[0])) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	if strings.HasSuffix(s, " ") || strings.HasSuffix(s, ":") ||
		strings.Contains(s, ": ") || strings.Contains(s, " #") {
		return false
	}
	return true
}

// literalOK reports whether the multi-line string s can be written as a
// literal block scalar and read back unchanged.
func literalOK(s string) bool {
	if !strings.Contains(s, "\n") || s[0] == ' ' || s[0] == '\n' {
		return false
	}
	for _, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		if line != "" && strings.TrimLeft(line, " ") == "" {
			return false // a line of spaces would read back as an empty line
		}
		for _, r := range line {
			if r < 0x20 || r == 0x7f || r > 0x7e {
				return false
			}
		}
	}
	return true
}

// chomping returns the block chomping indicator that keeps s's trailing newlines.
func chomping(s string) string {
	switch n := len(s) - len(strings.TrimRight(s, "\n")); {
	case n == 0:
		return "-"
	case n == 1:
		return ""
	default:
		return "+"
	}
}

func yamlLiteral(b *bytes.Buffer, s string, indent int) {
	pad := strings.Repeat(" ", indent)
	content := strings.TrimSuffix(s, "\n")
	for _, line := range strings.Split(content, "\n") {
		if line == "" {
			b.WriteString("\n")
			continue
		}
		b.WriteString(pad + line + "\n")
	}
}

// writeFiles writes files into dir, several at a time: a build writes a
// template per stack, and the file system calls dominate a small build. A
// file whose bytes equal those of the same name in previous (the output
// being replaced; "" for none) is hard-linked from there instead: creating
// and writing a file costs a hundred times more than a link on common
// disks, and most of a rebuild is unchanged. The error returned is that of
// the first failing file in name order, so it does not depend on scheduling.
func writeFiles(dir string, files map[string][]byte, previous string) error {
	names := make([]string, 0, len(files))
	for name := range files {
		if name != filepath.Base(name) || strings.HasPrefix(name, ".") {
			return fmt.Errorf("write %s: not a plain file name", name)
		}
		names = append(names, name)
	}
	sort.Strings(names)
	errs := make([]error, len(names))
	workers := min(len(names), 2*runtime.GOMAXPROCS(0))
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if previous != "" && linkUnchanged(filepath.Join(previous, names[i]), filepath.Join(dir, names[i]), files[names[i]]) {
					continue
				}
				if err := os.WriteFile(filepath.Join(dir, names[i]), files[names[i]], 0o644); err != nil {
					errs[i] = fmt.Errorf("write %s: %w", names[i], err)
				}
			}
		}()
	}
	for i := range names {
		next <- i
	}
	close(next)
	wg.Wait()
	return firstError(errs)
}

// linkUnchanged hard-links old to name when old is a regular file, with the
// mode build gives its files, holding exactly data; it reports whether it
// did. Any failure (no such file, another file system, no hard links) just
// means the caller writes the file.
func linkUnchanged(old, name string, data []byte) bool {
	info, err := os.Lstat(old)
	if err != nil || !info.Mode().IsRegular() || info.Mode().Perm() != 0o644 || info.Size() != int64(len(data)) {
		return false
	}
	current, err := os.ReadFile(old)
	if err != nil || !bytes.Equal(current, data) {
		return false
	}
	return os.Link(old, name) == nil
}

// firstError returns the first non-nil error of errs, or nil.
func firstError(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
