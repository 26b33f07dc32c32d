package awscmd

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cicdgen/cicdgen/internal/fakeaws"
)

// lockedBuffer is a bytes.Buffer that a process writes while the test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitFor polls cond until it holds, and fails the test if it still does
// not after 30 s: a hang guard, not a measure of speed.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A first Ctrl-C lets apply clean up (here it waits for a change set that
// is being created, to delete it); a second one exits at once with 130.
// cicdgen runs as its own process, the test binary in the role (see
// TestMain), so that its os.Exit ends only it.
func TestApplyExitsAtOnceOnASecondInterrupt(t *testing.T) {
	bin, err := exec.LookPath("cicdgen")
	if err != nil {
		t.Fatalf("cicdgen is not in PATH, where TestMain puts it: %v", err)
	}
	fake, file := deployFixture(t)
	// CreateChangeSet is not answered while the process lives: exiting at
	// once is the only way the test ends before its hang guard.
	fake.SetLatency("CreateChangeSet", time.Hour)
	cmd := exec.Command(bin, "apply", file, "--stack", "secrets-dev", "--no-deps")
	cmd.Env = os.Environ()
	var stdout, stderr lockedBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	waitFor(t, "CreateChangeSet", func() bool { return fake.CallCount("CreateChangeSet") > 0 })
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first interrupt to be seen", func() bool { return strings.Contains(stderr.String(), "Ctrl-C again to exit at once") })
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err = <-exited:
	case <-time.After(30 * time.Second): // a hang guard, not a measure of speed
		t.Fatalf("still running 30s after the second interrupt\nstderr:\n%s", stderr.String())
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("exit %v, want 130\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	if !strings.Contains(stderr.String(), "interrupted again; exiting now") {
		t.Errorf("stderr:\n%s", stderr.String())
	}
}

// A question waits for its answer, but not past Ctrl-C: the context ends it.
func TestPrompterStopsAtTheInterrupt(t *testing.T) {
	r, w := io.Pipe()
	defer w.Close()
	var out bytes.Buffer
	ask, stop := prompter(&Env{Stdin: r, Stdout: &out})
	defer stop()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	if _, err := ask(ctx, "Delete it?"); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	// The next question reads the next line.
	go io.WriteString(w, "yes\n")
	ok, err := ask(context.Background(), "Delete it?")
	if err != nil || !ok {
		t.Errorf("answer %v, %v; want yes", ok, err)
	}
	if !strings.Contains(out.String(), "Delete it? [y/N] ") {
		t.Errorf("output %q", out.String())
	}
}

// A line that comes after its question was cancelled, with no question
// after it, leaves no goroutine behind once the prompt is stopped; and the
// prompt reads no line ahead of a question.
func TestPrompterLeavesNoGoroutineBehind(t *testing.T) {
	cases := map[string]func(t *testing.T, ask func(context.Context, string) (bool, error), w *io.PipeWriter){
		"a question cancelled, then its line": func(t *testing.T, ask func(context.Context, string) (bool, error), w *io.PipeWriter) {
			ctx, cancel := context.WithCancel(t.Context())
			asked := make(chan error)
			go func() {
				_, err := ask(ctx, "Delete it?")
				asked <- err
			}()
			synctest.Wait() // the question waits for its line
			cancel()
			if err := <-asked; !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v, want context.Canceled", err)
			}
			go io.WriteString(w, "yes\n")
			synctest.Wait()
		},
		"a question answered, then more input": func(t *testing.T, ask func(context.Context, string) (bool, error), w *io.PipeWriter) {
			go io.WriteString(w, "y\n")
			if ok, err := ask(t.Context(), "Delete it?"); !ok || err != nil {
				t.Fatalf("answer %v, %v; want yes", ok, err)
			}
			wrote := make(chan struct{})
			go func() {
				io.WriteString(w, "n\n") // nobody reads it: no question asked
				close(wrote)
			}()
			synctest.Wait()
			select {
			case <-wrote:
				t.Error("the prompt read a line no question asked for")
			default:
			}
			w.CloseWithError(io.ErrClosedPipe) // lets the writer go
		},
		"no question at all": func(*testing.T, func(context.Context, string) (bool, error), *io.PipeWriter) {},
	}
	for name, run := range cases {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r, w := io.Pipe()
				ask, stop := prompter(&Env{Stdin: r, Stdout: io.Discard})
				run(t, ask, w)
				stop()
				// synctest.Test fails if a goroutine of the bubble is
				// still blocked when the function returns.
			})
		})
	}
}

