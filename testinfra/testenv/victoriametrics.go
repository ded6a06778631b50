package testenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

const vmHint = "install VictoriaMetrics with `scripts/victoriametrics.sh install` (apt-get install victoria-metrics) or set WARDOPS_TEST_VM_BIN"

// VMOptions configures NewVMWith.
type VMOptions struct {
	// NoDedup starts VictoriaMetrics without -dedup.minScrapeInterval=1ms, so that a sample
	// written twice is stored twice: tests use it to prove the writer itself sends once.
	NoDedup bool
}

// VM is a private VictoriaMetrics process of one test: its own loopback port and data
// directory, stopped and removed at cleanup. A test may Stop and Start it (outage tests); the
// port and data survive a restart.
type VM struct {
	t    testing.TB
	bin  string
	port int
	dir  string
	args []string
	cmd  *exec.Cmd
	done chan error
	log  string
}

// VMBin is the VictoriaMetrics binary tests run: WARDOPS_TEST_VM_BIN or victoria-metrics on PATH.
func VMBin() (string, error) {
	if b := os.Getenv("WARDOPS_TEST_VM_BIN"); b != "" {
		return b, nil
	}
	return exec.LookPath("victoria-metrics")
}

// NewVM starts a private VictoriaMetrics with the flags the project runs it with
// (-search.latencyOffset=0s so reads see fresh samples, -dedup.minScrapeInterval=1ms).
func NewVM(t testing.TB) *VM {
	t.Helper()
	return NewVMWith(t, VMOptions{})
}

// NewVMWith starts a private VictoriaMetrics with options.
func NewVMWith(t testing.TB, o VMOptions) *VM {
	t.Helper()
	SkipShort(t, "VictoriaMetrics")
	bin, err := VMBin()
	if err != nil {
		t.Fatalf("find victoria-metrics: %v (%s)", err, vmHint)
	}
	v := &VM{t: t, bin: bin, dir: t.TempDir()}
	v.log = filepath.Join(v.dir, "victoria-metrics.log")
	t.Cleanup(v.stopQuiet)
	for try := 0; ; try++ {
		v.port = freePort(t)
		v.args = []string{
			"-httpListenAddr=127.0.0.1:" + strconv.Itoa(v.port),
			"-storageDataPath=" + filepath.Join(v.dir, "data"),
			"-search.latencyOffset=0s",
			"-retentionPeriod=100y",
			"-loggerLevel=WARN",
		}
		if !o.NoDedup {
			v.args = append(v.args, "-dedup.minScrapeInterval=1ms")
		}
		err := v.start()
		if err == nil {
			return v
		}
		if try == 2 {
			t.Fatalf("start victoria-metrics: %v\n%s", err, v.logTail())
		}
	}
}

// URL is the base URL, e.g. http://127.0.0.1:40123.
func (v *VM) URL() string { return "http://127.0.0.1:" + strconv.Itoa(v.port) }

// Start starts the stopped VictoriaMetrics again on the same port and data.
func (v *VM) Start() {
	v.t.Helper()
	if err := v.start(); err != nil {
		v.t.Fatalf("restart victoria-metrics: %v\n%s", err, v.logTail())
	}
}

// Stop stops VictoriaMetrics gracefully (SIGTERM: it flushes what it has accepted) and waits.
func (v *VM) Stop() {
	v.t.Helper()
	if err := v.stop(); err != nil {
		v.t.Fatalf("stop victoria-metrics: %v", err)
	}
}

// Flush makes every accepted sample searchable now (/internal/force_flush).
func (v *VM) Flush() {
	v.t.Helper()
	resp, err := http.Get(v.URL() + "/internal/force_flush")
	if err != nil {
		v.t.Fatalf("flush victoria-metrics: %v", err)
	}
	resp.Body.Close()
}

func (v *VM) start() error {
	if v.cmd != nil {
		return errors.New("already running")
	}
	lf, err := os.OpenFile(v.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open log: %w", err)
	}
	defer lf.Close()
	cmd := exec.Command(v.bin, v.args...)
	cmd.Stdout, cmd.Stderr = lf, lf
	if err := StartOwned(cmd); err != nil {
		return fmt.Errorf("%w (%s)", err, vmHint)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	v.cmd, v.done = cmd, done
	if err := v.waitHealthy(30 * time.Second); err != nil {
		_ = v.stop()
		return err
	}
	return nil
}

func (v *VM) waitHealthy(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	c := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		select {
		case err := <-v.done:
			v.cmd = nil
			return fmt.Errorf("victoria-metrics exited: %v", err)
		default:
		}
		resp, err := c.Get(v.URL() + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("victoria-metrics on port %d not healthy after %s", v.port, limit)
}

func (v *VM) stop() error {
	if v.cmd == nil {
		return nil
	}
	_ = v.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-v.done:
	case <-time.After(30 * time.Second):
		_ = v.cmd.Process.Kill()
		<-v.done
	}
	v.cmd = nil
	return nil
}

func (v *VM) stopQuiet() { _ = v.stop() }

func (v *VM) logTail() string {
	b, _ := os.ReadFile(v.log)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(bytes.TrimSpace(b))
}

// freePort asks the kernel for a free loopback port.
func freePort(t testing.TB) int {
	t.Helper()
	var lc net.ListenConfig
	l, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
