package schema

import (
	"regexp"
	"sync"
)

// lazyRegexp returns a function that compiles expr on its first call and
// returns the same *regexp.Regexp on every call. Package-level expressions
// use it so that a process pays only for those its input needs, instead of
// compiling all of them during package initialisation. expr is a constant
// of this package, so MustCompile cannot panic on user input.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}
