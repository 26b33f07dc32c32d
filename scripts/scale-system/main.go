// Command scale-system prints the system.yaml of N environments (default
// 200) that the compiler's scale tests and benchmarks compile
// (internal/scalesystem), for timing `cicdgen build` of a large system as a
// whole process (make bench-process):
//
//	go run ./scripts/scale-system 200 > scale-200.yaml
package main

import (
	"fmt"
	"os"
	"strconv"

	"github.com/cicdgen/cicdgen/internal/scalesystem"
)

func main() {
	n := 200
	if len(os.Args) > 2 {
		fmt.Fprintln(os.Stderr, "usage: scale-system [N]")
		os.Exit(2)
	}
	if len(os.Args) == 2 {
		v, err := strconv.Atoi(os.Args[1])
		if err != nil || v < 1 {
			fmt.Fprintf(os.Stderr, "scale-system: N must be a positive number of environments, not %q\n", os.Args[1])
			os.Exit(2)
		}
		n = v
	}
	fmt.Print(scalesystem.YAML(n))
}
