package command

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/cicdgen/cicdgen/internal/version"
)

// AWSBinary is the name of the binary that runs the commands that call AWS.
// The cicdgen binary does not link the AWS SDK, so that it starts in a few
// milliseconds and a build stays small (README, Performance); it hands
// those commands over to AWSBinary.
const AWSBinary = "cicdgen-aws"

// HandedOverByVar is the environment variable through which cicdgen tells
// AWSBinary its version when it hands a command over: AWSBinary refuses to
// run for a cicdgen of another version (CheckHandOver), which would
// otherwise deploy what its own compiler, not the user's cicdgen, builds.
const HandedOverByVar = "CICDGEN_HANDED_OVER_BY"

// isAWSCommand reports whether name is a command that calls AWS.
func isAWSCommand(name string) bool { return slices.Contains(AWSCommands(), name) }

// awsBinaryFile is AWSBinary's file name on this system.
func awsBinaryFile() string {
	if runtime.GOOS == "windows" {
		return AWSBinary + ".exe"
	}
	return AWSBinary
}

// errNoAWSBinary says that AWSBinary was found neither next to the running
// executable nor on PATH.
var errNoAWSBinary = errors.New(AWSBinary + " not found")

// findAWSBinary returns the path of AWSBinary: the one in the directory of
// self (the running executable, symbolic links resolved), else the one
// lookPath finds on PATH.
func findAWSBinary(self string, lookPath func(string) (string, error)) (string, error) {
	if self != "" {
		if resolved, err := filepath.EvalSymlinks(self); err == nil {
			candidate := filepath.Join(filepath.Dir(resolved), awsBinaryFile())
			if fi, err := os.Stat(candidate); err == nil && fi.Mode().IsRegular() && (runtime.GOOS == "windows" || fi.Mode().Perm()&0o111 != 0) {
				return candidate, nil
			}
		}
	}
	if path, err := lookPath(awsBinaryFile()); err == nil {
		return path, nil
	}
	return "", errNoAWSBinary
}

// handOver runs args (a command that calls AWS) with AWSBinary and returns
// its exit code. On Unix AWSBinary replaces this process, so signals,
// Ctrl-C and the exit code are its own and handOver returns only when it
// could not start; elsewhere it runs as a child with the same streams.
// When AWSBinary is missing it says how to install it and returns
// exitUsage.
func handOver(args []string, env Env) int {
	self, _ := os.Executable()
	path, err := findAWSBinary(self, exec.LookPath)
	if err != nil {
		fmt.Fprintf(env.Stderr, "cicdgen: %s needs the %s binary, found neither next to cicdgen nor on PATH; install both: go install github.com/cicdgen/cicdgen/cmd/...@%s\n",
			args[1], AWSBinary, installVersionOf(version.String()))
		return ExitUsage
	}
	environ := handOverEnviron(os.Environ(), version.String())
	code, err := execBinary(path, append([]string{path}, args[1:]...), environ)
	if err != nil {
		fmt.Fprintf(env.Stderr, "cicdgen: run %s: %v\n", path, err)
		return ExitUsage
	}
	return code
}

// handOverEnviron returns environ with HandedOverByVar set to version, in
// place of any value it had (the first of duplicate entries is the one a
// process reads).
func handOverEnviron(environ []string, version string) []string {
	out := make([]string, 0, len(environ)+1)
	for _, kv := range environ {
		if !strings.HasPrefix(kv, HandedOverByVar+"=") {
			out = append(out, kv)
		}
	}
	return append(out, HandedOverByVar+"="+version)
}

// CheckHandOver returns the exit code and true when this binary (AWSBinary)
// must not run because the cicdgen that handed the command over to it is
// another version; it then says so on env.Stderr, with how to install both
// at one version. A command not handed over (AWSBinary run directly) is
// never refused. It removes HandedOverByVar from the process's
// environment, which the processes it starts inherit.
func CheckHandOver(args []string, env Env) (int, bool) {
	by := ""
	if env.Getenv != nil {
		by = env.Getenv(HandedOverByVar)
	}
	// The processes this one starts must not take the check for theirs.
	os.Unsetenv(HandedOverByVar)
	own := version.String()
	if by == "" || by == own {
		return 0, false
	}
	self, err := os.Executable()
	if err != nil {
		self = AWSBinary
	}
	command := "the command"
	if len(args) > 1 {
		command = args[1]
	}
	fmt.Fprintf(env.Stderr, "cicdgen: cicdgen %s handed %s over to %s, which is version %s; the two must be one version, or it would deploy what its own compiler builds: install both: go install github.com/cicdgen/cicdgen/cmd/...@%s\n",
		by, command, self, own, installVersionOf(by))
	return ExitUsage, true
}

// installVersionOf is the version to install cicdgen and AWSBinary at,
// for the cicdgen of version v: v when it is a release, else latest.
func installVersionOf(v string) string {
	if version.IsRelease(v) {
		return v
	}
	return "latest"
}
