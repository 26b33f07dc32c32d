// Package shortlived tunes the Go runtime for a process that lives for
// milliseconds and allocates most of its memory at once, as cicdgen's
// commands do: the garbage collector runs when the heap has grown by 400%
// instead of 100% (unless GOGC is set).
//
// It works from an init function so that the setting holds during the
// initialisation of the packages after it, which allocate a lot (the JSON
// Schema library compiles its meta-schemas): Go initialises packages in
// import-path order as soon as their own imports are, and this one imports
// nothing heavy. cmd/cicdgen imports it for this side effect; a library
// must not.
package shortlived

import (
	"os"
	"runtime/debug"
)

// GCPercent is the garbage collection target it sets.
const GCPercent = 400

func init() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(GCPercent)
	}
}