// blockingWriter blocks every write until release is closed.
type blockingWriter struct {
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

func (b *blockingWriter) Write(p []byte) (int, error) {
	b.once.Do(func() { close(b.entered) })
	<-b.release
	return len(p), nil
}

// Stopping the watch for a second interrupt waits until the watching
// goroutine has ended: nothing writes to stderr once it returns (once Main
// has returned).
func TestStoppingTheInterruptWatchWaitsForIt(t *testing.T) {
	// The goroutines that deliver signals start with the process's first
	// signal.Notify and would belong to the bubble if it were in it: start
	// them outside.
	warm := make(chan os.Signal, 1)
	signal.Notify(warm, syscall.SIGINT)
	signal.Stop(warm)
	synctest.Test(t, func(t *testing.T) {
		stderr := &blockingWriter{entered: make(chan struct{}), release: make(chan struct{})}
		ctx, cancel := context.WithCancel(context.Background())
		stop := exitOnSecondInterrupt(ctx, &Env{Stderr: stderr})
		cancel()
		<-stderr.entered // the goroutine is writing "interrupted; cleaning up"
		stopped := make(chan struct{})
		go func() {
			stop()
			close(stopped)
		}()
		// Every other goroutine of the bubble is blocked for good: a stop
		// that did not wait for the writer would have returned by now.
		synctest.Wait()
		select {
		case <-stopped:
			t.Error("stop returned while the goroutine was still writing to stderr")
		default:
		}
		close(stderr.release) // lets the writer, and so stop, go
		<-stopped
	})
}

// A system in one account needs neither role nor profile: the caller's
// credentials reach it.
func TestApplyCommandSingleAccountWithoutRoles(t *testing.T) {
	fake, _ := deployFixture(t)
	file := filepath.Join(t.TempDir(), "system.yaml")
	sys := strings.NewReplacer("418273645091", toolingAccount).Replace(singleAccountSystem)
	if err := os.WriteFile(file, []byte(sys), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, "apply", file, "--poll-interval", "5ms")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if got := fake.Stacks(toolingAccount, "eu-central-1"); len(got) != 5 {
		t.Errorf("stacks in the account: %v, want the five stacks of the system", got)
	}
	if n := len(fake.Sessions()); n != 0 {
		t.Errorf("AssumeRole called %d times", n)
	}
}

const singleAccountSystem = `version: 1
name: blog
suffix: main
region: eu-central-1
accounts:
  tooling: "418273645091"
  web: "418273645091"
source:
  connection: arn:aws:codeconnections:eu-central-1:418273645091:connection/6f1c2d3e-4b5a-4c7d-9e8f-0a1b2c3d4e5f
  repository: acme-labs/blog
service:
  name: blog
  port: 3000
  deployment: rolling
  desired_count: 1
  secrets: {TOKEN: managed}
network:
  nat_gateways: 1
environments:
  - name: live
    account: web
`

// apply against an implementation unlike fakeaws's usual answers (events
// oldest first and without ids, no termination protection call, stacks
// that appear only when their change set runs, a status that lags behind
// the execution): every stack lands in its account and region with its
// tags, a second run executes nothing, and a failure exits 3 naming the
// resource.
func TestApplyCommandAgainstAnotherImplementation(t *testing.T) {
	quirks := fakeaws.Quirks{OldestEventsFirst: true, BareEvents: true, NoTerminationProtection: true, HiddenReview: true,
		NoChangeSetID: true, StaleStatus: 20 * time.Millisecond}
	t.Run("a first create, then a second run that executes nothing", func(t *testing.T) {
		fake, file := deployFixture(t)
		fake.SetQuirks(quirks)
		code, stdout, stderr := runCLI(t, "apply", file, "--poll-interval", "5ms")
		if code != 0 {
			t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
		}
		for name, where := range map[string][2]string{
			"shop-pipeline-x": {toolingAccount, "us-east-1"}, "shop-artifacts-us-west-2-x": {toolingAccount, "us-west-2"},
			"shop-ecs-staging-x": {stagingAccount, "us-east-1"}, "shop-ecs-prod-x": {prodAccount, "us-west-2"},
		} {
			info, ok := fake.Stack(where[0], where[1], name)
			if !ok || info.Status != "CREATE_COMPLETE" || info.Tags["team"] != "platform" || len(info.Capabilities) != 2 {
				t.Errorf("%s in %s/%s: %+v", name, where[0], where[1], info)
			}
		}
		executed := fake.CallCount("ExecuteChangeSet")
		if code, stdout, stderr := runCLI(t, "apply", file, "--poll-interval", "5ms"); code != 0 || fake.CallCount("ExecuteChangeSet") != executed {
			t.Errorf("second run: exit %d, %d executions\n%s\n%s", code, fake.CallCount("ExecuteChangeSet")-executed, stdout, stderr)
		}
	})
	t.Run("a failing resource exits 3 and is named", func(t *testing.T) {
		fake, file := deployFixture(t)
		fake.SetQuirks(quirks)
		fake.FailResource("shop-roles-dev-x", "DeployRole", "Resource handler returned message: \"Access Denied\"")
		code, stdout, stderr := runCLI(t, "apply", file, "--poll-interval", "5ms")
		if code != 3 || !strings.Contains(stderr, "stack shop-roles-dev-x (310987654321, us-east-1) failed: DeployRole (AWS::IAM::Role) CREATE_FAILED") {
			t.Errorf("exit %d\n%s\n%s", code, stdout, stderr)
		}
	})
}
