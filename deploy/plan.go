package deploy

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
)

// PropertyChange is one change of a resource's properties (or tags, or
// metadata), as a change set created with IncludePropertyValues shows it.
type PropertyChange struct {
	// Attribute is what changes: Properties, Tags, Metadata …
	Attribute string `json:"attribute"`
	// Name is the property's name (Tags for tags), Path its JSON path
	// when the implementation gives it.
	Name string `json:"name,omitempty"`
	Path string `json:"path,omitempty"`
	// ChangeType is Add, Remove or Modify (of the attribute).
	ChangeType string `json:"changeType,omitempty"`
	// RequiresRecreation is Never, Conditionally or Always.
	RequiresRecreation string `json:"requiresRecreation,omitempty"`
	Before             string `json:"before,omitempty"`
	After              string `json:"after,omitempty"`
	// CausingEntity is what made it change: a parameter, another
	// resource's attribute.
	CausingEntity string `json:"causingEntity,omitempty"`
}

// propertyChanges converts the details of a resource change.
func propertyChanges(details []types.ResourceChangeDetail) []PropertyChange {
	var out []PropertyChange
	for _, d := range details {
		if d.Target == nil {
			continue
		}
		t := d.Target
		out = append(out, PropertyChange{
			Attribute: string(t.Attribute), Name: aws.ToString(t.Name), Path: aws.ToString(t.Path),
			ChangeType: string(t.AttributeChangeType), RequiresRecreation: string(t.RequiresRecreation),
			Before: aws.ToString(t.BeforeValue), After: aws.ToString(t.AfterValue), CausingEntity: aws.ToString(d.CausingEntity),
		})
	}
	return out
}

// TagsOnly reports whether a change touches nothing but the resource's
// tags (a tag added to system.yaml changes every taggable resource so).
func (c Change) TagsOnly() bool {
	if c.Action != "Modify" || len(c.Details) == 0 {
		return false
	}
	for _, d := range c.Details {
		if d.Attribute != string(types.ResourceAttributeTags) && !(d.Attribute == string(types.ResourceAttributeProperties) && d.Name == "Tags") {
			return false
		}
	}
	return true
}

// ToBeCreated is the Note of a planned stack that does not exist yet and
// cannot have a change set before the stacks it imports from exist.
const ToBeCreated = "to be created"

// planCreate records, for a dry run, that the stack does not exist and
// will be created with every resource of its template; why says why no
// change set shows it ("" when one could not be made for no other reason).
func (d *stackRun) planCreate(why string) {
	d.res.Outcome = Planned
	d.res.Note = ToBeCreated
	if why != "" {
		d.res.Note += " (" + why + ")"
	}
	d.res.Changes = templateResources(d.b.Templates[d.s.Name])
}

// undeployedDependency returns a stack the stack of d depends on that does
// not exist yet, or "": a change set of the stack would fail on its
// imports (CloudFormation checks them when it creates the change set).
func (d *stackRun) undeployedDependency(ctx context.Context) (string, error) {
	for _, dep := range d.s.DependsOn {
		d.mu.Lock()
		_, done := d.outputs[dep]
		d.mu.Unlock()
		if done {
			continue
		}
		st, err := d.describe(ctx, dep)
		if err != nil {
			return "", err
		}
		if st == nil || st.StackStatus == types.StackStatusReviewInProgress {
			return dep, nil
		}
		// Read once: a parameter of a later stack that needs its outputs
		// finds them here (run.output).
		d.keepOutputs(dep, st)
	}
	return "", nil
}

// isMissingImport reports whether err says that a template imports an
// export that does not exist yet. An API error's message is part of its text, and the text around it
// (the operation, the stack's name) cannot contain those words.
func isMissingImport(err error) bool {
	return err != nil && strings.Contains(err.Error(), "No export named")
}

// planNewStack handles the dry run of a stack that does not exist: when a
// stack it depends on does not exist either, no change set can show it,
// and it is planned as to be created with its template's resources. It
// reports whether the stack was so planned.
func (d *stackRun) planNewStack(ctx context.Context) (bool, error) {
	dep, err := d.undeployedDependency(ctx)
	if err != nil || dep == "" {
		return false, err
	}
	d.planCreate(fmt.Sprintf("%s, which it depends on, is not deployed yet", dep))
	return true, nil
}
