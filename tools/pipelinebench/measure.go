package pipelinebench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// clockTicks is USER_HZ, the unit of utime/stime in /proc/PID/stat (100 on Linux).
const clockTicks = 100

// ProcCPU is the user+system CPU time a process has used, from /proc/PID/stat.
func ProcCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("read cpu of %d: %w", pid, err)
	}
	// the command name may hold spaces: fields start after the last ')'
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 13 {
		return 0, fmt.Errorf("read cpu of %d: short stat line", pid)
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / clockTicks, nil
}

// TreeCPU is the CPU time of a process, of its reaped children (cutime, cstime) and of its live
// children: for PostgreSQL's postmaster, the whole cluster.
func TreeCPU(pid int) (time.Duration, error) {
	own, err := statFields(pid)
	if err != nil {
		return 0, err
	}
	total := ticks(own[11]) + ticks(own[12]) + ticks(own[13]) + ticks(own[14])
	for _, c := range Children(pid) {
		if f, err := statFields(c); err == nil {
			total += ticks(f[11]) + ticks(f[12])
		}
	}
	return total, nil
}

// Children lists the live children of pid (from /proc/PID/task/*/children).
func Children(pid int) []int {
	var out []int
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	for _, t := range tasks {
		b, _ := os.ReadFile(t)
		for _, f := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(f); err == nil {
				out = append(out, n)
			}
		}
	}
	return out
}

// statFields are the fields of /proc/PID/stat after the command name (f[0] is the state).
func statFields(pid int) ([]string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, fmt.Errorf("read stat of %d: %w", pid, err)
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 22 {
		return nil, fmt.Errorf("read stat of %d: short line", pid)
	}
	return f, nil
}

func ticks(s string) time.Duration {
	n, _ := strconv.ParseInt(s, 10, 64)
	return time.Duration(n) * time.Second / clockTicks
}

// RSS is a process's resident set in bytes (statm), 0 when gone.
func RSS(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/statm", pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	n, _ := strconv.ParseInt(f[1], 10, 64)
	return n * int64(os.Getpagesize())
}

// FindPID finds the process whose command line holds every one of parts (0 when none).
func FindPID(parts ...string) int {
	dirs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, d := range dirs {
		b, err := os.ReadFile(d)
		if err != nil || len(b) == 0 {
			continue
		}
		cmd := strings.ReplaceAll(string(b), "\x00", " ")
		ok := true
		for _, p := range parts {
			if !strings.Contains(cmd, p) {
				ok = false
				break
			}
		}
		if ok {
			pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(d)))
			return pid
		}
	}
	return 0
}

// MachineCPU is the busy and total jiffies of all CPUs, from /proc/stat.
func MachineCPU() (busy, total int64) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		return 0, 0
	}
	fields := strings.Fields(sc.Text())[1:]
	for i, v := range fields {
		n, _ := strconv.ParseInt(v, 10, 64)
		total += n
		if i != 3 && i != 4 { // idle, iowait
			busy += n
		}
	}
	return busy, total
}

// LoadAvg is the first three fields of /proc/loadavg.
func LoadAvg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// SumMetric adds every sample of the named metric (any labels) in a Prometheus text page.
func SumMetric(ctx context.Context, url, name string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", url, err)
	}
	defer resp.Body.Close()
	return sumMetric(resp.Body, name), nil
}

func sumMetric(r io.Reader, name string) float64 {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 4<<20)
	var sum float64
	for sc.Scan() {
		line := sc.Text()
		rest, ok := strings.CutPrefix(line, name)
		if !ok || rest == "" || (rest[0] != ' ' && rest[0] != '{') {
			continue
		}
		f := strings.Fields(rest[strings.LastIndexByte(rest, '}')+1:])
		if len(f) == 0 {
			continue
		}
		if v, err := strconv.ParseFloat(f[0], 64); err == nil {
			sum += v
		}
	}
	return sum
}

// RedisUsedMemory is INFO memory's used_memory in bytes.
func RedisUsedMemory(ctx context.Context, rdb *redis.Client) (int64, error) {
	s, err := rdb.Info(ctx, "memory").Result()
	if err != nil {
		return 0, fmt.Errorf("redis info memory: %w", err)
	}
	for _, line := range strings.Split(s, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
			return strconv.ParseInt(v, 10, 64)
		}
	}
	return 0, fmt.Errorf("redis info memory: no used_memory")
}

// TaskMemory is the mean MEMORY USAGE of up to 20 retained task hashes of type typ in queue
// (asynq keeps a finished task for its retention), and how many were measured.
func TaskMemory(ctx context.Context, rdb *redis.Client, queue, typ string) (float64, int, error) {
	var sum int64
	n := 0
	iter := rdb.Scan(ctx, 0, "asynq:{"+queue+"}:t:*", 500).Iterator()
	for iter.Next(ctx) && n < 20 {
		key := iter.Val()
		t, err := rdb.HGet(ctx, key, "msg").Bytes()
		if err != nil || !strings.Contains(string(t), typ) {
			continue
		}
		m, err := rdb.MemoryUsage(ctx, key, 0).Result()
		if err != nil {
			return 0, 0, fmt.Errorf("memory usage of %s: %w", key, err)
		}
		sum += m
		n++
	}
	if err := iter.Err(); err != nil {
		return 0, 0, err
	}
	if n == 0 {
		return 0, 0, nil
	}
	return float64(sum) / float64(n), n, nil
}

// Percentile is the nearest-rank p-th percentile (0 < p ≤ 100) of vs; 0 for none.
func Percentile(vs []float64, p float64) float64 {
	if len(vs) == 0 {
		return 0
	}
	s := append([]float64(nil), vs...)
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	rank := int(p/100*float64(len(s))+0.999999) - 1
	return s[min(max(rank, 0), len(s)-1)]
}
