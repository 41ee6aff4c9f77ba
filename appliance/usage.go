package appliance

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// processUsage returns the process's CPU time so far (user and system) and
// its resident memory now. RSS comes from /proc (Linux); elsewhere it is
// the peak that getrusage reports.
func processUsage() (cpuSeconds float64, rssBytes int64) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		cpuSeconds = cpu.Seconds()
		rssBytes = ru.Maxrss * 1024
	}
	if b, err := os.ReadFile("/proc/self/statm"); err == nil {
		if f := strings.Fields(string(b)); len(f) > 1 {
			if pages, err := strconv.ParseInt(f[1], 10, 64); err == nil {
				rssBytes = pages * int64(os.Getpagesize())
			}
		}
	}
	return cpuSeconds, rssBytes
}
