package awscmd

import (
	"regexp"
	"slices"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/cicdgen/cicdgen/deploy"
	"github.com/cicdgen/cicdgen/internal/command"
)

// Package command defines the deploy flags without importing deploy: their
// defaults and the values completion offers for --events are deploy's.
func TestDeployFlagsAgreeWithDeploy(t *testing.T) {
	events, polls := 0, 0
	for _, cmd := range command.NewApp(&Env{}).Commands {
		for _, f := range cmd.Flags {
			switch f := f.(type) {
			case *cli.StringFlag:
				if f.Name != "events" {
					continue
				}
				events++
				if f.Value != string(deploy.EventsAll) {
					t.Errorf("%s --events defaults to %q, want deploy.EventsAll %q", cmd.Name, f.Value, deploy.EventsAll)
				}
			case *cli.DurationFlag:
				if f.Name != "poll-interval" {
					continue
				}
				polls++
				if f.Value != deploy.DefaultPollMin {
					t.Errorf("%s --poll-interval defaults to %s, want deploy.DefaultPollMin %s", cmd.Name, f.Value, deploy.DefaultPollMin)
				}
			}
		}
	}
	if events != 2 || polls != 3 {
		t.Errorf("%d --events flags (want apply's and diff's), %d --poll-interval flags (want apply's, diff's and destroy's)", events, polls)
	}
	code, stdout, stderr := runCLI(t, "completion", "fish")
	if code != 0 {
		t.Fatalf("completion fish: exit %d\n%s", code, stderr)
	}
	m := regexp.MustCompile(`(?m)'__fish_seen_subcommand_from apply' -l events -x -a '([^']*)'`).FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("no completion of apply's --events in:\n%s", stdout)
	}
	got := regexp.MustCompile(`\S+`).FindAllString(m[1], -1)
	want := []string{string(deploy.EventsAll), string(deploy.EventsFailed), string(deploy.EventsNone)}
	if !slices.Equal(got, want) {
		t.Errorf("completion offers --events %v, want deploy's %v", got, want)
	}
}
