package command

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/cicdgen/cicdgen/compiler"
	"github.com/cicdgen/cicdgen/diag"
	"github.com/cicdgen/cicdgen/internal/version"
	"github.com/cicdgen/cicdgen/manifest"
)

// DocumentVersion is the version of the shape of the JSON documents that
// `--format json` prints (docs/json.md). It changes only when a field is
// removed or changes meaning; new fields keep it.
const DocumentVersion = 1

// DocHeader opens every JSON document: what it is, which cicdgen wrote it,
// and the diagnostics of the input. A command's document embeds it and adds
// its own fields; reporter.conclude fills it in. Lists are never null.
type DocHeader struct {
	Version     int                   `json:"version"`
	Command     string                `json:"command"`
	Cicdgen     string                `json:"cicdgen"`
	Diagnostics []diag.JSONDiagnostic `json:"diagnostics"`
	Errors      int                   `json:"errors"`
	Warnings    int                   `json:"warnings"`
	// Error is what stopped the command when diagnostics do not say it (an
	// AWS configuration that cannot be loaded, a selection naming nothing).
	Error string `json:"error,omitempty"`
}

// Document is a command's JSON document: a struct embedding docHeader.
type Document interface{ header() *DocHeader }

func (h *DocHeader) header() *DocHeader { return h }

// Fill sets the header of command's document with the diagnostics ds,
// sorted and de-duplicated as every format shows them.
func (h *DocHeader) Fill(command string, ds diag.Diagnostics) {
	ds = ds.Normalize()
	h.Version = DocumentVersion
	h.Command = command
	h.Cicdgen = version.String()
	h.Diagnostics = diag.ToJSON(ds)
	h.Errors, h.Warnings = ds.Count()
}

// WriteDocument writes doc as indented JSON, ending in a newline.
func WriteDocument(w io.Writer, doc Document) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write the JSON document: %w", err)
	}
	return nil
}

// validateDocument is the document of validate: a verdict per file.
type validateDocument struct {
	DocHeader
	Files []fileVerdict `json:"files"`
}

// fileVerdict says whether one FILE of validate is valid (no errors).
type fileVerdict struct {
	File  string `json:"file"`
	Valid bool   `json:"valid"`
}

// stackEntry is one stack of a compiled system, in build's and graph's
// documents.
type stackEntry struct {
	Name        string   `json:"name"`
	Kind        string   `json:"kind"`
	Environment string   `json:"environment,omitempty"`
	Account     string   `json:"account"` // the account's key in system.yaml
	AccountID   string   `json:"accountId"`
	Region      string   `json:"region"`
	Template    string   `json:"template,omitempty"` // build: the file written, relative to output
	DependsOn   []string `json:"dependsOn"`
}

// stackEntries lists the stacks of a, in deployment order; templateFormat
// non-empty names each stack's template file in that format.
func stackEntries(a *compiler.Assembly, templateFormat string) []stackEntry {
	out := make([]stackEntry, 0, len(a.Stacks))
	for _, s := range a.Stacks {
		e := stackEntry{
			Name:        s.Name,
			Kind:        s.Kind,
			Environment: s.Environment,
			Account:     s.Account.Key,
			AccountID:   s.Account.ID,
			Region:      s.Region,
			DependsOn:   append([]string{}, s.DependsOn...),
		}
		if templateFormat != "" {
			e.Template = manifest.TemplateFile(s.Name, templateFormat)
		}
		out = append(out, e)
	}
	return out
}

// buildDocument is the document of build: where the output went and its
// stacks. Output is empty and Stacks empty when nothing was written.
type buildDocument struct {
	DocHeader
	Output   string       `json:"output,omitempty"`
	Manifest string       `json:"manifest,omitempty"`
	Stacks   []stackEntry `json:"stacks"`
}

// graphDocument is the document of graph: the stacks with their
// dependencies, and the graph in --graph-format.
type graphDocument struct {
	DocHeader
	GraphFormat string       `json:"graphFormat"`
	Graph       string       `json:"graph"`
	Stacks      []stackEntry `json:"stacks"`
}
