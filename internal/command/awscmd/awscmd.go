// Package awscmd is the actions of the cicdgen commands that call AWS
// (apply, diff, preflight, status, destroy). Their definitions are in
// package command; the cicdgen-aws binary runs every command with these
// actions, and the cicdgen binary, which must not link the AWS SDK, hands
// those commands over to it.
package awscmd

import "github.com/cicdgen/cicdgen/internal/command"

// Env is what the commands take from the process (command.Env).
type Env = command.Env

// Main runs cicdgen-aws with args (args[0] is the program name): every
// command of cicdgen, those that call AWS included, and returns the process
// exit code. It refuses a command handed over by a cicdgen of another
// version (command.CheckHandOver).
func Main(args []string, env Env) int {
	if code, refused := command.CheckHandOver(args, env); refused {
		return code
	}
	return command.Run(args, env, actions())
}

// actions are the actions of the commands that call AWS: one for each of
// command.AWSCommands (TestEveryAWSCommandHasAnAction), since command.Run
// does not hand over a command cicdgen-aws has no action for.
func actions() command.Actions {
	return command.Actions{
		"apply":     applyAction,
		"diff":      diffAction,
		"preflight": preflightAction,
		"status":    statusAction,
		"destroy":   destroyAction,
	}
}
