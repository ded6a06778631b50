package chaos

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wardops/wardops/testinfra/testenv"
)

const redisHint = "install Redis with `go tool task services` (apt-get install redis-server)"

// Redis is a private redis-server of one test on its own loopback port, with an append-only
// file (as in production: queued tasks and the leader lease survive a restart), so a test may
// stop and restart it without disturbing the shared server on 6379.
type Redis struct {
	t    testing.TB
	dir  string
	port int
	cmd  *exec.Cmd
	done chan error
}

// NewRedis starts a private redis-server; it is stopped when the test ends.
func NewRedis(t testing.TB) *Redis {
	t.Helper()
	testenv.SkipShort(t, "redis-server")
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatalf("find redis-server: %v (%s)", err, redisHint)
	}
	r := &Redis{t: t, dir: t.TempDir(), port: FreePort(t)}
	t.Cleanup(func() { r.stop(syscall.SIGKILL) })
	r.Start()
	return r
}

// Addr is host:port.
func (r *Redis) Addr() string { return "127.0.0.1:" + strconv.Itoa(r.port) }

// URL is the redis:// URL of DB 0.
func (r *Redis) URL() string { return "redis://" + r.Addr() + "/0" }

// Start starts the server (again, on the same port and data) and waits for PONG.
func (r *Redis) Start() {
	r.t.Helper()
	cmd := exec.Command("redis-server", "--port", strconv.Itoa(r.port), "--bind", "127.0.0.1", "--dir", r.dir,
		"--appendonly", "yes", "--appendfsync", "everysec", "--save", "", "--daemonize", "no",
		"--logfile", filepath.Join(r.dir, "redis.log"))
	if err := testenv.StartOwned(cmd); err != nil {
		r.t.Fatalf("start redis-server: %v (%s)", err, redisHint)
	}
	r.cmd, r.done = cmd, make(chan error, 1)
	go func() { r.done <- cmd.Wait() }()
	c := redis.NewClient(&redis.Options{Addr: r.Addr()})
	defer c.Close()
	deadline := time.Now().Add(15 * time.Second)
	for c.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			r.t.Fatalf("redis-server on %s did not answer\n%s", r.Addr(), tail(filepath.Join(r.dir, "redis.log"), 20))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop stops the server: SIGTERM is a clean shutdown (the AOF is flushed), SIGKILL a crash.
func (r *Redis) Stop(sig syscall.Signal) {
	r.t.Helper()
	if err := r.stop(sig); err != nil {
		r.t.Fatal(err)
	}
}

func (r *Redis) stop(sig syscall.Signal) error {
	if r.cmd == nil {
		return nil
	}
	_ = r.cmd.Process.Signal(sig)
	select {
	case <-r.done:
	case <-time.After(20 * time.Second):
		_ = r.cmd.Process.Kill()
		<-r.done
		r.cmd = nil
		return fmt.Errorf("redis-server ignored %v for 20s", sig)
	}
	r.cmd = nil
	return nil
}

// Client returns a client on DB 0, closed at test end.
func (r *Redis) Client() *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: r.Addr()})
	r.t.Cleanup(func() { _ = c.Close() })
	return c
}

// Sentinel is a private Redis Sentinel watching one master.
type Sentinel struct {
	port int
}

// NewSentinel starts a Sentinel (redis-server --sentinel) on its own loopback port monitoring
// master under name; it stops when the test ends.
func NewSentinel(t testing.TB, master *Redis, name string) *Sentinel {
	t.Helper()
	testenv.SkipShort(t, "redis-server --sentinel")
	dir := t.TempDir()
	s := &Sentinel{port: FreePort(t)}
	conf := filepath.Join(dir, "sentinel.conf")
	text := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\nsentinel monitor %s 127.0.0.1 %d 1\nsentinel down-after-milliseconds %s 5000\n",
		s.port, dir, name, master.port, name)
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("redis-server", conf, "--sentinel", "--logfile", filepath.Join(dir, "sentinel.log"))
	if err := testenv.StartOwned(cmd); err != nil {
		t.Fatalf("start redis sentinel: %v (%s)", err, redisHint)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
	})
	c := redis.NewSentinelClient(&redis.Options{Addr: s.Addr()})
	defer c.Close()
	deadline := time.Now().Add(15 * time.Second)
	for {
		addr, err := c.GetMasterAddrByName(context.Background(), name).Result()
		if err == nil && len(addr) == 2 {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("sentinel on %s does not know master %s: %v\n%s", s.Addr(), name, err, tail(filepath.Join(dir, "sentinel.log"), 20))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Addr is host:port.
func (s *Sentinel) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }
