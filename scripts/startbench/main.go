// Command startbench measures a command as a whole process: it runs it
// several times and prints the median, minimum and maximum wall-clock time
// and the largest peak resident set size (the kernel's maxrss) of the runs.
//
//	go run ./scripts/startbench -n 30 -- ./bin/cicdgen --version
//
// Several commands may be given, separated by "---"; their runs are
// interleaved, so that a change in the machine's load hits each alike. A
// command written after "xK" (x20 cicdgen build ...) runs K times in each of
// the n rounds, for a fast command beside a slow one. The last line says how
// many times faster than the first command each other one is, by medians.
//
// With -evict (the default), the executables' pages are first dropped from
// the page cache, so that every binary is read from disk alike. It matters
// for the peak RSS: Linux maps a whole large folio of a file on one page
// fault, so a binary just written by the linker, whose folios are larger,
// shows several MiB more resident than the same binary read back from disk.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "startbench:", err)
		os.Exit(1)
	}
}

// sample is one measured run.
type sample struct {
	wall   time.Duration
	cpu    time.Duration // user and system time, of the process and the children it waited for
	maxRSS int64         // bytes
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("startbench", flag.ContinueOnError)
	runs := fs.Int("n", 20, "runs of each command")
	warmup := fs.Int("warmup", 2, "unmeasured runs of each command first")
	evict := fs.Bool("evict", true, "drop the executables from the page cache first")
	if err := fs.Parse(args); err != nil {
		return err
	}
	commands, repeats := splitCommands(fs.Args())
	if len(commands) == 0 {
		return errors.New("usage: startbench [-n runs] [-warmup runs] -- command [args] [--- command [args]]...")
	}
	if *evict {
		for _, c := range commands {
			if err := evictFromPageCache(c[0]); err != nil {
				return err
			}
		}
	}
	for i := 0; i < *warmup; i++ {
		for _, c := range commands {
			if _, err := measure(c); err != nil {
				return err
			}
		}
	}
	samples := make([][]sample, len(commands))
	for i := 0; i < *runs; i++ {
		for j, c := range commands {
			for k := 0; k < repeats[j]; k++ {
				s, err := measure(c)
				if err != nil {
					return err
				}
				samples[j] = append(samples[j], s)
			}
		}
	}
	medians := make([]time.Duration, len(commands))
	for j, c := range commands {
		var line string
		line, medians[j] = summarize(samples[j])
		fmt.Fprintf(out, "%s\n  %s\n", strings.Join(c, " "), line)
	}
	for j := 1; j < len(commands); j++ {
		fmt.Fprintf(out, "command %d is %.1fx faster than command 1 (medians)\n", j+1, float64(medians[0])/float64(medians[j]))
	}
	return nil
}

// splitCommands cuts args at each "---" and reads each command's "xK".
func splitCommands(args []string) (commands [][]string, repeats []int) {
	var cur []string
	flush := func() {
		if len(cur) == 0 {
			return
		}
		k := 1
		if n, err := strconv.Atoi(strings.TrimPrefix(cur[0], "x")); err == nil && strings.HasPrefix(cur[0], "x") && n > 0 && len(cur) > 1 {
			k, cur = n, cur[1:]
		}
		commands, repeats = append(commands, cur), append(repeats, k)
		cur = nil
	}
	for _, a := range args {
		if a == "---" {
			flush()
			continue
		}
		cur = append(cur, a)
	}
	flush()
	return commands, repeats
}

// evictFromPageCache drops the cached pages of executable name.
func evictFromPageCache(name string) error {
	path, err := exec.LookPath(name)
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED); err != nil {
		return fmt.Errorf("evict %s from the page cache: %w", path, err)
	}
	return nil
}

// measure runs the command once, its output discarded.
func measure(command []string) (sample, error) {
	cmd := exec.Command(command[0], command[1:]...)
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		return sample{}, fmt.Errorf("%s: %w", strings.Join(command, " "), err)
	}
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = int64(ru.Maxrss) * 1024 // kilobytes on Linux
	}
	cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	return sample{wall: wall, cpu: cpu, maxRSS: rss}, nil
}

// summarize reports the median, fastest and slowest run and peak memory.
func summarize(s []sample) (string, time.Duration) {
	walls := make([]time.Duration, len(s))
	cpus := make([]time.Duration, len(s))
	var rss []int64
	for i, x := range s {
		walls[i], cpus[i] = x.wall, x.cpu
		rss = append(rss, x.maxRSS)
	}
	slices.Sort(walls)
	slices.Sort(cpus)
	slices.Sort(rss)
	mib := func(b int64) float64 { return float64(b) / (1 << 20) }
	median := medianOf(walls)
	return fmt.Sprintf("runs %d  wall median %s  min %s  max %s  cpu median %s  peak RSS median %.1f MiB, max %.1f MiB",
		len(s), round(median), round(walls[0]), round(walls[len(walls)-1]), round(medianOf(cpus)),
		mib(rss[len(rss)/2]), mib(rss[len(rss)-1])), median
}

// medianOf returns the median of sorted durations.
func medianOf(sorted []time.Duration) time.Duration {
	n := len(sorted)
	if n%2 == 0 {
		return (sorted[n/2-1] + sorted[n/2]) / 2
	}
	return sorted[n/2]
}

func round(d time.Duration) time.Duration {
	if d > time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(10 * time.Microsecond)
}
