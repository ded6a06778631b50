package chaos

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wardops/wardops/testinfra/testenv"
)

// Proc is one WardOps binary run as a process, its output appended to a log file. It can be
// signalled, killed, waited for and started again with the same environment.
type Proc struct {
	t    testing.TB
	Name string
	bin  string
	args []string
	env  []string
	log  string
	cmd  *exec.Cmd
	done chan struct{}
	err  error
	// MetricsURL is the process's /metrics (empty when it has none).
	MetricsURL string
}

// NewProc prepares a process of binary bin (not started). env holds only what the process gets:
// PATH and HOME are added, nothing else of the test's environment leaks in.
func NewProc(t testing.TB, name, bin, logDir string, env map[string]string, args ...string) *Proc {
	testenv.SkipShort(t, "the WardOps binaries as processes")
	p := &Proc{t: t, Name: name, bin: bin, args: args, log: filepath.Join(logDir, name+".log")}
	p.env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir()}
	for k, v := range env {
		p.env = append(p.env, k+"="+v)
	}
	t.Cleanup(func() { p.stopQuiet() })
	return p
}

// Start starts the process.
func (p *Proc) Start() {
	p.t.Helper()
	if p.Running() {
		p.t.Fatalf("%s is already running", p.Name)
	}
	lf, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		p.t.Fatal(err)
	}
	fmt.Fprintf(lf, "---- start %s %s\n", time.Now().UTC().Format(time.RFC3339Nano), p.Name)
	cmd := exec.Command(p.bin, p.args...)
	cmd.Env, cmd.Stdout, cmd.Stderr = p.env, lf, lf
	if err := testenv.StartOwned(cmd); err != nil {
		lf.Close()
		p.t.Fatalf("start %s: %v", p.Name, err)
	}
	p.cmd, p.done, p.err = cmd, make(chan struct{}), nil
	go func() {
		p.err = cmd.Wait()
		lf.Close()
		close(p.done)
	}()
}

// Running reports whether the process was started and has not exited.
func (p *Proc) Running() bool {
	if p.cmd == nil {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// PID is the process id (0 when not running).
func (p *Proc) PID() int {
	if !p.Running() {
		return 0
	}
	return p.cmd.Process.Pid
}

// Signal sends sig to the process.
func (p *Proc) Signal(sig syscall.Signal) {
	p.t.Helper()
	if !p.Running() {
		p.t.Fatalf("signal %v to %s: not running", sig, p.Name)
	}
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("signal %v to %s: %v", sig, p.Name, err)
	}
}

// Wait waits up to limit for the process to exit and returns its exit code (-1 when killed by
// a signal) and how long it took.
func (p *Proc) Wait(limit time.Duration) (code int, took time.Duration, err error) {
	start := time.Now()
	if p.cmd == nil {
		return 0, 0, errors.New("never started")
	}
	select {
	case <-p.done:
	case <-time.After(limit):
		return 0, time.Since(start), fmt.Errorf("%s still running after %s", p.Name, limit)
	}
	return p.cmd.ProcessState.ExitCode(), time.Since(start), nil
}

// Stop sends SIGTERM and waits up to limit, then kills; it returns the exit code.
func (p *Proc) Stop(limit time.Duration) int {
	p.t.Helper()
	if !p.Running() {
		return 0
	}
	p.Signal(syscall.SIGTERM)
	code, _, err := p.Wait(limit)
	if err != nil {
		p.t.Errorf("%v: killed", err)
		_ = p.cmd.Process.Kill()
		<-p.done
		return -1
	}
	return code
}

func (p *Proc) stopQuiet() {
	if !p.Running() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// Kill sends SIGKILL and waits for the exit.
func (p *Proc) Kill() {
	p.t.Helper()
	p.Signal(syscall.SIGKILL)
	<-p.done
}

// LogTail returns the last n lines of the process's log.
func (p *Proc) LogTail(n int) string { return tail(p.log, n) }

// RSS is the resident set size of the process in bytes (from /proc), 0 when not running.
func (p *Proc) RSS() int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", p.PID()))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// Metric reads one unlabelled sample (e.g. go_goroutines) from the process's /metrics; ok is
// false when the process has no metrics listener or the sample is missing.
func (p *Proc) Metric(name string) (float64, bool) {
	if p.MetricsURL == "" {
		return 0, false
	}
	c := &http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(p.MetricsURL)
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	return parseMetric(resp.Body, name)
}

// parseMetric finds `name value` (a sample without labels) in the Prometheus text format.
func parseMetric(r io.Reader, name string) (float64, bool) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), name+" ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.Fields(rest)[0], 64)
		return v, err == nil
	}
	return 0, false
}
