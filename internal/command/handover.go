package command

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"

	"github.com/cicdgen/cicdgen/internal/version"
)

// AWSBinary is the name of the binary that runs the commands that call AWS.
// The cicdgen binary does not link the AWS SDK, so that it starts in a few
// milliseconds and a build stays small (README, Performance); it hands
// those commands over to AWSBinary.
const AWSBinary = "cicdgen-aws"

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
			args[1], AWSBinary, installVersion())
		return ExitUsage
	}
	code, err := execBinary(path, append([]string{path}, args[1:]...))
	if err != nil {
		fmt.Fprintf(env.Stderr, "cicdgen: run %s: %v\n", path, err)
		return ExitUsage
	}
	return code
}

// installVersion is the version to install AWSBinary at: this binary's,
// when it is a release.
func installVersion() string {
	if v := version.String(); version.IsRelease(v) {
		return v
	}
	return "latest"
}
